/**
 * deploy/local/services.sh from Node: used by the global setup (Kafka + registry for every integration run) and by
 * tests that need a broker of their own, e.g. the secured one (`services.sh secure …`: SASL_SSL, SCRAM-SHA-512,
 * self-signed CA). Leases follow the global setup's rule: held by this process, released at the end; with
 * RATESTREAM_KEEP_SERVICES=1 a plain `up` leaves the services running for the next run.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVICES_SH = join(ROOT, 'deploy', 'local', 'services.sh');

/**
 * Runs services.sh; its progress (stderr) goes to ours and its stdout is returned. On failure the error carries the
 * last lines of its stderr, so a test report that shows only the failure still says why (e.g. the broker's log tail).
 */
export function runServices(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // the services outlive a test run and share leases across runs: they keep the machine's temporary folder, not the
    // run's own (test/setup/temp-root.ts)
    const env = { ...process.env, TMPDIR: process.env.RATESTREAM_HOST_TMPDIR ?? process.env.TMPDIR ?? '' };
    const child = spawn('bash', [SERVICES_SH, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      err = (err + d.toString()).slice(-16_384);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(out);
      const tail = err.trimEnd().split('\n').slice(-25).join('\n');
      reject(new Error(`deploy/local/services.sh ${args.join(' ')} failed (exit ${code}); its last output:\n${tail}`));
    });
  });
}

/** The KEY=value lines services.sh prints. */
export function parseServicesEnv(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .split('\n')
      .map((l) => l.match(/^([A-Z_]+)=(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

export interface SecuredKafka {
  /** the SASL_SSL listener, host:port */
  brokers: string[];
  /** the same broker's plaintext listener (loopback; inter-broker) */
  plaintextBrokers: string[];
  username: string;
  passwordFile: string;
  caFile: string;
  /** drops this process's lease (stops the broker when no other run holds one and it was started leased) */
  release(): Promise<void>;
  /** starts it again after it died (e.g. was killed by a chaos test), under the same lease */
  restart(): Promise<void>;
  /** the broker's process id (from services.sh's PID file), for chaos tests that kill it */
  pid(): number;
}

/** Starts (or reuses) the secured broker of `services.sh secure` under a lease of this process. */
export async function startSecuredKafka(): Promise<SecuredKafka> {
  const keep = process.env.RATESTREAM_KEEP_SERVICES === '1';
  const lease = String(process.pid);
  const up = keep ? ['secure', 'up'] : ['secure', 'up', '--lease', lease];
  let printed: string;
  try {
    printed = await runServices(up);
  } catch (e) {
    // A failed start leaves nothing running that it started (services.sh's own rule), so one more try is safe. It covers
    // a start-up lost to a loaded machine (the suite runs it beside two busy workers); a second failure is reported.
    process.stderr.write(`[services] secured broker did not start (${(e as Error).message.split('\n')[0]}); trying once more\n`);
    printed = await runServices(up);
  }
  const env = parseServicesEnv(printed);
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`services.sh secure up printed no ${k}`);
    return v;
  };
  return {
    brokers: need('KAFKA_BROKERS').split(','),
    plaintextBrokers: need('KAFKA_PLAINTEXT_BROKERS').split(','),
    username: need('KAFKA_SASL_USERNAME'),
    passwordFile: need('KAFKA_SASL_PASSWORD_FILE'),
    caFile: need('KAFKA_TLS_CA_FILE'),
    release: async () => {
      if (!keep) await runServices(['secure', 'release', lease]);
    },
    restart: async () => {
      await runServices(up);
    },
    pid: () => Number(readFileSync(join(process.env.RATESTREAM_SECURE_RUN_DIR ?? join(ROOT, 'deploy', 'local', '.run-secure'), 'kafka.pid'), 'utf8').trim()),
  };
}
