/**
 * Walking skeleton on Kafka (issue #2): CSV lines and one Avro record (schema registered with
 * @confluentinc/schemaregistry, Confluent wire format via avsc) produced to raw topics, consumed with kafkajs through
 * our port by the real streaming roles (mediate → rate → sink, in one `serve` instance in this process), mediated and
 * rated by the real rule files, written to the in-process ClickHouse engine (temp dir), queried back exactly.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkajsPort } from '../../engine/runtime/kafka/kafkajs-adapter.ts';
import type { KafkaProducer } from '../../engine/runtime/kafka/port.ts';
import { SchemaRegistry } from '../../engine/runtime/kafka/schema-registry.ts';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import { queryRows } from '../../engine/store/client.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { kafkaBrokers, schemaRegistryUrl, uniqueName } from '../setup/env.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
// ACME's first subscriber (rules/demo/msisdn.csv), plan mobile-business (same lines as the embedded-run test)
const CSV = [
  '6,T1,VOICE,06 3878 2185,+31201234567,,2026-10-05 10:00:00,95,,,c1', // 96 s × 0.09/60 + 0.02 = 0.1640
  '6,T2,VOICE,+31638782185,+442071234567,,2026-10-05 11:00:00,61,,,c1', // 120 s × 0.35/60 = 0.7000
  '6,T3,SMS-MO,+31638782185,+31201234567,,2026-10-05 12:00:00,,,,c1', // 0.0750
  '6,T4,DATA,+31638782185,,,2026-10-05 13:00:00,60,500000,1000000,c1', // 1.5 MB × 0.012 = 0.0180
  '1,T5,SWITCH-EVENT,,,,2026-10-05 13:00:00,,,,c1', // ignored (record type)
  '6,T6,VOICE,+31699999999,+31201234567,,2026-10-05 14:00:00,10,,,c1', // UNKNOWN_ACCOUNT
];

describe('walking skeleton on Kafka: raw topics → mediate → rate → ClickHouse engine', () => {
  const prefix = `${uniqueName('skel')}.`;
  const dir = mkdtempSync(join(tmpdir(), 'rs-skel-'));
  let server: StreamServer;
  let producer: KafkaProducer;
  let registry: SchemaRegistry;

  beforeAll(async () => {
    writeFileSync(join(dir, 'serve.yaml'), [
      'kind: serve',
      `name: ${prefix.slice(0, -1)}`,
      'pipelines:',
      `  - ${join(ROOT, 'pipelines/demo-carrier.yaml')}`,
      `  - ${join(ROOT, 'pipelines/iot-sessions-avro-rated.yaml')}`,
      `topics: { prefix: "${prefix}", partitions: 2 }`,
      'clickhouse: { data-dir: data }',
      'sink: { linger-ms: 100 }',
      'http: { host: 127.0.0.1, port: 0 }',
    ].join('\n'));
    process.env.KAFKA_BROKERS = kafkaBrokers().join(',');
    process.env.SCHEMA_REGISTRY_URL = schemaRegistryUrl();
    server = new StreamServer(loadServeConfig(join(dir, 'serve.yaml')), { log: pino({ level: 'warn' }), metrics: new StreamMetrics({ defaultMetrics: false }) });
    await server.start();
    producer = createKafkajsPort({ brokers: kafkaBrokers() }, { logger: pino({ level: 'warn' }) }).producer({ idempotent: true });
    await producer.connect();
    registry = new SchemaRegistry({ url: schemaRegistryUrl() });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await registry?.close();
    await server?.stop();
  });

  it('rates CSV lines and an Avro record into exact charges', async () => {
    // the gateway side: register the feed's schema, write the Confluent wire format (magic 0, schema id, avsc body)
    const codec = await registry.codec<Record<string, unknown>>(`${prefix}raw.iot-sessions-avro`, readFileSync(join(ROOT, 'schemas/feeds/iot-session.avsc'), 'utf8'));
    const avroMsg = codec.encode({
      sessionId: 'S-1', imsi: '204081234567890', iccid: '8931080000000000019', mac: null, startMs: 1791194400000,
      uplinkBytes: 400000, downlinkBytes: 600000, apn: 'iot.example', location: { mccMnc: '20408', cell: 17 },
    });
    expect(avroMsg[0]).toBe(0);
    expect(avroMsg.readUInt32BE(1)).toBe(codec.schemaId);
    await producer.send([
      ...CSV.map((l) => ({ topic: `${prefix}raw.carrier-cdr`, key: 'ACME', value: Buffer.from(l) })),
      { topic: `${prefix}raw.iot-sessions-avro`, key: 'ACC-300', value: avroMsg },
    ]);

    await expect.poll(() => server.ready().ready, { timeout: 60_000 }).toBe(true);
    const store = server.store!;
    await expect.poll(async () => Number((await queryRows<{ n: string }>(store, 'SELECT count() AS n FROM charges FINAL'))[0]!.n), { timeout: 60_000, interval: 250 }).toBe(5);
    const rows = await queryRows<{ udr_id: string; amount: string; rate_id: string; feed: string; source: string }>(store,
      'SELECT udr_id, toString(amount) AS amount, rate_id, feed, source FROM charges FINAL ORDER BY udr_id');
    expect(rows.map(({ source: _s, ...r }) => r)).toEqual([
      { udr_id: 'S-1', amount: '0.004', rate_id: 'iot-data', feed: 'iot-sessions-avro' },
      { udr_id: 'T1', amount: '0.164', rate_id: 'voice-nl', feed: 'carrier-cdr' },
      { udr_id: 'T2', amount: '0.7', rate_id: 'voice-intl', feed: 'carrier-cdr' },
      { udr_id: 'T3', amount: '0.075', rate_id: 'sms', feed: 'carrier-cdr' },
      { udr_id: 'T4', amount: '0.018', rate_id: 'data', feed: 'carrier-cdr' },
    ]);
    // lineage back to the raw topic coordinates
    expect(rows.find((r) => r.udr_id === 'S-1')!.source).toMatch(new RegExp(`^${prefix.replaceAll('.', '\\.')}raw\\.iot-sessions-avro/\\d/0$`));
    const sum = await queryRows<{ s: string }>(store, 'SELECT toString(sum(amount)) AS s FROM charges FINAL');
    expect(sum[0]!.s).toBe('0.961');
    await expect.poll(async () => Number((await queryRows<{ n: string }>(store, 'SELECT count() AS n FROM udrs FINAL'))[0]!.n), { timeout: 30_000 }).toBe(5);
    await expect.poll(async () => queryRows(store, 'SELECT reason, stage FROM rejects ORDER BY reason'), { timeout: 30_000 }).toEqual([{ reason: 'UNKNOWN_ACCOUNT', stage: 'mediation' }]);
  });
});
