/**
 * The Kafka clients that can sit behind the port, and which one a process uses.
 *
 * Selection: `kafka.client` in the serve config, else `RATESTREAM_KAFKA_CLIENT`, else DEFAULT_KAFKA_CLIENT. The
 * default is the measured faster client that passes the whole streaming and reliability suite (issue 10); see
 * bench/RESULTS.md ("Kafka clients") for the numbers and the suite results behind the current choice.
 *
 * Adapters are imported on demand, so a process loads only the client it uses.
 */
import type { Logger } from 'pino';
import type { KafkaClientName, KafkaConnectionOptions, KafkaPort } from './port.ts';

export interface KafkaClientSpec {
  name: KafkaClientName;
  description: string;
  create(options: KafkaConnectionOptions, deps: { logger?: Logger }): Promise<KafkaPort>;
}

export const KAFKA_CLIENTS: readonly KafkaClientSpec[] = [
  {
    name: 'kafkajs',
    description: 'kafkajs 2.2 (unmaintained since 2023; no KIP-447: fencing by per-input-partition transactional ids)',
    create: async (options, deps) => (await import('./kafkajs-adapter.ts')).createKafkajsPort(options, deps),
  },
  {
    name: 'platformatic',
    description: '@platformatic/kafka 1.x (pure TypeScript, maintained; TxnOffsetCommit with generation and member id, KIP-447)',
    create: async (options, deps) => (await import('./platformatic-adapter.ts')).createPlatformaticPort(options, deps),
  },
];

export const KAFKA_CLIENT_NAMES = KAFKA_CLIENTS.map((c) => c.name) as [KafkaClientName, ...KafkaClientName[]];

/**
 * @platformatic/kafka since issue 10's measurement: faster than kafkajs in produce, consume and the
 * consume→produce→commit loop, and in `serve` end to end (bench/RESULTS.md, "Kafka clients"); the streaming and
 * reliability suites, the ingest load test and the broker-crash chaos scenario pass on it (after the adapter's rejoin
 * and idempotent-send fixes). kafkajs stays selectable (`kafka.client: kafkajs` / RATESTREAM_KAFKA_CLIENT=kafkajs) and
 * in the contract test.
 */
export const DEFAULT_KAFKA_CLIENT: KafkaClientName = 'platformatic';

export const KAFKA_CLIENT_ENV = 'RATESTREAM_KAFKA_CLIENT';

function isClientName(s: string): s is KafkaClientName {
  return KAFKA_CLIENTS.some((c) => c.name === s);
}

/** The client to use: the configured one, else the environment's, else the default. */
export function selectKafkaClient(configured?: KafkaClientName, env: NodeJS.ProcessEnv = process.env): KafkaClientName {
  if (configured) return configured;
  const fromEnv = env[KAFKA_CLIENT_ENV]?.trim();
  if (fromEnv) {
    if (!isClientName(fromEnv)) throw new Error(`${KAFKA_CLIENT_ENV}=${fromEnv}: expected one of ${KAFKA_CLIENT_NAMES.join(', ')}`);
    return fromEnv;
  }
  return DEFAULT_KAFKA_CLIENT;
}

export function kafkaClientSpec(name: KafkaClientName): KafkaClientSpec {
  const spec = KAFKA_CLIENTS.find((c) => c.name === name);
  if (!spec) throw new Error(`unknown Kafka client ${name}: expected one of ${KAFKA_CLIENT_NAMES.join(', ')}`);
  return spec;
}

/** Creates the port on the selected client (see selectKafkaClient). */
export function createKafkaPort(options: KafkaConnectionOptions, deps: { logger?: Logger; client?: KafkaClientName } = {}): Promise<KafkaPort> {
  const { client, ...rest } = deps;
  return kafkaClientSpec(selectKafkaClient(client)).create(options, rest);
}
