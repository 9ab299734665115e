/**
 * Re-rating: rate a period's UDRs again from ClickHouse with the current (or another) catalog, compare with the
 * current charge versions, and write a new version of every charge that changed (ReplacingMergeTree(version) on
 * the charge id: FINAL sees the new one), plus a diff report. Compared: amount, rate, plan, product, billed quantity.
 * Running the same re-rate twice writes nothing the second time (empty diff). Charges of invoiced periods that
 * change are carried to the next invoice as adjustments (see invoice.ts).
 *
 * The rater starts from an empty rating state at the period start (pools, tiers per period), with UDRs in
 * (rating key, time, id) order; service-state events are not replayed (services keep their catalog states).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMoney } from '../core/money.ts';
import type { Charge, Udr } from '../core/types.ts';
import { csv } from '../core/csv.ts';
import { type CompiledCatalog, loadCatalogFile } from '../rating/catalog.ts';
import { Rater } from '../rating/rater.ts';
import { table, type StoreClient } from '../store/client.ts';
import { chargesInWindow, type LedgerCharge, type RerateDiffRow, udrsInWindow, writeRerateDiffs } from '../store/finance.ts';
import { CHARGE_COLS, chargeRow, LEDGER_INSERT_SETTINGS } from '../store/ledger.ts';
import { recordRateTerms } from '../rating/rate-terms.ts';
import { insertTsv } from '../store/tsv.ts';
import { parsePeriod } from './period.ts';
import { catalogNameOf, catalogPath, pipelineCatalogs } from './pipeline-catalogs.ts';

export interface RerateOptions {
  period: string;
  timezone: string;
  /** the catalog that re-rates a feed's UDRs; undefined: the feed is not re-rated (the reason goes to `skipped`) */
  catalogFor(feed: string): CompiledCatalog | { skip: string };
  /** write diff.csv and diff.json here */
  out?: string;
  /** compute and report, write nothing to the store */
  dryRun?: boolean;
}

export interface RerateDiff extends RerateDiffRow {
  delta: bigint;
}

export interface RerateResult {
  period: string;
  udrs: number;
  compared: number;
  diffs: RerateDiff[];
  byAccount: { account: string; charges: number; old: bigint; new: bigint; delta: bigint }[];
  catalogs: string[];
  /** feeds re-rated */
  feeds: string[];
  /** feeds with UDRs in the period that were not re-rated, and why */
  skipped: { feed: string; reason: string }[];
  files: string[];
}

function same(a: LedgerCharge, c: Charge): boolean {
  return a.amount === c.amount && a.rateId === c.rateId && a.plan === c.plan && a.product === c.product && a.quantity === BigInt(c.quantity) && a.kind === c.kind;
}

function fromLedger(a: LedgerCharge): Charge {
  return {
    id: a.chargeId, udrId: a.udrId, account: a.account, ratingKey: a.ratingKey, service: a.service, usageClass: a.usageClass, kind: a.kind as Charge['kind'],
    product: a.product, plan: a.plan, rateId: a.rateId, matched: a.matched, quantity: Number(a.quantity), unit: a.unit, amount: a.amount, currency: a.currency,
    eventTime: a.eventTime, source: a.source, rulesVersion: a.rulesVersion, catalogVersion: a.catalogVersion, lineage: a.lineage,
  };
}

