/**
 * Chaos scenario 2 (issue #13): kill -9 the Kafka broker mid-run and start it again after 20 s; `serve` waits and
 * recovers by itself (no restart of ours) and the charges equal the embedded `run` of the same input.
 * The broker is a separate instance started by `services.sh secure` (its plaintext listener; chaos.sh gives it its own
 * ports and run dir): the shared broker other runs use is never killed. Run by `bash bench/chaos.sh broker`; sizes by env: RATESTREAM_CHAOS_DAYS [10] ×
 * RATESTREAM_CHAOS_PER_DAY [10000] demo carrier records, RATESTREAM_CHAOS_BROKER_DOWN_S [20], seed = the demo
 * generator's. Prints one `[broker] {…}` summary line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkajsPort } from '../../engine/runtime/kafka/kafkajs-adapter.ts';
import { uniqueName } from '../../test/setup/env.ts';
import { type SecuredKafka, startSecuredKafka } from '../../test/setup/services.ts';
import {
  demoCarrierInput, embeddedRun, expectedCounts, freePort, logTail, metric, peakRssMiB, produceLines, queryDb, scrape, type ServeProcess, sleep, spawnServe,
  stopServe, SUMMARY_SQL, waitReady, writeServeConfig,
} from '../../test/integration/streaming-helpers.ts';

const DAYS = Number(process.env.RATESTREAM_CHAOS_DAYS ?? 10);
const PER_DAY = Number(process.env.RATESTREAM_CHAOS_PER_DAY ?? 10_000);
const DOWN_S = Number(process.env.RATESTREAM_CHAOS_BROKER_DOWN_S ?? 20);


describe('chaos: broker crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-chaos-broker-'));
  let sec: SecuredKafka | undefined;
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    await sec?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`kill -9 of the broker mid-run, back after ${DOWN_S} s: serve recovers by itself, charges equal the embedded run`, async () => {
    sec = await startSecuredKafka();
    const { lines } = demoCarrierInput(join(dir, 'in'), DAYS, PER_DAY);
    const embedded = embeddedRun('pipelines/demo-carrier.yaml', join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const name = uniqueName('cbroker');
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
      name, prefix: `${name}.`, pipelines: ['pipelines/demo-carrier.yaml'], partitions: 4, dataDir: join(dir, 'db'),
      extra: ['kafka:', `  brokers: [${sec.plaintextBrokers.join(', ')}]`, '  session-timeout-ms: 10000', 'sink: { linger-ms: 200 }'],
    });
    const port = freePort();
    const log = join(dir, 'serve.log');
    serve = await spawnServe(cfg, { port, log });
    await waitReady(port);
    const kafka = createKafkajsPort({ brokers: sec.plaintextBrokers, clientId: 'chaos-broker' }, { logger: pino({ level: 'error' }) });
    const t0 = Date.now();
    await produceLines(kafka, `${name}.raw.carrier-cdr`, lines);
    await embedded;
    const want = await expectedCounts(join(dir, 'emb'));
    const charges = async () => metric(await scrape(port), 'ratestream_clickhouse_rows_total', { table: 'charges' });
    await expect.poll(async () => (await charges()) > want.charges * 0.2, { timeout: 600_000, interval: 200 }).toBe(true);
    const atKill = await charges();
    process.kill(sec.pid(), 'SIGKILL');
    await sleep(DOWN_S * 1000);
    const aliveWhileDown = serve.child.exitCode === null;
    await sec.restart();
    try {
      await expect.poll(async () => {
        if (serve!.child.exitCode !== null) throw new Error(`serve exited with ${serve!.child.exitCode}`);
        const m = await scrape(port);
        return metric(m, 'ratestream_clickhouse_rows_total', { table: 'charges' }) >= want.charges && metric(m, 'ratestream_clickhouse_rows_total', { table: 'rejects' }) >= want.rejects;
      }, { timeout: 900_000, interval: 1000 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log, 60)}`);
    }
    const seconds = (Date.now() - t0) / 1000;
    const rss = peakRssMiB(serve.child.pid);
    expect(aliveWhileDown).toBe(true);
    expect(await stopServe(serve)).toBe(0);
    serve = undefined;
    const [s] = await queryDb(join(dir, 'db'), SUMMARY_SQL.charges);
    const [e] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    const [raw] = await queryDb<{ raw_rows: string }>(join(dir, 'db'), SUMMARY_SQL.rawRows);
    expect(s).toEqual(e);
    process.stderr.write(`[broker] ${JSON.stringify({
      recordsIn: lines.length, charges: Number(s!.final_rows), missing: Number(e!.udrs) - Number(s!.udrs), duplicateRowsBeforeMerge: Number(raw!.raw_rows) - Number(s!.final_rows),
      totalsVsEmbedded: s!.total === e!.total ? `equal (${s!.total})` : `${s!.total} vs ${e!.total}`, chargesAtKill: atKill, brokerDownSeconds: DOWN_S,
      serveStayedUp: aliveWhileDown, seconds, peakRssMiB: rss,
    })}\n`);
  });
});
