/**
 * Done-when 4: two `serve --roles mediate,rate` processes share the partitions of one group; a third process runs the
 * sink (the in-process ClickHouse engine belongs to one process: with a ClickHouse server, sinks scale out the same
 * way). Stopping one mediate/rate process mid-run (SIGTERM) hands its partitions and their rating state to the other:
 * no record lost, no duplicate, and no allowance spent twice (pool debits equal one uninterrupted run).
 * Pools near exhaustion: the pooled catalog's contributions ×3 (scaledPoolsPipeline), so the pools run out one after
 * the other while the records are rated, several of them only after the handover.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../setup/env.ts';
import {
  caughtUp, changelogPools, coreRunPools, demoCarrierInput, embeddedRun, freePort, kafkaPort, logTail, metric, produceLines, queryDb, scaledPoolsPipeline,
  scrape, type ServeProcess, spawnServe, stopServe, SUMMARY_SQL, waitReady, writeServeConfig,
} from '../integration/streaming-helpers.ts';

describe('streaming: two processes share partitions, one leaves mid-run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-handover-'));
  const name = uniqueName('shand');
  const prefix = `${name}.`;
  const procs: ServeProcess[] = [];
  afterAll(async () => {
    for (const p of procs) await stopServe(p, 'SIGKILL');
  });

  it('hands partitions and state over with no loss and no allowance spent twice', { timeout: 240_000 }, async () => {
    const { lines } = demoCarrierInput(join(dir, 'in'), 4, 10_000);
    const PIPELINE = scaledPoolsPipeline(dir, 3);
    const exhaustedAt = new Map<string, number>();
    const core = await coreRunPools(PIPELINE, lines, exhaustedAt);
    const embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), { name, prefix, pipelines: [PIPELINE], partitions: 4, dataDir: join(dir, 'db'), extra: [
      'kafka: { session-timeout-ms: 6000 }',
      // small rate fetches (a few hundred UDRs per batch): a's first batch must not be a whole partition's backlog, or
      // the handover comes after most pools already ran out (the faster the engine, the later it would come)
      'rate: { max-bytes-per-partition: 65536 }',
    ] });
    const sink = await spawnServe(cfg, { roles: 'sink', port: freePort(), log: join(dir, 'sink.log') });
    procs.push(sink);
    const a = await spawnServe(cfg, { roles: 'mediate,rate', port: freePort(), log: join(dir, 'a.log') });
    procs.push(a);
    const b = await spawnServe(cfg, { roles: 'mediate,rate', port: freePort(), log: join(dir, 'b.log') });
    procs.push(b);
    await Promise.all([waitReady(sink.port), waitReady(a.port), waitReady(b.port)]);
    // both members own partitions of the udr topic
    await expect.poll(async () => {
      const [ma, mb] = await Promise.all([scrape(a.port), scrape(b.port)]);
      return metric(ma, 'ratestream_assigned_partitions', { role: 'rate' }) > 0 && metric(mb, 'ratestream_assigned_partitions', { role: 'rate' }) > 0;
    }, { timeout: 60_000, interval: 200 }).toBe(true);

    const kafka = kafkaPort();
    await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines);
    // a works a while, then leaves (graceful: finishes its batch, commits, leaves the group)
    await expect.poll(async () => metric(await scrape(a.port), 'ratestream_records_in_total', { role: 'rate' }) > 2000, { timeout: 60_000, interval: 100 }).toBe(true);
    const [ma, mb] = await Promise.all([scrape(a.port), scrape(b.port)]);
    const ratedByA = metric(ma, 'ratestream_records_in_total', { role: 'rate' });
    const ratedAtHandover = ratedByA + metric(mb, 'ratestream_records_in_total', { role: 'rate' });
    expect(await stopServe(a)).toBe(0);
    await expect.poll(async () => metric(await scrape(b.port), 'ratestream_assigned_partitions', { role: 'rate' }), { timeout: 60_000, interval: 200 }).toBe(4);
    try {
      await expect.poll(() => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled'], 1500, undefined, 'topics'), { timeout: 180_000, interval: 1000 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(join(dir, 'b.log'))}`);
    }
    const ratedByB = metric(await scrape(b.port), 'ratestream_records_in_total', { role: 'rate' });
    process.stderr.write(`[handover] UDRs rated by a before it left: ${ratedByA}, by b: ${ratedByB}\n`);
    expect(await stopServe(b)).toBe(0);
    expect(await stopServe(sink)).toBe(0);
    await embedded;

    const db = join(dir, 'db');
    const emb = join(dir, 'emb');
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(emb, SUMMARY_SQL.charges);
    process.stderr.write(`[handover] streaming ${JSON.stringify(s)}\n[handover] embedded  ${JSON.stringify(e)}\n`);
    expect(s).toEqual(e);
    const [raw] = await queryDb(db, SUMMARY_SQL.rawRows);
    expect(Number(raw!.raw_rows)).toBe(Number(s!.final_rows));
    expect(await queryDb(db, SUMMARY_SQL.pools)).toEqual(await queryDb(emb, SUMMARY_SQL.pools));
    const pools = await changelogPools(kafka, prefix, 4);
    expect(pools).toEqual(core);
    for (const p of Object.values(pools) as { used: number; size: number }[]) expect(p.used).toBeLessThanOrEqual(p.size);
    // every pool ran out during the run, and not all of them before the handover
    expect([...exhaustedAt.keys()].sort()).toEqual(Object.keys(core).sort());
    const after = [...exhaustedAt.values()].filter((n) => n > ratedAtHandover).length;
    process.stderr.write(`[handover] pools exhausted: ${exhaustedAt.size}, ${after} of them past input line ${ratedAtHandover} (UDRs rated by a and b when a began to leave)\n`);
    expect(after).toBeGreaterThan(0);
  });
});