export async function rerate(st: StoreClient, opts: RerateOptions): Promise<RerateResult> {
  const period = parsePeriod(opts.period, opts.timezone);
  const w = { from: period.start, to: period.end };
  const udrs = await udrsInWindow(st, w);
  const existing = new Map((await chargesInWindow(st, w, { kinds: ['usage'] })).map((c) => [c.chargeId, c]));
  const byFeed = new Map<string, Udr[]>();
  for (const u of udrs) byFeed.set(u.feed, [...(byFeed.get(u.feed) ?? []), u]);

  const diffs: RerateDiff[] = [];
  const writes: { charge: Charge; feed: string; version: number }[] = [];
  const catalogs = new Set<string>();
  const used = new Map<string, CompiledCatalog>();
  const skipped: RerateResult['skipped'] = [];
  const rated: string[] = [];
  let compared = 0;
  for (const [feed, list] of [...byFeed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const catalog = opts.catalogFor(feed);
    if ('skip' in catalog) {
      skipped.push({ feed, reason: catalog.skip });
      continue;
    }
    catalogs.add(`${catalog.name}@${catalog.version}`);
    used.set(catalog.version, catalog);
    rated.push(feed);
    const r = new Rater(catalog).rate(list);
    const produced = new Set<string>();
    const rejectedBy = new Map<string, string>();
    for (const rj of r.rejects) rejectedBy.set(rj.source, rj.reason);
    for (const c of r.charges) {
      if (c.kind !== 'usage') continue;
      produced.add(c.id);
      compared++;
      const old = existing.get(c.id);
      if (old && same(old, c)) continue;
      const version = old ? old.version + 1 : 1;
      writes.push({ charge: c, feed, version });
      diffs.push({ period: period.id, chargeId: c.id, newVersion: version, oldVersion: old?.version ?? 0, change: old ? 'changed' : 'new', udrId: c.udrId,
        account: c.account, feed, usageClass: c.usageClass, oldRate: old?.rateId ?? '', newRate: c.rateId, oldAmount: old?.amount ?? 0n, newAmount: c.amount,
        delta: c.amount - (old?.amount ?? 0n), catalogVersion: catalog.version });
    }
    // charges of these UDRs that the catalog no longer prices: a zero version (void), once
    const ids = new Set(list.map((u) => u.id));
    const sources = new Map(list.map((u) => [u.id, u.source]));
    const priced = [...existing.values()].filter((old) => old.feed === feed && ids.has(old.udrId) && !(old.amount === 0n && old.rateId === ''));
    if (priced.length && !priced.some((old) => produced.has(old.chargeId))) {
      const reasons = new Map<string, number>();
      for (const rj of r.rejects) reasons.set(rj.reason, (reasons.get(rj.reason) ?? 0) + 1);
      throw new Error(`catalog ${catalog.name}@${catalog.version} prices none of feed ${feed}'s ${list.length} UDRs (${[...reasons].map(([k, v]) => `${k}: ${v}`).join(', ') || 'no charges'}): `
        + `refusing to void its ${priced.length} charges; nothing was written. Is it the catalog of this feed's pipeline?`);
    }
    for (const old of existing.values()) {
      if (old.feed !== feed || !ids.has(old.udrId) || produced.has(old.chargeId)) continue;
      if (old.amount === 0n && old.rateId === '') continue; // already void
      const reason = rejectedBy.get(sources.get(old.udrId) ?? '') ?? 'NOT_RATED';
      const v = { ...fromLedger(old), amount: 0n, rateId: '', matched: `void: ${reason}`, catalogVersion: catalog.version,
        lineage: JSON.stringify({ v: 1, kind: 'void', reason, previous: { version: old.version, amount: formatMoney(old.amount), rate: old.rateId } }) };
      writes.push({ charge: v, feed, version: old.version + 1 });
      diffs.push({ period: period.id, chargeId: old.chargeId, newVersion: old.version + 1, oldVersion: old.version, change: 'void', udrId: old.udrId, account: old.account,
        feed, usageClass: old.usageClass, oldRate: old.rateId, newRate: '', oldAmount: old.amount, newAmount: 0n, delta: -old.amount, catalogVersion: catalog.version });
    }
  }
  diffs.sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : a.chargeId < b.chargeId ? -1 : a.chargeId > b.chargeId ? 1 : 0));

  if (writes.length && !opts.dryRun) {
    const token = `rerate:${period.id}:${createHash('sha256').update(diffs.map((d) => `${d.chargeId}:${d.newVersion}:${d.newAmount}`).join(',')).digest('hex')}`;
    // the terms of the catalogs' rates: what the new charges' compact lineage leaves out
    for (const catalog of used.values()) await recordRateTerms(st, catalog);
    const BATCH = 50_000;
    for (let i = 0; i < writes.length; i += BATCH) {
      const rows = writes.slice(i, i + BATCH).map((x) => chargeRow(x.charge, x.feed, x.version));
      await st.client.command({ query: insertTsv(table(st, 'charges'), CHARGE_COLS, rows), clickhouse_settings: { ...LEDGER_INSERT_SETTINGS, insert_deduplication_token: `${token}:${i}` } });
    }
    await writeRerateDiffs(st, diffs, `${token}:diffs`);
  }

  const acc = new Map<string, { account: string; charges: number; old: bigint; new: bigint; delta: bigint }>();
  for (const d of diffs) {
    const a = acc.get(d.account) ?? { account: d.account, charges: 0, old: 0n, new: 0n, delta: 0n };
    a.charges++;
    a.old += d.oldAmount;
    a.new += d.newAmount;
    a.delta += d.delta;
    acc.set(d.account, a);
  }
  const result: RerateResult = { period: period.id, udrs: udrs.length, compared, diffs, byAccount: [...acc.values()], catalogs: [...catalogs], feeds: rated, skipped, files: [] };
  if (opts.out) {
    mkdirSync(opts.out, { recursive: true });
    const f1 = join(opts.out, 'diff.csv');
    writeFileSync(f1, `${csv(diffs.map(diffRecord), DIFF_COLUMNS)}\n`);
    const f2 = join(opts.out, 'diff.json');
    writeFileSync(f2, `${JSON.stringify({ period: period.id, catalogs: result.catalogs, udrs: result.udrs, compared, changed: diffs.length,
      byAccount: result.byAccount.map((a) => ({ account: a.account, charges: a.charges, old: formatMoney(a.old), new: formatMoney(a.new), delta: formatMoney(a.delta) })),
      diffs: diffs.map(diffRecord) }, null, 2)}\n`);
    result.files.push(f1, f2);
  }
  return result;
}

