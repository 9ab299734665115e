/**
 * Done-when 3: the sink's ClickHouse connection fails for OUTAGE_MS (first half: every insert errors at once; second
 * half: inserts hang until the sink's insert timeout), then recovers — and the first successful insert after the
 * outage loses its acknowledgement (the rows land, the client sees an error). Asserted: no sink offset is committed
 * while ClickHouse is down; the partitions pause and the buffered rows stay bounded; after recovery every charge is
 * there exactly once (no physical duplicate: the retried batch carried the same insert_deduplication_token).
 *
 * OUTAGE_MS defaults to 8 s to keep `npm test` lean; the full 30 s runs with
 *   RATESTREAM_OUTAGE_MS=30000 npx vitest run --project integration test/reliability/streaming-sink-failure.test.ts
 * (bench/streaming-soak.sh does exactly that).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import type { SinkRole } from '../../engine/runtime/streaming/sink-role.ts';
import { openStore, type StoreClient } from '../../engine/store/client.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { kafkaBrokers, schemaRegistryUrl, uniqueName } from '../setup/env.ts';
import {
  caughtUp, demoCarrierInput, embeddedRun, kafkaPort, produceLines, queryDb, ROOT, sleep, SUMMARY_SQL,
} from '../integration/streaming-helpers.ts';

const OUTAGE_MS = Number(process.env.RATESTREAM_OUTAGE_MS ?? 8_000);
const PIPELINE = 'pipelines/demo-carrier-pooled.yaml';
const MAX_BUFFERED = 10_000;

/** A ClickHouse connection whose failures the test controls. */
class Faults {
  mode: 'ok' | 'error' | 'hang' = 'ok';
  loseNextAck = false;
  lostAcks = 0;
  failedCalls = 0;
  private release: Array<() => void> = [];

  wrap(store: StoreClient): StoreClient {
    const real = store.client;
    const command = async (params: Parameters<typeof real.command>[0]) => {
      const insert = /^\s*INSERT/i.test(params.query);
      if (insert && this.mode === 'error') { this.failedCalls++; throw new Error('connect ECONNREFUSED 127.0.0.1:8123 (simulated outage)'); }
      if (insert && this.mode === 'hang') {
        this.failedCalls++;
        await new Promise<void>((r) => this.release.push(r));
        throw new Error('socket hang up (simulated outage)');
      }
      const r = await real.command(params);
      if (insert && this.loseNextAck) {
        this.loseNextAck = false;
        this.lostAcks++;
        throw new Error('socket hang up after the insert was applied (simulated lost acknowledgement)');
      }
      return r;
    };
    const client = new Proxy(real, { get: (t, p) => (p === 'command' ? command : Reflect.get(t, p, t)) });
    return { ...store, client };
  }

  recover(): void {
    this.mode = 'ok';
    for (const r of this.release.splice(0)) r();
  }
}

