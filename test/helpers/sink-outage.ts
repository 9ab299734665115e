/**
 * The sink-outage scenario shared by test/reliability/streaming-sink-failure.test.ts (8 s, in `npm test`) and
 * bench/chaos/sink-outage.test.ts (60 s, `bash bench/chaos.sh sink`): one in-process `serve` (all roles, the pooled
 * demo pipeline) whose ClickHouse connection (SinkFaults) fails for `outageMs` — first half every insert errors, second
 * half inserts hang until the sink's insert timeout — and then recovers with the first successful insert's
 * acknowledgement lost. It measures what the tests assert: the sink's committed offsets and acknowledged batches
 * while ClickHouse is down, the sink's buffered rows and paused partitions, the process's resident memory, and the
 * store against the embedded `run` of the same input. The caller owns `dir` (and removes it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import type { SinkRole } from '../../engine/runtime/streaming/sink-role.ts';
import { EXACT_JSON_SETTINGS, openStore, queryRows } from '../../engine/store/client.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { kafkaBrokers, schemaRegistryUrl, uniqueName } from '../setup/env.ts';
import { caughtUp, demoCarrierInput, embeddedRun, kafkaPort, produceLines, queryDb, ROOT, sleep, SUMMARY_SQL } from '../integration/streaming-helpers.ts';
import { SinkFaults } from './sink-faults.ts';

const PIPELINE = 'pipelines/demo-carrier-pooled.yaml';

export interface SinkOutageOptions {
  dir: string;
  outageMs: number;
  days: number;
  perDay: number;
  /** sink.max-buffered-rows */
  maxBuffered: number;
  /** how long recovery may take until everything is committed */
  recoveryTimeoutMs?: number;
}

export interface SinkOutageResult {
  recordsIn: number;
  outageMs: number;
  /** insert calls that failed while ClickHouse was down (errors + hangs), of them hanging until the insert timeout */
  failedCalls: number;
  hungCalls: number;
  lostAcks: number;
  /** samples of the sink's committed offsets during the outage, and how many differed from the ones at its start */
  offsetSamples: number;
  offsetSamplesChanged: number;
  /** batches the sink counted as acknowledged during the outage */
  ackedDuringOutage: number;
  maxBufferedRows: number;
  maxPausedPartitions: number;
  /** resident memory of this process (serve runs in it) in MiB: at the outage's start, its peak during it, and peak overall */
  rssAtOutageMiB: number;
  rssPeakInOutageMiB: number;
  peakRssMiB: number;
  /** first record produced → everything committed */
  seconds: number;
  streaming: Record<string, unknown>;
  embedded: Record<string, unknown>;
  rawRows: number;
  udrs: { streaming: number; embedded: number };
}

const rssMiB = () => Math.round(process.memoryUsage().rss / 1048576);

