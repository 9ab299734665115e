/**
 * Native block inserts into the in-process ClickHouse engine (chDB), for real: the rows stored through
 * `INSERT … SELECT … FROM file(…, 'Native')` equal the TSV path's rows byte for byte (`SELECT … FORMAT TSV`), a batch
 * inserted twice with its token is stored once, money is exact, and leftover insert files of a dead process are removed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMoney } from '../../engine/core/money.ts';
import type { Charge, Udr } from '../../engine/core/types.ts';
import { generateDemoFeeds } from '../../engine/demo/generate.ts';
import { loadPipeline } from '../../engine/pipeline/load.ts';
import { EmbeddedRunner } from '../../engine/runtime/embedded-runner.ts';
import { listInputs } from '../../engine/runtime/sources/file.ts';
import { openStore, type StoreClient } from '../../engine/store/client.ts';
import { writeBatch } from '../../engine/store/ledger.ts';
import { ChargeBlock, insertsDir, removeStaleInserts, UdrBlock, writeNative } from '../../engine/store/ledger-native.ts';
import { migrate } from '../../engine/store/migrate.ts';

const UDR_SELECT = 'SELECT * EXCEPT ingested_at FROM {t}.udrs ORDER BY feed, udr_id';
const CHARGE_SELECT = 'SELECT * EXCEPT rated_at FROM {t}.charges ORDER BY account, charge_id';

/** a database of the one in-process engine (openStore creates the database only for the engine's first opener) */
async function openDb(dir: string, database: string): Promise<StoreClient> {
  const s = await openStore({ dbDir: join(dir, 'ch'), database });
  await s.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await migrate(s);
  return s;
}

async function tsv(s: StoreClient, sql: string): Promise<string> {
  const r = await s.client.query({ query: sql.replace('{t}', s.database), format: 'TSV' as never });
  return r.text();
}

const tricky = 'tab\there, new\nline, back\\slash, quote \' "dq", ünïcødé €, 日本語, emoji 🙂, nul \0, cr \r';
const long = `${'x'.repeat(200)}é${'y'.repeat(20_000)}`;

function udr(i: number, over: Partial<Udr> = {}): Udr {
  return {
    id: `U${i}`, feed: 'feed-a', usageClass: 'voice', account: `acct-${i % 3}`, service: i % 2 ? 'svc' : '', ratingKey: `acct-${i % 3}`,
    startTime: 1_791_000_000_123 + i * 1000, quantity: 60_000 + i, unit: 'ms', origin: '+31638782185', destination: '+442071234567',
    attrs: i % 2 ? { cell: `c${i}`, note: tricky } : {}, source: `file.csv:${i + 2}`, rulesVersion: 'r1', ...over,
  };
}

function charge(i: number, over: Partial<Charge> = {}): Charge {
  return {
    id: `C${i}`, udrId: `U${i}`, account: `acct-${i % 3}`, ratingKey: `acct-${i % 3}`, service: 'svc', usageClass: 'voice', kind: 'usage',
    product: 'mobile', plan: 'business', rateId: 'voice-nl', matched: 'prefix:+31', quantity: 60_000, unit: 'ms',
    amount: 1_640_000_000n + BigInt(i), currency: 'EUR', eventTime: 1_791_000_000_123 + i, source: `file.csv:${i + 2}`,
    rulesVersion: 'r1', catalogVersion: 'c1', lineage: `{"steps":[${i}]}`, ...over,
  };
}

/** rows with edge cases: escapes, non-ASCII, long text, negative and huge money, times in 2001, other runs */
function edgeRows(): { udrs: Udr[]; charges: Charge[] } {
  const udrs = [udr(0), udr(1), udr(2, { origin: tricky, destination: long, feed: 'feed-b', startTime: 978_307_200_007 }), udr(3, { attrs: { 'k\t1': 'v\n1', k2: '' } })];
  const charges = [
    charge(0), charge(1, { lineage: long, amount: -1n }),
    charge(2, { amount: 1_234_567_890_123_456_789_012_345_678_901_234_567n, matched: tricky, billable: false, run: 'wholesale' }),
    charge(3, { amount: -99_999_999_999_999_999_999n, currency: 'USD', kind: 'recurring', eventTime: 978_307_200_000 }),
  ];
  return { udrs, charges };
}

