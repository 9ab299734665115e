/**
 * Done-when 1: 100k records raw → udr → rated → ClickHouse through one `serve` process (all roles, 4 partitions):
 * exactly one charge per UDR, and counts, totals and every (charge id, amount) equal to the embedded `run` on the same
 * input. Also done-when 5 (readiness before assignment/restore, the metrics).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../setup/env.ts';
import {
  demoCarrierInput, embeddedRun, expectedCounts, freePort, kafkaPort, logTail, metric, produceLines, queryDb, readyz, scrape,
  type ServeProcess, spawnServe, stopServe, SUMMARY_SQL, writeServeConfig,
} from './streaming-helpers.ts';

const DAYS = Number(process.env.RATESTREAM_100K_DAYS ?? 10);
const PER_DAY = Number(process.env.RATESTREAM_100K_PER_DAY ?? 10_000);

describe('streaming: 100k records, one serve process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-100k-'));
  const name = uniqueName('s100k');
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
  });

  it('exactly one charge per UDR; totals and charges equal the embedded run', async () => {
    const { lines } = demoCarrierInput(join(dir, 'in'), DAYS, PER_DAY);
    expect(lines.length).toBeGreaterThanOrEqual(DAYS * PER_DAY);
    const embedded = embeddedRun('pipelines/demo-carrier.yaml', join(dir, 'in', 'carrier'), join(dir, 'emb'));

    const cfg = writeServeConfig(join(dir, 'serve.yaml'), { name, prefix: `${name}.`, pipelines: ['pipelines/demo-carrier.yaml'], partitions: 4, dataDir: join(dir, 'db'),
      // the roles apart (raw → udr → rated), not the fused stage serve runs by default
      extra: ['rate: { with-mediation: false }'] });
    const port = freePort();
    serve = await spawnServe(cfg, { port, log: join(dir, 'serve.log') });
    // done-when 5: not ready before the partitions are assigned and the state restored
    const statuses: number[] = [];
    for (;;) {
      const r = await readyz(port);
      if (r) statuses.push(r.status);
      if (r?.status === 200) {
        expect(r.body).toMatchObject({ ready: true, roles: { sink: true, rate: true, mediate: true } });
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(statuses[0]).toBe(503);

    const kafka = kafkaPort();
    const t0 = Date.now();
    await produceLines(kafka, `${name}.raw.carrier-cdr`, lines);
    await embedded;
    const want = await expectedCounts(join(dir, 'emb'));
    try {
      await expect.poll(async () => {
        const m = await scrape(port);
        return metric(m, 'ratestream_clickhouse_rows_total', { table: 'charges' }) >= want.charges && metric(m, 'ratestream_clickhouse_rows_total', { table: 'udrs' }) >= want.udrs
          && metric(m, 'ratestream_clickhouse_rows_total', { table: 'rejects' }) >= want.rejects;
      }, { timeout: 240_000, interval: 500 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(join(dir, 'serve.log'))}`);
    }
    const seconds = (Date.now() - t0) / 1000;
    process.stderr.write(`[streaming-100k] ${lines.length} records end to end in ${seconds.toFixed(1)} s = ${Math.round(lines.length / seconds)} records/s\n`);

    // done-when 5: the metrics
    const m = await scrape(port);
    for (const name of ['ratestream_records_in_total', 'ratestream_records_out_total', 'ratestream_records_ignored_total', 'ratestream_records_rejected_total',
      'ratestream_batch_duration_seconds_count', 'ratestream_consumer_lag', 'ratestream_transaction_aborts_total', 'ratestream_transactions_committed_total',
      'ratestream_clickhouse_insert_duration_seconds_count', 'ratestream_clickhouse_rows_total', 'ratestream_sink_buffered_rows', 'ratestream_ready']) {
      expect([...m.keys()].some((k) => k === name || k.startsWith(`${name}{`)), name).toBe(true);
    }
    expect(metric(m, 'ratestream_records_in_total', { role: 'mediate', feed: 'carrier-cdr' })).toBe(lines.length);
    expect(metric(m, 'ratestream_records_ignored_total', { feed: 'carrier-cdr', reason: 'only-record-type-6' })).toBeGreaterThan(0);
    expect(metric(m, 'ratestream_records_rejected_total', { stage: 'mediation', reason: 'UNKNOWN_ACCOUNT' })).toBeGreaterThan(0);
    // lag = log end − next offset; on transactional topics the log ends with a commit marker (one offset per partition)
    expect(metric(m, 'ratestream_consumer_lag', { role: 'rate' })).toBeLessThanOrEqual(4);
    expect(metric(m, 'ratestream_ready')).toBe(1);

    expect(await stopServe(serve)).toBe(0); // graceful SIGTERM: exit 0
    serve = undefined;
    const db = join(dir, 'db');
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    process.stderr.write(`[streaming-100k] streaming ${JSON.stringify(s)}\n[streaming-100k] embedded  ${JSON.stringify(e)}\n`);
    expect(s).toEqual(e);
    expect(Number(s!.final_rows)).toBe(Number(s!.udrs)); // one charge per UDR
    const [raw] = await queryDb(db, SUMMARY_SQL.rawRows);
    expect(Number(raw!.raw_rows)).toBe(Number(s!.final_rows)); // no duplicate even before merges
    expect(await queryDb(db, SUMMARY_SQL.udrs)).toEqual(await queryDb(join(dir, 'emb'), SUMMARY_SQL.udrs));
    const rj = 'SELECT reason, stage, count() AS n FROM rejects FINAL GROUP BY reason, stage ORDER BY reason, stage';
    expect(await queryDb(db, rj)).toEqual(await queryDb(join(dir, 'emb'), rj));
  });
});
