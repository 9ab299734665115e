/**
 * Done-when 4: two `serve --roles mediate,rate` processes share the partitions of one group; a third process runs the
 * sink (the in-process ClickHouse engine belongs to one process: with a ClickHouse server, sinks scale out the same
 * way). Stopping one mediate/rate process mid-run (SIGTERM) hands its partitions and their rating state to the other:
 * no record lost, no duplicate, and no allowance spent twice (pool debits equal one uninterrupted run).
 * Pools near exhaustion: the pooled catalog's contributions ×3 (scaledPoolsPipeline), so the pools run out one after
 * the other while the records are rated, several of them only after the handover.
 * Fused (`rate.with-mediation`): the two processes run the one stage (co-partitioned group: raw.<feed> k, udr k and
 * service-events-in k move together) and store directly; with the in-process engine each has its own data dir (a
 * ClickHouse server would be shared), so the ledger is the union of the two: every charge once across both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../setup/env.ts';
import {
  caughtUp, changelogPools, coreRunPools, demoCarrierInput, embeddedRun, freePort, kafkaPort, logTail, metric, produceLines, queryDb, scaledPoolsPipeline,
  scrape, type ServeProcess, spawnServe, stopServe, SUMMARY_SQL, waitReady, writeServeConfig,
} from '../integration/streaming-helpers.ts';

/** every charge of a ledger: id = amount (exact text), sorted */
const chargeList = async (db: string) => (await queryDb<{ c: string }>(db, 'SELECT concat(charge_id, \'=\', toString(amount)) AS c FROM charges FINAL ORDER BY c')).map((r) => r.c);

describe.each([
  { mode: 'separate roles', fused: false },
  { mode: 'fused (rate.with-mediation)', fused: true },
])('streaming: two processes share partitions, one leaves mid-run ($mode)', ({ fused }) => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-handover-'));
  const name = uniqueName(fused ? 'shandf' : 'shand');
  const prefix = `${name}.`;
  const procs: ServeProcess[] = [];
  afterAll(async () => {
    for (const p of procs) await stopServe(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands partitions and state over with no loss and no allowance spent twice', { timeout: 240_000 }, async () => {
    const { lines } = demoCarrierInput(join(dir, 'in'), 4, 10_000);
    const PIPELINE = scaledPoolsPipeline(dir, 3);
    const exhaustedAt = new Map<string, number>();
    const core = await coreRunPools(PIPELINE, lines, exhaustedAt);
    const embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const config = (db: string) => writeServeConfig(join(dir, `serve-${db}.yaml`), { name, prefix, pipelines: [PIPELINE], partitions: 4, dataDir: join(dir, db), extra: [
      'kafka: { session-timeout-ms: 6000 }',
      // small fetches (a few hundred records per batch): a's first batch must not be a whole partition's backlog, or
      // the handover comes after most pools already ran out (the faster the engine, the later it would come)
      `rate: { max-bytes-per-partition: 65536, with-mediation: ${fused} }`,
      ...(fused ? ['mediate: { max-bytes-per-partition: 65536, batch-bytes: 65536 }'] : []),
    ] });
    // separate: a and b mediate and rate, a third process sinks; fused: a and b run the stage and store, each in its own dir
    const sink = fused ? undefined : await spawnServe(config('db'), { roles: 'sink', port: freePort(), log: join(dir, 'sink.log') });
    if (sink) procs.push(sink);
    const a = await spawnServe(config(fused ? 'db-a' : 'db'), { roles: fused ? 'mediate,rate,sink' : 'mediate,rate', port: freePort(), log: join(dir, 'a.log') });
    procs.push(a);
    const b = await spawnServe(config(fused ? 'db-b' : 'db'), { roles: fused ? 'mediate,rate,sink' : 'mediate,rate', port: freePort(), log: join(dir, 'b.log') });
    procs.push(b);
    await Promise.all([...(sink ? [waitReady(sink.port)] : []), waitReady(a.port), waitReady(b.port)]);
    // both members own partitions of the udr topic (fused: of the stage's inputs — co-partitioned, 3 topics × 4)
    const role = fused ? 'mediate' : 'rate';
    await expect.poll(async () => {
      const [ma, mb] = await Promise.all([scrape(a.port), scrape(b.port)]);
      return metric(ma, 'ratestream_assigned_partitions', { role }) > 0 && metric(mb, 'ratestream_assigned_partitions', { role }) > 0;
    }, { timeout: 60_000, interval: 200 }).toBe(true);

    const kafka = kafkaPort();
    await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines);
    // a works a while, then leaves (graceful: finishes its batch, commits, leaves the group)
    await expect.poll(async () => metric(await scrape(a.port), 'ratestream_records_in_total', { role: 'rate' }) > 2000, { timeout: 60_000, interval: 100 }).toBe(true);
    const [ma, mb] = await Promise.all([scrape(a.port), scrape(b.port)]);
    const ratedByA = metric(ma, 'ratestream_records_in_total', { role: 'rate' });
    const ratedAtHandover = ratedByA + metric(mb, 'ratestream_records_in_total', { role: 'rate' });
    expect(await stopServe(a)).toBe(0);
    await expect.poll(async () => metric(await scrape(b.port), 'ratestream_assigned_partitions', { role }), { timeout: 60_000, interval: 200 }).toBe(fused ? 12 : 4);
    try {
      await expect.poll(() => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled'], 1500, undefined, fused ? 'direct' : 'topics', fused), { timeout: 180_000, interval: 1000 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(join(dir, 'b.log'))}`);
    }
    const ratedByB = metric(await scrape(b.port), 'ratestream_records_in_total', { role: 'rate' });
    process.stderr.write(`[handover] UDRs rated by a before it left: ${ratedByA}, by b: ${ratedByB}\n`);
    expect(await stopServe(b)).toBe(0);
    if (sink) expect(await stopServe(sink)).toBe(0);
    await embedded;

    const emb = join(dir, 'emb');
    if (!fused) {
      const db = join(dir, 'db');
      const [s] = await queryDb(db, SUMMARY_SQL.charges);
      const [e] = await queryDb(emb, SUMMARY_SQL.charges);
      process.stderr.write(`[handover] streaming ${JSON.stringify(s)}\n[handover] embedded  ${JSON.stringify(e)}\n`);
      expect(s).toEqual(e);
      const [raw] = await queryDb(db, SUMMARY_SQL.rawRows);
      expect(Number(raw!.raw_rows)).toBe(Number(s!.final_rows));
      expect(await queryDb(db, SUMMARY_SQL.pools)).toEqual(await queryDb(emb, SUMMARY_SQL.pools));
    } else {
      // the union of a's and b's ledgers = the embedded run's, every charge in exactly one of them, stored once
      const [ca, cb, ce] = await Promise.all([chargeList(join(dir, 'db-a')), chargeList(join(dir, 'db-b')), chargeList(emb)]);
      process.stderr.write(`[handover] charges stored by a: ${ca.length}, by b: ${cb.length}, embedded: ${ce.length}\n`);
      expect(ca.length).toBeGreaterThan(0);
      expect(cb.length).toBeGreaterThan(0);
      expect([...ca, ...cb].sort()).toEqual(ce);
      const raw = await Promise.all(['db-a', 'db-b'].map(async (d) => Number((await queryDb<{ raw_rows: string }>(join(dir, d), SUMMARY_SQL.rawRows))[0]!.raw_rows)));
      expect(raw[0]! + raw[1]!).toBe(ce.length);
    }
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
