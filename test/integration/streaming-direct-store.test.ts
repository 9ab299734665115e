/**
 * `rate.store: direct` (the default `auto` with the sink and rate roles in one process): the rate role writes UDRs,
 * charges, rating rejects and billing state straight to ClickHouse with offset-range dedup tokens
 * `rate:<topic>:<partition>:<first>-<last>:<table>`, before the batch's Kafka transaction commits; the sink reads only
 * the mediation DLQs. One `serve` child process (all roles, 3 partitions, small fetches: many batches) on the pooled demo
 * catalog; it is made to die by SIGKILL right after a ClickHouse insert was acknowledged and before the batch's
 * transaction committed (RATESTREAM_FAULT_KILL_AFTER_STORE), then started again on the same group and data dir.
 * Asserted:
 *  - the restarted process re-cut the announced batch (log line) — the scenario really happened;
 *  - charges, UDRs and rejects equal the embedded `run` of the same files (ids, amounts, totals, reject reasons and
 *    source coordinates), pool balances too;
 *  - no physical duplicate: count() without FINAL equals the FINAL count for charges, UDRs and rejects;
 *  - nothing went to the rated or billing-state topics (the rated topic is an optional output now).
 * Run twice: with the mediate and rate roles apart (UDRs through the udr topic), and fused (`rate.with-mediation`: a
 * raw partition's UDRs whose rating key hashes to it are rated in its mediation transaction; the raw lines are keyed
 * by the account-tree root, lines without a calling number go unkeyed and their UDRs through the udr topic).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../setup/env.ts';
import {
  caughtUp, demoCarrierInput, embeddedRun, freePort, kafkaPort, logTail, produceLines, queryDb, type ServeProcess, spawnServe, stopServe,
  SUMMARY_SQL, waitReady, writeServeConfig,
} from './streaming-helpers.ts';

const PIPELINE = 'pipelines/demo-carrier-pooled.yaml';
// source coordinates differ by mode (file:line vs topic/partition/offset): compared per stage and reason
const REJECTS_SQL = 'SELECT stage, reason, count() AS n FROM rejects FINAL GROUP BY stage, reason ORDER BY stage, reason';
const RAW_SQL = 'SELECT (SELECT count() FROM charges) AS charges, (SELECT count() FROM udrs) AS udrs, (SELECT count() FROM rejects) AS rejects';
const FINAL_SQL = 'SELECT (SELECT count() FROM charges FINAL) AS charges, (SELECT count() FROM udrs FINAL) AS udrs, (SELECT count() FROM rejects FINAL) AS rejects';

describe.each([
  { mode: 'separate roles', withMediation: false },
  { mode: 'fused (rate.with-mediation)', withMediation: true },
])('streaming: rate.store direct — the rate role stores into ClickHouse, exactly once ($mode)', ({ withMediation }) => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-direct-'));
  const name = uniqueName(withMediation ? 'sfused' : 'sdirect');
  const prefix = `${name}.`;
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('equals the embedded run; a kill -9 between insert and commit duplicates nothing', async () => {
    const input = demoCarrierInput(join(dir, 'in'), 2, 4000);
    // fused: a third of the accounts keyed "wrongly" (their root plus a suffix: all their lines still in one raw
    // partition, in order), so the UDRs of those whose suffixed key hashes to another partition take the udr topic
    const misroute = (k: string) => [...k].reduce((n, c) => n + c.charCodeAt(0), 0) % 3 === 0;
    const lines = withMediation ? input.lines.map((l) => (l.key !== null && misroute(l.key) ? { ...l, key: `${l.key}~` } : l)) : input.lines;
    const embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
      name, prefix, pipelines: [PIPELINE], partitions: 3, dataDir: join(dir, 'db'),
      extra: [`rate: { max-bytes-per-partition: 16384, with-mediation: ${withMediation} }`, 'mediate: { max-bytes-per-partition: 16384 }', 'kafka: { session-timeout-ms: 6000 }'],
    });
    const log = join(dir, 'serve.log');
    const kafka = kafkaPort();
    // first life: dies right after its 4th acknowledged direct insert, before that batch's transaction commits
    serve = await spawnServe(cfg, { port: freePort(), log, env: { RATESTREAM_FAULT_KILL_AFTER_STORE: '4' } });
    await waitReady(serve.port);
    const half = Math.floor(lines.length / 2);
    // small sends: each is its own record batch, so the roles see many small batches (a fetch returns whole batches)
    for (let i = 0; i < half; i += 250) await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines.slice(i, Math.min(i + 250, half)));
    const first = serve;
    const signal = await Promise.race([first.exited.then(() => first.child.signalCode), new Promise((r) => setTimeout(() => r('timeout'), 120_000))]);
    expect(signal, logTail(log)).toBe('SIGKILL');
    serve = await spawnServe(cfg, { port: freePort(), log });
    await waitReady(serve.port);
    for (let i = half; i < lines.length; i += 250) await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines.slice(i, i + 250));
    try {
      await expect.poll(() => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled'], 1500, undefined, 'direct', withMediation), { timeout: 180_000, interval: 500 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log)}`);
    }
    expect(await stopServe(serve)).toBe(0);
    serve = undefined;
    await embedded;
    expect(readFileSync(log, 'utf8')).toContain('cutting the batch an earlier owner announced');

    const db = join(dir, 'db');
    const emb = join(dir, 'emb');
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(emb, SUMMARY_SQL.charges);
    process.stderr.write(`[direct-store] streaming ${JSON.stringify(s)}\n[direct-store] embedded  ${JSON.stringify(e)}\n`);
    expect(Number(e!.ids)).toBeGreaterThan(1000);
    expect(s).toEqual(e);
    expect(await queryDb(db, SUMMARY_SQL.udrs)).toEqual(await queryDb(emb, SUMMARY_SQL.udrs));
    const rejects = await queryDb(db, REJECTS_SQL);
    expect(rejects.length).toBeGreaterThan(0);
    expect(rejects).toEqual(await queryDb(emb, REJECTS_SQL));
    expect(await queryDb(db, SUMMARY_SQL.pools)).toEqual(await queryDb(emb, SUMMARY_SQL.pools));
    expect(await queryDb(db, SUMMARY_SQL.poolBalances)).toEqual(await queryDb(emb, SUMMARY_SQL.poolBalances));
    // no physical duplicate (count() without FINAL)
    const [raw] = await queryDb(db, RAW_SQL);
    const [fin] = await queryDb(db, FINAL_SQL);
    process.stderr.write(`[direct-store] rows ${JSON.stringify(raw)} (FINAL ${JSON.stringify(fin)})\n`);
    expect(raw).toEqual(fin);

    // the rated and billing-state topics stayed empty: nothing was produced there
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const t of ['rated', 'billing-state']) {
        const ends = await admin.endOffsets(`${prefix}${t}`);
        expect(ends.every((o) => o.offset === '0'), t).toBe(true);
      }
      // fused: the UDRs of keyed lines were rated where they were mediated; the unkeyed lines' UDRs whose key hashes to
      // another partition (and transaction markers) went through the udr topic. Apart: every UDR did.
      const viaTopic = (await admin.endOffsets(`${prefix}udr`)).reduce((n, o) => n + Number(o.offset), 0);
      const udrs = Number(fin!.udrs);
      process.stderr.write(`[direct-store] udr topic offsets ${viaTopic} for ${udrs} UDRs\n`);
      if (withMediation) {
        expect(viaTopic).toBeGreaterThan(udrs / 20);
        expect(viaTopic).toBeLessThan(udrs / 2);
      }
      else expect(viaTopic).toBeGreaterThanOrEqual(udrs);
    } finally {
      await admin.disconnect();
    }
  });
});