export async function runSinkOutage(o: SinkOutageOptions): Promise<SinkOutageResult> {
  const { dir } = o;
  const name = uniqueName('ssink');
  const prefix = `${name}.`;
  const { lines } = demoCarrierInput(join(dir, 'in'), o.days, o.perDay);
  const embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
  writeFileSync(join(dir, 'serve.yaml'), [
    'kind: serve', `name: ${name}`, 'pipelines:', `  - ${join(ROOT, PIPELINE)}`,
    `topics: { prefix: "${prefix}", partitions: 3 }`, 'http: { host: 127.0.0.1, port: 0 }',
    `sink: { batch-rows: 1000, linger-ms: 100, max-buffered-rows: ${o.maxBuffered}, retry-max-ms: 500 }`,
    // a small fetch per partition keeps "memory bounded" meaningful at this scale
    // the sink's own outage handling: the rate role produces to the topics (rate.store direct has its own retry loop)
    'rate: { max-bytes-per-partition: 65536, store: topics }', 'mediate: { max-bytes-per-partition: 65536 }',
  ].join('\n'));
  process.env.KAFKA_BROKERS = kafkaBrokers().join(',');
  process.env.SCHEMA_REGISTRY_URL = schemaRegistryUrl();
  const store = await openStore({ dbDir: join(dir, 'db') });
  const faults = new SinkFaults();
  const metrics = new StreamMetrics({ defaultMetrics: false });
  let server: StreamServer | undefined = new StreamServer(loadServeConfig(join(dir, 'serve.yaml')), {
    store: faults.wrap(store), log: pino({ level: 'warn' }), metrics, sink: { insertTimeoutMs: 1000 },
  });
  const kafka = kafkaPort();
  const admin = kafka.admin();
  try {
    await server.start();
    for (const deadline = Date.now() + 60_000; !server.ready().ready;) {
      if (Date.now() > deadline) throw new Error('serve not ready in 60 s');
      await sleep(100);
    }
    const sink = server.roles.find((r) => r.role === 'sink') as SinkRole;
    await admin.connect();
    const sinkOffsets = async () => JSON.stringify(await Promise.all(['udr', 'rated', 'dlq.mediation', 'dlq.rating'].map((t) => admin.committedOffsets(`${name}.sink`, `${prefix}${t}`))));

    const tStart = Date.now();
    await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines);
    for (const deadline = Date.now() + 60_000; sink.acked <= 2;) {
      if (Date.now() > deadline) throw new Error(`the sink acknowledged ${sink.acked} batches in 60 s`);
      await sleep(50);
    }

    // outage: errors, then hanging inserts (timeouts)
    faults.mode = 'error';
    const t0 = Date.now();
    await sleep(300); // a flush in hand when the outage began may still finish
    const frozen = await sinkOffsets();
    const ackedAtFreeze = sink.acked;
    const rssAtOutageMiB = rssMiB();
    let rssPeakInOutageMiB = rssAtOutageMiB;
    let maxBufferedRows = 0;
    let maxPausedPartitions = 0;
    let offsetSamples = 0;
    let offsetSamplesChanged = 0;
    for (let i = 0; Date.now() - t0 < o.outageMs; i++) {
      if (faults.mode === 'error' && Date.now() - t0 > o.outageMs / 2) faults.mode = 'hang';
      maxBufferedRows = Math.max(maxBufferedRows, sink.bufferedRows);
      rssPeakInOutageMiB = Math.max(rssPeakInOutageMiB, rssMiB());
      const m = await metrics.registry.getSingleMetricAsString('ratestream_paused_partitions');
      maxPausedPartitions = Math.max(maxPausedPartitions, Number(/ (\d+)\s*$/.exec(m)?.[1] ?? 0));
      if (i % 5 === 0) {
        offsetSamples++;
        if ((await sinkOffsets()) !== frozen) offsetSamplesChanged++;
      }
      await sleep(200);
    }
    offsetSamples++;
    if ((await sinkOffsets()) !== frozen) offsetSamplesChanged++;
    const ackedDuringOutage = sink.acked - ackedAtFreeze;
    const outageMs = Date.now() - t0;

    // recovery, and the first insert's acknowledgement is lost
    faults.loseNextAck = true;
    faults.recover();
    for (const deadline = Date.now() + (o.recoveryTimeoutMs ?? 180_000); !(await caughtUp(kafka, name, prefix, ['carrier-cdr-pooled'], 1500, undefined, 'topics'));) {
      if (Date.now() > deadline) throw new Error(`not caught up ${(o.recoveryTimeoutMs ?? 180_000) / 1000} s after the outage`);
      await sleep(500);
    }
    const seconds = (Date.now() - tStart) / 1000;
    await server.stop();
    server = undefined;
    await embedded;

    // exact JSON (64-bit integers and decimals as strings), as `ratestream query` prints them for the embedded side
    const [s] = await queryRows(store, SUMMARY_SQL.charges, undefined, EXACT_JSON_SETTINGS);
    const [raw] = await queryRows<{ raw_rows: string }>(store, SUMMARY_SQL.rawRows);
    const [u] = await queryRows<{ n: string }>(store, SUMMARY_SQL.udrs);
    const [e] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    const [eu] = await queryDb<{ n: string }>(join(dir, 'emb'), SUMMARY_SQL.udrs);
    return {
      recordsIn: lines.length, outageMs, failedCalls: faults.failedCalls, hungCalls: faults.hungCalls, lostAcks: faults.lostAcks,
      offsetSamples, offsetSamplesChanged, ackedDuringOutage, maxBufferedRows, maxPausedPartitions,
      rssAtOutageMiB, rssPeakInOutageMiB, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), seconds,
      streaming: JSON.parse(JSON.stringify(s)) as Record<string, unknown>, embedded: e!, rawRows: Number(raw!.raw_rows),
      udrs: { streaming: Number(u!.n), embedded: Number(eu!.n) },
    };
  } finally {
    await server?.stop();
    await admin.disconnect().catch(() => undefined);
    await store.close();
  }
}
