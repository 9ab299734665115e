/**
 * What one ledger insert costs the in-process engine (chDB): working memory and CPU of inserting the same charge rows
 * as one Native block spanning the demo's two month partitions, and as one block per month inserted one after the
 * other (engine/store/month-split.ts, what UdrBlock / ChargeBlock give since the eleventh session).
 *
 *   npx tsx bench/insert-memory.ts [--records 100000] [--rows 23000] [--rounds 3]
 *
 * Runs a generated demo carrier day (`--records`) through `ratestream run`'s EmbeddedRunner into a temporary store,
 * writes `--rows` of its charges (a random pick, as a serve batch of one rate partition: both months mixed) to Native
 * files — all of them, and each month's — and inserts them into an empty copy of the charges table:
 * - memory: the smallest `max_memory_usage` an insert passes with (bisected to 0.5 MiB), per file;
 * - CPU: the process's user + system time around the inserts, the one-block insert and the per-month inserts
 *   alternated `--rounds` × 5 times (medians printed).
 * Prints one JSON line; the temporary store is removed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateDemoFeeds } from '../engine/demo/generate.ts';
import { loadPipeline } from '../engine/pipeline/load.ts';
import { EmbeddedRunner } from '../engine/runtime/embedded-runner.ts';
import { listInputs } from '../engine/runtime/sources/file.ts';
import { openStore, type StoreClient } from '../engine/store/client.ts';
import { LEDGER_INSERT_SETTINGS } from '../engine/store/ledger.ts';
import { migrate } from '../engine/store/migrate.ts';
import { sqlString } from '../engine/store/native.ts';
import { median } from './targets.ts';

const args = process.argv.slice(2);
const arg = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : d;
};
const records = Number(arg('records', '100000'));
const rows = Number(arg('rows', '23000'));
const rounds = Number(arg('rounds', '3'));

const dir = mkdtempSync(join(tmpdir(), 'rs-insert-mem-'));
try {
  generateDemoFeeds(join(dir, 'feeds'), { days: 1, perDay: records });
  const store = await openStore({ dbDir: join(dir, 'ch') });
  try {
    await migrate(store);
    const runner = new EmbeddedRunner(loadPipeline(resolve('pipelines/demo-carrier.yaml')), store);
    const inputs = listInputs(join(dir, 'feeds', 'carrier'));
    for (let i = 0; i < inputs.length; i++) await runner.runFile(inputs[i]!, undefined, i === inputs.length - 1);
    await runner.close();
    console.log(JSON.stringify(await measure(store)));
  } finally {
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function measure(s: StoreClient) {
  const run = (query: string, settings: Record<string, unknown> = {}) => s.client.command({ query, clickhouse_settings: settings as never });
  const files = join(s.where, 'user_files', 'insert-memory');
  mkdirSync(files, { recursive: true });
  const cols = (await (await s.client.query({ query: `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'charges' AND default_kind = '' ORDER BY position`, format: 'JSONEachRow' })).json() as { name: string }[]).map((r) => r.name).join(', ');
  const pick = `SELECT ${cols} FROM charges ORDER BY cityHash64(charge_id) LIMIT ${rows}`;
  const file = (name: string) => join(files, `${name}.native`);
  await run(`INSERT INTO FUNCTION file(${sqlString(file('all'))}, 'Native') ${pick}`);
  const months = (await (await s.client.query({ query: `SELECT toYYYYMM(event_time) AS m, count() AS n FROM (${pick}) GROUP BY m ORDER BY m`, format: 'JSONEachRow' })).json() as { m: number; n: string }[]);
  for (const { m } of months) await run(`INSERT INTO FUNCTION file(${sqlString(file(String(m)))}, 'Native') SELECT * FROM file(${sqlString(file('all'))}, 'Native') WHERE toYYYYMM(event_time) = ${m}`);
  const fresh = async () => {
    await run('DROP TABLE IF EXISTS insert_memory SYNC');
    await run('CREATE TABLE insert_memory AS charges');
  };
  const insert = (name: string, extra: Record<string, unknown> = {}) =>
    run(`INSERT INTO insert_memory (${cols}) SELECT * FROM file(${sqlString(file(name))}, 'Native')`, { ...LEDGER_INSERT_SETTINGS, ...extra });
  /** the smallest max_memory_usage the insert of `name` passes with */
  const need = async (name: string) => {
    let lo = 1 << 20;
    let hi = 512 << 20;
    while (hi - lo > 512 << 10) {
      const m = Math.floor((lo + hi) / 2);
      await fresh();
      try {
        await insert(name, { max_memory_usage: m });
        hi = m;
      } catch (e) {
        if (!/MEMORY_LIMIT_EXCEEDED|memory limit exceeded/i.test(String((e as Error).message))) throw e;
        lo = m;
      }
    }
    return Math.round((hi / 1048576) * 10) / 10;
  };
  const memory: Record<string, number> = { oneBlock: await need('all') };
  for (const { m } of months) memory[`month${m}`] = await need(String(m));
  const cpuMs = async (names: string[]) => {
    await fresh();
    const t = process.cpuUsage();
    for (const n of names) await insert(n);
    const d = process.cpuUsage(t);
    return (d.user + d.system) / 1000;
  };
  const one: number[] = [];
  const split: number[] = [];
  for (let i = 0; i < rounds * 5; i++) {
    one.push(await cpuMs(['all']));
    split.push(await cpuMs(months.map((x) => String(x.m))));
  }
  await run('DROP TABLE IF EXISTS insert_memory SYNC');
  rmSync(files, { recursive: true, force: true });
  return {
    rows, months: Object.fromEntries(months.map((x) => [x.m, Number(x.n)])), workingMemoryMiB: memory,
    perMonthPeakMiB: Math.max(...months.map((x) => memory[`month${x.m}`]!)),
    cpuMs: { oneBlock: Math.round(median(one)), perMonth: Math.round(median(split)), runs: rounds * 5 },
  };
}