function nativeOf(udrs: readonly Udr[], charges: readonly Charge[], feed: string) {
  const u = new UdrBlock();
  const c = new ChargeBlock();
  for (const x of udrs) u.put(x);
  for (const x of charges) c.put(x, feed);
  return { udrs: u.finish(), charges: c.finish() };
}

describe('Native inserts into the in-process engine', () => {
  let dir: string;
  let viaTsv: StoreClient;
  let viaNative: StoreClient;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-native-'));
    viaTsv = await openDb(dir, 'via_tsv');
    viaNative = await openDb(dir, 'via_native');
  });
  afterAll(async () => {
    await viaTsv?.close();
    await viaNative?.close();
  });

  it('stores the same bytes as the TSV path, edge cases included, and exact money', async () => {
    const { udrs, charges } = edgeRows();
    await writeBatch(viaTsv, { udrs, charges, mediationRejects: [], ratingRejects: [], feed: 'feed-a' }, 'edge:0');
    const n = nativeOf(udrs, charges, 'feed-a');
    await writeNative(viaNative, 'udrs', n.udrs, 'edge:0');
    await writeNative(viaNative, 'charges', n.charges, 'edge:0');
    const [u1, u2, c1, c2] = await Promise.all([tsv(viaTsv, UDR_SELECT), tsv(viaNative, UDR_SELECT), tsv(viaTsv, CHARGE_SELECT), tsv(viaNative, CHARGE_SELECT)]);
    expect(u1.split('\n').length).toBe(udrs.length + 1);
    expect(c1.split('\n').length).toBe(charges.length + 1);
    expect(u2).toBe(u1);
    expect(c2).toBe(c1);
    const amounts = await viaNative.client.query({ query: 'SELECT charge_id, toString(amount) AS a FROM via_native.charges ORDER BY charge_id', format: 'JSONEachRow' });
    const byId = Object.fromEntries(((await amounts.json()) as { charge_id: string; a: string }[]).map((r) => [r.charge_id, r.a]));
    for (const c of charges) expect(byId[c.id]).toBe(formatMoney(c.amount).replace(/\.?0+$/, '') || '0');
    // every insert file was removed after its insert
    expect(readdirSync(insertsDir(viaNative))).toEqual([]);
  });

  it('keeps constant columns as literals, and a column that changes mid-block in the file', () => {
    const all = nativeOf([udr(10), udr(11), udr(12, { rulesVersion: 'r2' })], [charge(10), charge(11)], 'feed-a');
    expect([all.udrs.length, all.charges.length]).toEqual([1, 1]);
    const n = { udrs: all.udrs[0]!, charges: all.charges[0]! };
    expect(n.udrs.structure).not.toMatch(/\bfeed String/);
    expect(n.udrs.select).toContain("'feed-a' AS feed");
    expect(n.udrs.structure).toMatch(/rules_version String/);
    expect(n.charges.select).toContain("'EUR' AS currency");
    expect(n.charges.select).toContain('true AS billable');
    expect(n.charges.structure).toMatch(/^charge_id String/);
  });

  it('stores a batch inserted twice with the same token once', async () => {
    const udrs = [udr(20), udr(21), udr(22)];
    const charges = [charge(20), charge(21), charge(22)];
    const count = async (t: string) => {
      const r = await viaNative.client.query({ query: `SELECT count() AS n FROM via_native.${t} WHERE udr_id IN ('U20','U21','U22')`, format: 'JSONEachRow' });
      return Number(((await r.json()) as { n: string }[])[0]!.n);
    };
    for (let k = 0; k < 2; k++) {
      const n = nativeOf(udrs, charges, 'feed-a');
      await writeNative(viaNative, 'udrs', n.udrs, 'retry:7');
      await writeNative(viaNative, 'charges', n.charges, 'retry:7');
    }
    // no FINAL: the raw rows, so ReplacingMergeTree cannot hide a duplicate
    expect(await count('udrs')).toBe(3);
    expect(await count('charges')).toBe(3);
    // another token is another batch: stored again (the dedup is the token's, not the content's)
    const n = nativeOf(udrs, charges, 'feed-a');
    await writeNative(viaNative, 'udrs', n.udrs, 'retry:8');
    expect(await count('udrs')).toBe(6);
  });

  it('a batch spanning months goes in one insert per month partition, each with its own token; a retry stores it once', async () => {
    // the last millisecond of September and the first of October (UTC), interleaved as late records arrive
    const sep = Date.UTC(2026, 8, 30, 23, 59, 59, 999);
    const oct = Date.UTC(2026, 9, 1);
    const udrs = [udr(70, { startTime: oct }), udr(71, { startTime: sep }), udr(72, { startTime: oct + 5 }), udr(73, { startTime: sep - 5 })];
    const charges = udrs.map((u, i) => charge(70 + i, { eventTime: u.startTime }));
    const q = async (sql: string) => ((await (await viaNative.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Record<string, string>[]);
    const ids = "('U70','U71','U72','U73')";
    for (let k = 0; k < 2; k++) {
      const n = nativeOf(udrs, charges, 'feed-a');
      expect([n.udrs.map((b) => [b.partition, b.rows]), n.charges.map((b) => [b.partition, b.rows])])
        .toEqual([[['202609', 2], ['202610', 2]], [['202609', 2], ['202610', 2]]]);
      await writeNative(viaNative, 'udrs', n.udrs, 'months:1');
      await writeNative(viaNative, 'charges', n.charges, 'months:1');
    }
    // no FINAL: every row once (a token shared by the months would have dropped October as a duplicate of September)
    for (const [t, col] of [['udrs', 'start_time'], ['charges', 'event_time']] as const) {
      const rows = await q(`SELECT udr_id, toYYYYMM(${col}) AS m, _partition_id AS p FROM via_native.${t} WHERE udr_id IN ${ids} ORDER BY udr_id`);
      expect(rows.map((r) => [r.udr_id, String(r.m), r.p])).toEqual([['U70', '202610', '202610'], ['U71', '202609', '202609'], ['U72', '202610', '202610'], ['U73', '202609', '202609']]);
    }
    // and the same rows as the TSV path gives them
    await writeBatch(viaTsv, { udrs, charges, mediationRejects: [], ratingRejects: [], feed: 'feed-a' }, 'months:1');
    const pick = (sql: string) => sql.replace('ORDER BY', `WHERE udr_id IN ${ids} ORDER BY`);
    expect(await tsv(viaNative, pick(UDR_SELECT))).toBe(await tsv(viaTsv, pick(UDR_SELECT)));
    expect(await tsv(viaNative, pick(CHARGE_SELECT))).toBe(await tsv(viaTsv, pick(CHARGE_SELECT)));
  });

  it('a key repeated inside one insert (optimize_on_insert = 0) is two raw rows, read once with FINAL; parts are Compact', async () => {
    // the same record twice in one batch (a feed without dedup): kept as sent, collapsed by FINAL as across inserts
    const n = nativeOf([udr(30), udr(31), udr(30)], [charge(30), charge(31), charge(30)], 'feed-a');
    await writeNative(viaNative, 'udrs', n.udrs, 'repeat:1');
    await writeNative(viaNative, 'charges', n.charges, 'repeat:1');
    const q = async (sql: string) => ((await (await viaNative.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Record<string, string>[]);
    for (const [t, id] of [['udrs', 'udr_id'], ['charges', 'udr_id']] as const) {
      const raw = await q(`SELECT count() AS n FROM via_native.${t} WHERE ${id} IN ('U30', 'U31')`);
      const final = await q(`SELECT count() AS n FROM via_native.${t} FINAL WHERE ${id} IN ('U30', 'U31')`);
      expect([t, Number(raw[0]!.n), Number(final[0]!.n)]).toEqual([t, 3, 2]);
    }
    // migration 009: inserted parts are Compact (one data file), not Wide (files per column)
    const types = await q("SELECT DISTINCT part_type FROM system.parts WHERE database = 'via_native' AND table IN ('udrs', 'charges') AND active");
    expect(types.map((r) => r.part_type)).toEqual(['Compact']);
    // migration 010: the ledger tables merge parts in larger ranges (merge_selector_base 10, ClickHouse's default 5)
    const base = await q("SELECT name, extract(engine_full, 'merge_selector_base = (\\d+)') AS b FROM system.tables WHERE database = 'via_native' AND name IN ('udrs', 'charges') ORDER BY name");
    expect(base).toEqual([{ name: 'charges', b: '10' }, { name: 'udrs', b: '10' }]);
    // migrations 011 and 013: parts are Wide from 24 MiB (large merges vertical), so inserts of up to 24 MiB stay Compact
    const wide = await q("SELECT name, extract(engine_full, 'min_bytes_for_wide_part = (\\d+)') AS w FROM system.tables WHERE database = 'via_native' AND name IN ('udrs', 'charges') ORDER BY name");
    expect(wide).toEqual([{ name: 'charges', w: String(24 << 20) }, { name: 'udrs', w: String(24 << 20) }]);
  });

  it('the TSV path too (raw passthrough and INSERT command): a key repeated inside one insert is two raw rows, read once with FINAL', async () => {
    const q = async (sql: string) => ((await (await viaTsv.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Record<string, string>[]);
    for (const [passthrough, a, b] of [[true, 40, 41], [false, 50, 51]] as const) {
      await writeBatch(viaTsv, { udrs: [udr(a), udr(b), udr(a)], charges: [charge(a), charge(b), charge(a)], mediationRejects: [], ratingRejects: [], feed: 'feed-a' },
        `repeat-tsv:${a}`, passthrough);
      for (const t of ['udrs', 'charges']) {
        const where = `WHERE udr_id IN ('U${a}', 'U${b}')`;
        const raw = await q(`SELECT count() AS n FROM via_tsv.${t} ${where}`);
        const final = await q(`SELECT count() AS n FROM via_tsv.${t} FINAL ${where}`);
        expect([t, passthrough, Number(raw[0]!.n), Number(final[0]!.n)]).toEqual([t, passthrough, 3, 2]);
      }
    }
  });

  it('removes insert files left by a process that is gone, and keeps its own', () => {
    const d = insertsDir(viaNative);
    mkdirSync(d, { recursive: true });
    // pid 2^22 + 1 is above Linux's pid_max default range of live processes here (4194304 max)
    const stale = join(d, `${2 ** 22 + 1}-0.native`);
    const own = join(d, `${process.pid}-999999.native`);
    writeFileSync(stale, 'x');
    writeFileSync(own, 'x');
    removeStaleInserts(viaNative);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(own)).toBe(true);
  });

  it('a demo feed run stores the same UDR and charge bytes in Native as in TSV', async () => {
    const feeds = join(dir, 'feeds');
    generateDemoFeeds(feeds, { days: 1, perDay: 3000 });
    const pipeline = loadPipeline('pipelines/demo-carrier.yaml');
    const inputs = listInputs(join(feeds, 'carrier'));
    const db = { tsv: await openDb(dir, 'run_tsv'), native: await openDb(dir, 'run_native') };
    try {
      const counts: Record<string, number> = {};
      for (const f of ['tsv', 'native'] as const) {
        const runner = new EmbeddedRunner(pipeline, db[f], undefined, {}, { insertFormat: f, nativeMinBytes: 0 });
        expect(runner.insertFormat).toBe(f);
        for (let i = 0; i < inputs.length; i++) {
          const r = await runner.runFile(inputs[i]!, undefined, i === inputs.length - 1);
          counts[f] = (counts[f] ?? 0) + r.counters.udrs;
        }
        await runner.close();
      }
      expect(counts.native).toBeGreaterThan(1000);
      expect(counts.native).toBe(counts.tsv);
      const [u1, u2, c1, c2] = await Promise.all([tsv(db.tsv, UDR_SELECT), tsv(db.native, UDR_SELECT), tsv(db.tsv, CHARGE_SELECT), tsv(db.native, CHARGE_SELECT)]);
      expect(u1.split('\n').length - 1).toBe(counts.tsv);
      expect(u2).toBe(u1);
      expect(c2).toBe(c1);
    } finally {
      await db.tsv.close();
      await db.native.close();
    }
  });
});
