/**
 * Endpoints of the real services for tests, from the integration project's global setup (inject) or env vars.
 * A test that needs them must live where that setup runs (test/integration/, test/reliability/ or *.int.test.ts):
 * elsewhere these throw rather than let the test skip.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

function provided(key: 'kafkaBrokers' | 'schemaRegistryUrl' | 'clickhouseUrl'): string | undefined {
  try {
    const v = inject(key);
    return typeof v === 'string' && v !== '' ? v : undefined;
  } catch {
    return undefined; // not inside a vitest worker
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) {
    throw new Error(
      `${name} is not set: run this test in the vitest 'integration' project (test/integration/, test/reliability/ ` +
        `or a *.int.test.ts file), whose global setup provides it, or export ${name}`,
    );
  }
  return value;
}

/** Kafka bootstrap brokers, e.g. ['127.0.0.1:9092']. */
export function kafkaBrokers(): string[] {
  return required(provided('kafkaBrokers') ?? process.env.KAFKA_BROKERS, 'KAFKA_BROKERS')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Confluent-compatible schema registry base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
export function schemaRegistryUrl(): string {
  return required(provided('schemaRegistryUrl') ?? process.env.SCHEMA_REGISTRY_URL, 'SCHEMA_REGISTRY_URL');
}

/** A ClickHouse server URL when CLICKHOUSE_URL is set; undefined means: use the in-process engine. */
export function clickhouseUrl(): string | undefined {
  return provided('clickhouseUrl') ?? (process.env.CLICKHOUSE_URL || undefined);
}

/** A name no other test (or earlier run against the same broker) uses: for topics, groups, subjects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
