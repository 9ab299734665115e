/**
 * Done-when 2: `kill -9` of the serving process three times mid-run, restarted each time on the same store and
 * group: 0 missing, 0 duplicate charges, the same totals and charges as the embedded `run`, and pool balances (the
 * rating-state changelog) equal to one uninterrupted run — with the pooled catalog, where rating depends on state.
 * Twice: the mediate and rate roles apart, and fused (`rate.with-mediation`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../setup/env.ts';
import {
  caughtUp, changelogPools, coreRunPools, demoCarrierInput, embeddedRun, freePort, kafkaPort, logTail, metric, produceLines, queryDb, scrape,
  type ServeProcess, sleep, spawnServe, stopServe, SUMMARY_SQL, waitReady, writeServeConfig,
} from '../integration/streaming-helpers.ts';

const PIPELINE = 'pipelines/demo-carrier-pooled.yaml';
const DAYS = Number(process.env.RATESTREAM_KILL_DAYS ?? 4);
const PER_DAY = Number(process.env.RATESTREAM_KILL_PER_DAY ?? 10_000);
const KILLS = 3;

describe.each([
  { mode: 'separate roles', withMediation: false },
  { mode: 'fused (rate.with-mediation)', withMediation: true },
])('streaming: kill -9 three times mid-run ($mode)', ({ withMediation }) => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-kill-'));
  const name = uniqueName(withMediation ? 'skillf' : 'skill');
  const prefix = `${name}.`;
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('no missing or duplicate charge, same totals, same pool balances', async () => {
    const { lines } = demoCarrierInput(join(dir, 'in'), DAYS, PER_DAY);
    const embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), { name, prefix, pipelines: [PIPELINE], partitions: 3, dataDir: join(dir, 'db'), extra: ['sink: { batch-rows: 2000, linger-ms: 200 }', 'kafka: { session-timeout-ms: 6000 }', `rate: { with-mediation: ${withMediation} }`] });
    const upToDate = () => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled'], 1500, undefined, 'direct', withMediation);
    const log = join(dir, 'serve.log');
    const kafka = kafkaPort();
    serve = await spawnServe(cfg, { port: freePort(), log });
    await waitReady(serve.port);
    await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines);

    for (let k = 1; k <= KILLS; k++) {
      // let it work: some rows acknowledged by ClickHouse in this life, then a little more, then kill -9
      const port = serve.port;
      // (a life that starts with the input already done has nothing to store: then kill it all the same)
      await expect.poll(async () => metric(await scrape(port), 'ratestream_clickhouse_rows_total', { table: 'charges' }) > 0 || (await upToDate()), { timeout: 60_000, interval: 100 }).toBe(true);
      await sleep(100 + 100 * k); // short: the direct store finishes this input in a few lives
      const done = await upToDate();
      process.stderr.write(`[streaming-kill] kill -9 #${k} (caught up already: ${done})\n`);
      await stopServe(serve, 'SIGKILL');
      serve = await spawnServe(cfg, { port: freePort(), log });
    }
    try {
      await expect.poll(upToDate, { timeout: 180_000, interval: 1000 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log)}`);
    }
    expect(await stopServe(serve)).toBe(0);
    serve = undefined;
    await embedded;

    const db = join(dir, 'db');
    const emb = join(dir, 'emb');
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(emb, SUMMARY_SQL.charges);
    process.stderr.write(`[streaming-kill] streaming ${JSON.stringify(s)}\n[streaming-kill] embedded  ${JSON.stringify(e)}\n`);
    expect(s).toEqual(e); // same charges (ids + amounts), same totals: 0 missing
    const [raw] = await queryDb(db, SUMMARY_SQL.rawRows);
    expect(Number(raw!.raw_rows)).toBe(Number(s!.final_rows)); // 0 duplicates, even before merges
    expect(await queryDb(db, SUMMARY_SQL.pools)).toEqual(await queryDb(emb, SUMMARY_SQL.pools));
    expect(await queryDb(db, SUMMARY_SQL.udrs)).toEqual(await queryDb(emb, SUMMARY_SQL.udrs));

    // pool balances in the changelog = one uninterrupted run of the core
    const pools = await changelogPools(kafka, prefix, 3);
    const core = await coreRunPools(PIPELINE, lines);
    expect(Object.keys(pools).length).toBeGreaterThan(0);
    expect(pools).toEqual(core);
  });
});
