/** Which Kafka client a process uses: `kafka.client` in the config, else RATESTREAM_KAFKA_CLIENT, else the default. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENT_NAMES, createKafkaPort, selectKafkaClient } from '../../../engine/runtime/kafka/client-registry.ts';
import { serveSchema } from '../../../engine/runtime/streaming/config.ts';

describe('kafka client selection', () => {
  it('lists both adapters; platformatic is the default (faster, and the streaming, reliability and chaos runs pass on it)', () => {
    expect(KAFKA_CLIENT_NAMES).toEqual(['kafkajs', 'platformatic']);
    expect(DEFAULT_KAFKA_CLIENT).toBe('platformatic');
    expect(selectKafkaClient(undefined, {})).toBe('platformatic');
  });

  it('takes the environment when the config does not say, and the config over the environment', () => {
    expect(selectKafkaClient(undefined, { RATESTREAM_KAFKA_CLIENT: 'kafkajs' })).toBe('kafkajs');
    expect(selectKafkaClient('platformatic', { RATESTREAM_KAFKA_CLIENT: 'kafkajs' })).toBe('platformatic');
    expect(selectKafkaClient('kafkajs', { RATESTREAM_KAFKA_CLIENT: 'platformatic' })).toBe('kafkajs');
  });

  it('refuses an unknown client name in the environment, naming the choices', () => {
    expect(() => selectKafkaClient(undefined, { RATESTREAM_KAFKA_CLIENT: 'rdkafka' })).toThrow('RATESTREAM_KAFKA_CLIENT=rdkafka: expected one of kafkajs, platformatic');
  });

  it('creates a port on the chosen client (no connection is made before connect())', async () => {
    const kjs = await createKafkaPort({ brokers: ['127.0.0.1:1'] }, { client: 'kafkajs' });
    const pl = await createKafkaPort({ brokers: ['127.0.0.1:1'] }, { client: 'platformatic' });
    expect([kjs.client, kjs.fencesByGeneration, pl.client, pl.fencesByGeneration]).toEqual(['kafkajs', false, 'platformatic', true]);
  });

  it('accepts kafka.client in the serve config and rejects other values', () => {
    const base = { kind: 'serve', pipelines: ['p.yaml'] };
    expect(serveSchema.parse({ ...base, kafka: { client: 'platformatic' } }).kafka.client).toBe('platformatic');
    expect(serveSchema.safeParse({ ...base, kafka: { client: 'rdkafka' } }).success).toBe(false);
  });
});