export const DIFF_COLUMNS = ['charge_id', 'change', 'account', 'feed', 'udr_id', 'usage_class', 'old_version', 'new_version', 'old_rate', 'new_rate', 'old_amount', 'new_amount', 'delta'];

export function diffRecord(d: RerateDiff): Record<string, string | number> {
  return { charge_id: d.chargeId, change: d.change, account: d.account, feed: d.feed, udr_id: d.udrId, usage_class: d.usageClass, old_version: d.oldVersion,
    new_version: d.newVersion, old_rate: d.oldRate, new_rate: d.newRate, old_amount: formatMoney(d.oldAmount), new_amount: formatMoney(d.newAmount), delta: formatMoney(d.delta) };
}

/**
 * Catalog per feed. Default: the catalog of the pipeline (in `pipelinesDir`) that reads the feed. `override` (a catalog
 * file, or a folder holding catalog.yaml) applies to the feeds in `feeds` when given, else to the feeds whose pipeline
 * uses a catalog of the same name (a new version of it) or file; other feeds are not re-rated. Feeds no pipeline
 * rates are skipped with the reason.
 */
export function catalogResolver(pipelinesDir: string, override?: string, feeds?: readonly string[]): (feed: string) => CompiledCatalog | { skip: string } {
  const cache = new Map<string, CompiledCatalog>();
  const load = (file: string) => {
    let c = cache.get(file);
    if (!c) cache.set(file, (c = loadCatalogFile(file)));
    return c;
  };
  const byFeed = new Map<string, Map<string, string>>(); // feed → catalog file → pipeline file
  for (const p of pipelineCatalogs(pipelinesDir)) {
    const m = byFeed.get(p.feed) ?? new Map<string, string>();
    if (!m.has(p.catalog)) m.set(p.catalog, p.pipeline);
    byFeed.set(p.feed, m);
  }
  const own = (feed: string): CompiledCatalog | { skip: string } => {
    const found = byFeed.get(feed);
    if (!found) return { skip: `no pipeline in ${pipelinesDir} rates feed ${feed}` };
    if (found.size > 1) {
      throw new Error(`feed ${feed} is rated by several catalogs (${[...found].map(([c, p]) => `${p} → ${c}`).join('; ')}): pass --catalog with --feed`);
    }
    return load([...found.keys()][0]!);
  };
  if (!override) {
    return (feed) => (feeds && !feeds.includes(feed) ? { skip: 'not in --feed' } : own(feed));
  }
  const file = catalogPath(override);
  const cat = load(file);
  return (feed) => {
    if (feeds) return feeds.includes(feed) ? cat : { skip: 'not in --feed' };
    const mine = [...(byFeed.get(feed)?.keys() ?? [])];
    if (mine.some((c) => c === file || catalogNameOf(c) === cat.name)) return cat;
    return { skip: mine.length ? `its pipeline uses catalog ${mine.map((c) => catalogNameOf(c) ?? c).join(', ')}, not ${cat.name} (pass --feed to re-rate it with ${cat.name})` : `no pipeline in ${pipelinesDir} rates feed ${feed}` };
  };
}
