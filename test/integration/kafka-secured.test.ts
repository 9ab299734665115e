/**
 * Secured Kafka for real: a broker with a SASL_SSL listener (SCRAM-SHA-512 user, certificate from a self-signed CA),
 * started by `deploy/local/services.sh secure up` under a lease of this test and released at the end.
 * - `ratestream serve` configured as the README says (kafka.tls.ca-file, kafka.sasl with password-file) mediates,
 *   rates and sinks demo records produced over the same secured listener: charges equal the embedded `run`;
 * - a wrong password, and a CA that did not sign the broker's certificate, each end `serve` with exit 1 and a message
 *   that names the problem (no hang: bounded by the execFile timeout).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkajsPort } from '../../engine/runtime/kafka/kafkajs-adapter.ts';
import type { KafkaPort } from '../../engine/runtime/kafka/port.ts';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { uniqueName } from '../setup/env.ts';
import { type SecuredKafka, startSecuredKafka } from '../setup/services.ts';
import {
  demoCarrierInput, embeddedRun, expectedCounts, freePort, logTail, metric, produceLines, queryDb, ROOT, scrape, type ServeProcess, spawnServe,
  stopServe, SUMMARY_SQL, waitReady, writeServeConfig,
} from './streaming-helpers.ts';

const run = promisify(execFile);
const BIN = join(ROOT, 'engine', 'cli', 'bin.mjs');

describe('serve against a SASL_SSL broker (SCRAM-SHA-512, self-signed CA)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-secured-'));
  let sec: SecuredKafka | undefined;
  let serve: ServeProcess | undefined;

  beforeAll(async () => {
    sec = await startSecuredKafka();
  }, 300_000);

  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    await sec?.release();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  /** The kafka: section in the README's format (password from a file, or from an env var). */
  const kafkaSection = (s: SecuredKafka, o: { caFile?: string; passwordEnv?: string } = {}) => [
    'kafka:',
    `  brokers: [${s.brokers.join(', ')}]`,
    `  tls: { ca-file: ${o.caFile ?? s.caFile} }`,
    `  sasl: { mechanism: scram-sha-512, username: ${s.username}, ${o.passwordEnv ? `password-env: ${o.passwordEnv}` : `password-file: ${s.passwordFile}`} }`,
    '  session-timeout-ms: 6000',
  ];

  const securedPort = (s: SecuredKafka): KafkaPort => createKafkajsPort({
    brokers: s.brokers, clientId: 'secured-test', tls: { ca: readFileSync(s.caFile) },
    sasl: { mechanism: 'scram-sha-512', username: s.username, password: readFileSync(s.passwordFile, 'utf8').trim() },
  }, { logger: pino({ level: 'error' }) });

  /** `serve` that must fail at start: its exit code and stderr (killed after 90 s, which fails the test). */
  const failingServe = async (name: string, extra: string[], env: Record<string, string> = {}) => {
    const cfg = writeServeConfig(join(dir, `${name}.yaml`), { name, prefix: `${name}.`, pipelines: ['pipelines/demo-carrier.yaml'], partitions: 1, dataDir: join(dir, `${name}-db`), extra });
    const t0 = Date.now();
    try {
      await run(process.execPath, [BIN, 'serve', '--config', cfg, '--http-port', String(freePort())], { cwd: ROOT, timeout: 90_000, env: { ...process.env, ...env } });
      return { code: 0, stderr: '', ms: Date.now() - t0 };
    } catch (e) {
      const err = e as { code?: number | string; killed?: boolean; stderr?: string };
      return { code: err.killed ? 'killed (hang)' : err.code, stderr: err.stderr ?? '', ms: Date.now() - t0 };
    }
  };

  it('serve with kafka.tls + kafka.sasl rates records produced over SASL_SSL; charges equal the embedded run', async () => {
    const s = sec!;
    const name = uniqueName('ssec');
    const { lines } = demoCarrierInput(join(dir, 'in'), 1, 400);
    const embedded = embeddedRun('pipelines/demo-carrier.yaml', join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
      name, prefix: `${name}.`, pipelines: ['pipelines/demo-carrier.yaml'], partitions: 2, dataDir: join(dir, 'db'),
      extra: [...kafkaSection(s), 'sink: { linger-ms: 100 }'],
    });
    const port = freePort();
    // KAFKA_BROKERS points at the plaintext test broker: the config's brokers must win
    serve = await spawnServe(cfg, { port, log: join(dir, 'serve.log') });
    try {
      await waitReady(port);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(join(dir, 'serve.log'))}`);
    }
    await produceLines(securedPort(s), `${name}.raw.carrier-cdr`, lines);
    await embedded;
    const want = await expectedCounts(join(dir, 'emb'));
    expect(want.charges).toBeGreaterThan(100);
    try {
      await expect.poll(async () => {
        const m = await scrape(port);
        return metric(m, 'ratestream_clickhouse_rows_total', { table: 'charges' }) >= want.charges
          && metric(m, 'ratestream_clickhouse_rows_total', { table: 'rejects' }) >= want.rejects;
      }, { timeout: 120_000, interval: 250 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(join(dir, 'serve.log'))}`);
    }
    expect(metric(await scrape(port), 'ratestream_records_in_total', { role: 'mediate', feed: 'carrier-cdr' })).toBe(lines.length);
    expect(await stopServe(serve)).toBe(0);
    serve = undefined;
    // the README's example config for this broker names the same listener, CA and password file
    const example = loadServeConfig(join(ROOT, 'deploy', 'serve.secure-local.yaml'));
    const tls = example.config.kafka.tls as { ca?: string };
    expect({ brokers: example.config.kafka.brokers, ca: resolve(example.dir, tls.ca!), sasl: example.config.kafka.sasl }).toEqual({
      brokers: s.brokers, ca: s.caFile, sasl: { mechanism: 'scram-sha-512', username: s.username, password: { file: relative(example.dir, s.passwordFile) } },
    });
    // the log never shows the password
    const log = readFileSync(join(dir, 'serve.log'), 'utf8');
    expect(log).toContain('"msg":"serving"');
    expect(log).not.toContain(readFileSync(s.passwordFile, 'utf8').trim());

    const [got] = await queryDb(join(dir, 'db'), SUMMARY_SQL.charges);
    const [exp] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    expect(got).toEqual(exp);
  });

  it('a wrong SASL password: serve exits 1 saying authentication failed', async () => {
    const r = await failingServe(uniqueName('ssecpw'), kafkaSection(sec!, { passwordEnv: 'RS_TEST_WRONG_KAFKA_PASSWORD' }), { RS_TEST_WRONG_KAFKA_PASSWORD: 'not-the-password' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^ratestream: Kafka authentication failed at 127\.0\.0\.1:\d+: the broker refused SASL scram-sha-512 for user 'ratestream' — check kafka\.sasl username and password/m);
    expect(r.stderr).not.toContain('not-the-password');
    process.stderr.write(`[kafka-secured] wrong password refused after ${r.ms} ms\n`);
  });

  it('a CA that did not sign the broker certificate: serve exits 1 saying the certificate is not trusted', async () => {
    // another self-signed CA, made the way services.sh makes the real one (keytool comes with the Java the broker needs)
    const other = join(dir, 'other-ca');
    const keytool = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'keytool') : 'keytool';
    const ks = ['-keystore', `${other}.p12`, '-storetype', 'PKCS12', '-storepass', 'other-pass'];
    await run(keytool, ['-genkeypair', '-alias', 'ca', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '2', '-dname', 'CN=some other CA', '-ext', 'bc:c=ca:true', ...ks]);
    await run(keytool, ['-exportcert', '-rfc', '-alias', 'ca', '-file', `${other}.pem`, ...ks]);
    const r = await failingServe(uniqueName('ssecca'), kafkaSection(sec!, { caFile: `${other}.pem` }));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^ratestream: Kafka TLS: the certificate of 127\.0\.0\.1:\d+ is not trusted .*set kafka\.tls\.ca-file to the CA that signed the broker's certificate/m);
    process.stderr.write(`[kafka-secured] untrusted CA refused after ${r.ms} ms\n`);
  });
});