describe(`streaming sink: ClickHouse down for ${OUTAGE_MS / 1000} s, then a lost acknowledgement`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-sinkfail-'));
  const name = uniqueName('ssink');
  const prefix = `${name}.`;
  let server: StreamServer | undefined;
  let store: StoreClient | undefined;
  afterAll(async () => {
    await server?.stop();
    await store?.close();
  });

  it('commits no offset early, stays bounded, loses and duplicates nothing', async () => {
    const { lines } = demoCarrierInput(join(dir, 'in'), 3, 10_000);
    const embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    writeFileSync(join(dir, 'serve.yaml'), [
      'kind: serve', `name: ${name}`, 'pipelines:', `  - ${join(ROOT, PIPELINE)}`,
      `topics: { prefix: "${prefix}", partitions: 3 }`, 'http: { host: 127.0.0.1, port: 0 }',
      `sink: { batch-rows: 1000, linger-ms: 100, max-buffered-rows: ${MAX_BUFFERED}, retry-max-ms: 500 }`,
      // a small fetch per partition keeps "memory bounded" meaningful at this scale
      'rate: { max-bytes-per-partition: 65536 }', 'mediate: { max-bytes-per-partition: 65536 }',
    ].join('\n'));
    process.env.KAFKA_BROKERS = kafkaBrokers().join(',');
    process.env.SCHEMA_REGISTRY_URL = schemaRegistryUrl();
    store = await openStore({ dbDir: join(dir, 'db') });
    const faults = new Faults();
    const metrics = new StreamMetrics({ defaultMetrics: false });
    server = new StreamServer(loadServeConfig(join(dir, 'serve.yaml')), { store: faults.wrap(store), log: pino({ level: 'warn' }), metrics, sink: { insertTimeoutMs: 1000 } });
    await server.start();
    await expect.poll(() => server!.ready().ready, { timeout: 60_000 }).toBe(true);
    const sink = server.roles.find((r) => r.role === 'sink') as SinkRole;
    const kafka = kafkaPort();
    const admin = kafka.admin();
    await admin.connect();
    const sinkOffsets = async () => JSON.stringify(await Promise.all(['udr', 'rated', 'dlq.mediation', 'dlq.rating'].map((t) => admin.committedOffsets(`${name}.sink`, `${prefix}${t}`))));

    await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines);
    await expect.poll(() => sink.acked, { timeout: 60_000, interval: 50 }).toBeGreaterThan(2);

    // outage: errors, then hanging inserts (timeouts)
    faults.mode = 'error';
    const t0 = Date.now();
    await sleep(300); // a flush in hand when the outage began may still finish
    const frozen = await sinkOffsets();
    const ackedAtFreeze = sink.acked;
    let maxBuffered = 0;
    let maxPaused = 0;
    let samples = 0;
    while (Date.now() - t0 < OUTAGE_MS) {
      if (faults.mode === 'error' && Date.now() - t0 > OUTAGE_MS / 2) faults.mode = 'hang';
      maxBuffered = Math.max(maxBuffered, sink.bufferedRows);
      const m = await metrics.registry.getSingleMetricAsString('ratestream_paused_partitions');
      maxPaused = Math.max(maxPaused, Number(/ (\d+)\s*$/.exec(m)?.[1] ?? 0));
      if (samples++ % 5 === 0) expect(await sinkOffsets()).toBe(frozen); // nothing committed while ClickHouse is down
      await sleep(200);
    }
    expect(await sinkOffsets()).toBe(frozen);
    expect(sink.acked).toBe(ackedAtFreeze);
    expect(faults.failedCalls).toBeGreaterThan(0);
    process.stderr.write(`[sink-failure] outage ${Date.now() - t0} ms: ${faults.failedCalls} failed insert calls, max buffered rows ${maxBuffered}, max paused partitions ${maxPaused}, offsets unchanged\n`);
    expect(maxPaused).toBeGreaterThan(0); // backpressure: partitions paused while the sink cannot write
    // bounded: the configured buffer plus at most one fetch (64 kB) per assigned partition (12)
    expect(maxBuffered).toBeLessThanOrEqual(MAX_BUFFERED + 12 * 1000);

    // recovery, and the first insert's acknowledgement is lost
    faults.loseNextAck = true;
    faults.recover();
    await expect.poll(() => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled']), { timeout: 180_000, interval: 500 }).toBe(true);
    expect(faults.lostAcks).toBe(1);
    await server.stop();
    server = undefined;
    await admin.disconnect();
    await embedded;

    const { EXACT_JSON_SETTINGS, queryRows } = await import('../../engine/store/client.ts');
    // exact JSON (64-bit integers and decimals as strings), as `ratestream query` prints them for the embedded side
    const [s] = await queryRows(store, SUMMARY_SQL.charges, undefined, EXACT_JSON_SETTINGS);
    const [raw] = await queryRows<{ raw_rows: string }>(store, SUMMARY_SQL.rawRows);
    const [e] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    process.stderr.write(`[sink-failure] streaming ${JSON.stringify(s)} raw rows ${raw!.raw_rows}\n[sink-failure] embedded  ${JSON.stringify(e)}\n`);
    expect(JSON.parse(JSON.stringify(s))).toEqual(e);
    expect(Number(raw!.raw_rows)).toBe(Number(s!.final_rows)); // the lost-ack batch was not stored twice
  });
});
