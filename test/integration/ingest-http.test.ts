/**
 * HTTP ingest for gateways (one in-process `serve`, real Kafka, in-process ClickHouse engine):
 * - a CSV batch and a JSON batch land in raw.<feed> with the right keys and values (202 once Kafka acknowledged);
 * - wrong / missing token → 401, oversize body → 413, too many records → 413, unknown feed → 404, malformed JSON →
 *   400, unsupported content type → 415, a bad service event → 400 — each a JSON { error, message };
 * - the records then flow through mediate → rate → sink to charges;
 * - service events (POST /v1/service-events → service-events-in): suspend / activate / cancel change the service
 *   state rating uses (telemetry while suspended or cancelled is not rated) and the cancel produces the one-time
 *   $5.00 transition charge in ClickHouse (catalog rules/rating/scenarios/hardware-node.catalog.yaml).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumedMessage, KafkaPort } from '../../engine/runtime/kafka/port.ts';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import { queryRows } from '../../engine/store/client.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { kafkaBrokers, schemaRegistryUrl, uniqueName } from '../setup/env.ts';
import { kafkaPort, ROOT, sleep } from './streaming-helpers.ts';

const TOKEN = `tok-${randomUUID()}`;
const CSV_HEADER = 'record_type,record_id,event_type,calling,called,sms_peer,start_time,duration_s,bytes_up,bytes_down,cell_id';
const sms = (id: string, hour: number) => `6,${id},SMS-MO,+31638782185,+31201234567,,2026-10-05 ${hour}:00:00,,,,c1`;
const telemetry = (id: string, ts: string, bytes = 2_500_000) => ({ id, account: 'factory-1', node: 'node-legacy', bytes, ts });

async function readTopic(port: KafkaPort, topic: string, want: number): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = [];
  const c = port.consumer({ groupId: `test.read.${randomUUID()}`, fromBeginning: true, maxWaitTimeMs: 100 });
  await c.connect();
  await c.subscribe([topic]);
  await c.run(async (b) => { got.push(...b.messages); });
  for (const deadline = Date.now() + 30_000; got.length < want && Date.now() < deadline;) await sleep(50);
  await sleep(500);
  await c.disconnect();
  return got;
}

describe('HTTP ingest and service events into a running serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-ingest-'));
  const name = uniqueName('singest');
  const prefix = `${name}.`;
  const metrics = new StreamMetrics({ defaultMetrics: false });
  const kafka = kafkaPort();
  let server: StreamServer;
  let base = '';

  beforeAll(async () => {
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    writeFileSync(join(dir, 'serve.yaml'), [
      'kind: serve', `name: ${name}`, 'pipelines:',
      `  - ${join(ROOT, 'pipelines/demo-carrier.yaml')}`,
      `  - ${join(ROOT, 'rules/streaming/node-telemetry.pipeline.yaml')}`,
      `topics: { prefix: "${prefix}", partitions: 2 }`, 'clickhouse: { data-dir: data }', 'sink: { linger-ms: 100 }',
      'http: { host: 127.0.0.1, port: 0 }',
      'ingest: { token-file: token, max-body-bytes: 4096, max-records: 20 }',
      'rate: { with-mediation: false }', // rateSeen counts the rate role's records
    ].join('\n'));
    process.env.KAFKA_BROKERS = kafkaBrokers().join(',');
    process.env.SCHEMA_REGISTRY_URL = schemaRegistryUrl();
    server = new StreamServer(loadServeConfig(join(dir, 'serve.yaml')), { log: pino({ level: 'warn' }), metrics });
    await server.start();
    base = server.httpAddress!;
    for (const deadline = Date.now() + 60_000; !server.ready().ready; await sleep(50)) if (Date.now() > deadline) throw new Error('serve not ready');
  });

  afterAll(async () => {
    await server?.stop();
  });

  const post = async (path: string, body: string, type: string, token: string | null = TOKEN) => {
    const r = await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': type, ...(token !== null && { authorization: `Bearer ${token}` }) } });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const rows = <T = Record<string, unknown>>(sql: string) => queryRows<T>(server.store!, sql);
  const count = async (sql: string) => Number((await rows<{ n: string }>(sql))[0]!.n);
  const rateSeen = async (feed: string) => {
    let n = 0;
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      if (m.name === 'ratestream_records_in_total') for (const v of m.values) if (v.labels.role === 'rate' && v.labels.feed === feed) n += v.value;
    }
    return n;
  };

  it('refuses bad requests with clear 4xx JSON errors', async () => {
    const csv = `${CSV_HEADER}\n${sms('X1', 10)}\n`;
    expect(await post('/v1/ingest/carrier-cdr', csv, 'text/csv', 'wrong')).toEqual({ status: 401, body: { error: 'UNAUTHORIZED', message: 'missing or wrong bearer token' } });
    expect(await post('/v1/ingest/carrier-cdr', csv, 'text/csv', null)).toEqual({ status: 401, body: { error: 'UNAUTHORIZED', message: 'missing or wrong bearer token' } });
    expect(await post('/v1/ingest/no-such-feed', csv, 'text/csv')).toEqual({ status: 404, body: { error: 'UNKNOWN_FEED', message: 'feed no-such-feed is not served here' } });
    const big = await post('/v1/ingest/carrier-cdr', `${CSV_HEADER}\n${Array.from({ length: 100 }, (_, i) => sms(`B${i}`, 10)).join('\n')}`, 'text/csv');
    expect(big.status).toBe(413);
    expect(big.body.error).toBe('BODY_TOO_LARGE');
    const bigJson = await post('/v1/ingest/node-telemetry', JSON.stringify([{ pad: 'x'.repeat(5000) }]), 'application/json');
    expect(bigJson).toMatchObject({ status: 413, body: { error: 'BODY_TOO_LARGE' } });
    // the body is framed like a file of the feed: its header line is no record
    expect(await post('/v1/ingest/carrier-cdr', [CSV_HEADER, ...Array.from({ length: 21 }, (_, i) => `${i}`)].join('\n'), 'text/csv'))
      .toEqual({ status: 413, body: { error: 'TOO_MANY_RECORDS', message: '21 records, at most 20 per request' } });
    const bad = await post('/v1/ingest/node-telemetry', '[{"id": "t-x", ', 'application/json');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('BAD_BODY');
    expect(String(bad.body.message)).toMatch(/JSON/i);
    expect(await post('/v1/ingest/node-telemetry', '{"id": 1}', 'application/json'))
      .toEqual({ status: 400, body: { error: 'BAD_BODY', message: 'a JSON body must be an array of records or { "records": [...] }' } });
    expect(await post('/v1/ingest/node-telemetry', '{"id": 1}\nnot json', 'application/x-ndjson')).toEqual({ status: 400, body: { error: 'BAD_JSON', message: 'line 2 is not JSON' } });
    expect((await post('/v1/ingest/node-telemetry', '<x/>', 'application/xml')).status).toBe(415);
    expect(await post('/v1/service-events', JSON.stringify([{ id: 'e', service: 'node-legacy' }]), 'application/json'))
      .toEqual({ status: 400, body: { error: 'BAD_EVENT', message: 'event 1 needs id, service, to (strings) and at (epoch ms or ISO time)' } });
    // nothing of the refused requests reached Kafka
    const admin = kafka.admin();
    await admin.connect();
    for (const t of ['raw.carrier-cdr', 'raw.node-telemetry', 'service-events-in']) {
      expect((await admin.endOffsets(`${prefix}${t}`)).every((o) => o.offset === '0'), t).toBe(true);
    }
    await admin.disconnect();
  });

  it('a CSV and a JSON batch land in raw.<feed> with their keys and values, then become charges', async () => {
    const csvLines = [sms('H1', 10), sms('H2', 11), sms('H3', 12)];
    expect(await post('/v1/ingest/carrier-cdr', `${CSV_HEADER}\r\n${csvLines.join('\r\n')}\r\n`, 'text/csv; charset=utf-8'))
      .toEqual({ status: 202, body: { accepted: 3, topic: `${prefix}raw.carrier-cdr` } });
    const t1 = telemetry('t-1', '2025-03-06T10:00:00Z');
    expect(await post('/v1/ingest/node-telemetry?key=node', JSON.stringify({ records: [t1] }), 'application/json'))
      .toEqual({ status: 202, body: { accepted: 1, topic: `${prefix}raw.node-telemetry` } });

    // the body framed like a file by the feed's framer (as `run` and the drop directory read it): the header consumed and
    // counted as ignored (a marker message), the records with their coordinates, all under the request's key (in order)
    const raw = await readTopic(kafka, `${prefix}raw.carrier-cdr`, 4);
    expect(raw.filter((m) => m.value!.length).map((m) => m.value!.toString())).toEqual(csvLines);
    expect(raw.filter((m) => !m.value!.length).map((m) => m.headers['rs-ignored']?.toString())).toEqual(['{"header":1}']);
    expect(new Set(raw.map((m) => m.key?.toString())).size).toBe(1);
    expect(raw.filter((m) => m.value!.length).map((m) => m.headers['rs-source']!.toString().replace(/^.*:/, ''))).toEqual(['2', '3', '4']);
    const rawJson = await readTopic(kafka, `${prefix}raw.node-telemetry`, 1);
    expect(rawJson.map((m) => [m.key?.toString(), JSON.parse(m.value!.toString())])).toEqual([['node-legacy', t1]]);

    await expect.poll(() => count("SELECT count() AS n FROM charges FINAL WHERE udr_id IN ('H1', 'H2', 'H3', 't-1')"), { timeout: 60_000, interval: 200 }).toBe(4);
    expect(await rows("SELECT udr_id, toString(amount) AS amount, rate_id, feed FROM charges FINAL WHERE udr_id IN ('H1', 't-1') ORDER BY udr_id")).toEqual([
      { udr_id: 'H1', amount: '0.075', rate_id: 'sms', feed: 'carrier-cdr' },
      { udr_id: 't-1', amount: '0.25', rate_id: 'telemetry', feed: 'node-telemetry' },
    ]);
  });

  it('service events change the state rating uses; the cancel produces the $5.00 one-time charge', async () => {
    const event = async (id: string, to: string, at: string) => {
      const before = await rateSeen('service-events');
      expect(await post('/v1/service-events', JSON.stringify([{ id, service: 'node-legacy', to, at }]), 'application/json'))
        .toEqual({ status: 202, body: { accepted: 1, topic: `${prefix}service-events-in` } });
      await expect.poll(() => rateSeen('service-events'), { timeout: 30_000, interval: 50 }).toBe(before + 1);
    };
    const usage = async (...recs: ReturnType<typeof telemetry>[]) => {
      const before = await rateSeen('node-telemetry');
      expect((await post('/v1/ingest/node-telemetry?key=node', recs.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson')).status).toBe(202);
      await expect.poll(() => rateSeen('node-telemetry'), { timeout: 30_000, interval: 50 }).toBe(before + recs.length);
    };
    await event('ev-s1', 'suspended', '2025-03-10T00:00:00Z');
    await usage(telemetry('t-2', '2025-03-12T10:00:00Z')); // suspended: not rated
    await event('ev-s2', 'active', '2025-03-15T00:00:00Z');
    await usage(telemetry('t-3', '2025-03-16T10:00:00Z', 1_000_000)); // active again: rated
    await event('ev-s3', 'cancelled', '2025-03-20T00:00:00Z');
    await usage(telemetry('t-4', '2025-03-21T10:00:00Z')); // cancelled: not rated

    await expect.poll(() => count("SELECT count() AS n FROM charges FINAL WHERE feed IN ('node-telemetry', 'service-events')"), { timeout: 60_000, interval: 200 }).toBe(3);
    expect(await rows("SELECT udr_id, kind, rate_id, toString(amount) AS amount, feed FROM charges FINAL WHERE feed IN ('node-telemetry', 'service-events') ORDER BY udr_id")).toEqual([
      { udr_id: 'ev-s3', kind: 'one_time', rate_id: 'transition:active->cancelled', amount: '5', feed: 'service-events' },
      { udr_id: 't-1', kind: 'usage', rate_id: 'telemetry', amount: '0.25', feed: 'node-telemetry' },
      { udr_id: 't-3', kind: 'usage', rate_id: 'telemetry', amount: '0.1', feed: 'node-telemetry' },
    ]);
    await expect.poll(() => rows("SELECT source, reason, stage FROM rejects FINAL WHERE feed = 'node-telemetry' ORDER BY source"), { timeout: 30_000, interval: 200 })
      .toHaveLength(2);
    const rj = await rows<{ reason: string; stage: string; message: string }>("SELECT reason, stage, message FROM rejects FINAL WHERE feed = 'node-telemetry' ORDER BY message");
    expect(rj.map((r) => [r.reason, r.stage])).toEqual([['NO_RATE', 'rating'], ['NO_RATE', 'rating']]);
    expect(rj.map((r) => r.message).join('\n')).toMatch(/cancelled/);
  });
});
