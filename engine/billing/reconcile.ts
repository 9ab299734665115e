/**
 * Reconciliation per feed and period, from ClickHouse:
 *  1. records in = UDRs + ignored + rejected — per ingested file, from the counters recorded at ingest
 *     (ingest_files); a file belongs to the period most of its UDRs fall in;
 *  2. no UDR lost on the way to the store — the UDRs counted at ingest are all in the udrs table (per file);
 *  3. UDRs = rated — every stored UDR of the period has a usage charge or a rating reject; no usage charge lacks
 *     its UDR.
 * Every difference is listed: the file, or the UDR / charge id with its source coordinates.
 */
import { queryRows, table, type StoreClient } from '../store/client.ts';
import { parsePeriod } from './period.ts';

export interface ReconRow {
  feed: string;
  period: string;
  files: number;
  records: number;
  /** UDRs counted at ingest (files of this period) */
  udrsCounted: number;
  ignored: number;
  rejected: number;
  /** records − UDRs − ignored − rejected */
  unaccounted: number;
  /** UDRs counted at ingest but not in the store (files of this period) */
  missingUdrs: number;
  /** UDRs in the store with start time in the period */
  udrs: number;
  rated: number;
  ratingRejected: number;
  /** UDRs with neither a charge nor a rating reject */
  unrated: number;
  /** usage charges whose UDR is not in the store */
  orphanCharges: number;
  balanced: boolean;
}

export interface ReconDifference {
  feed: string;
  period: string;
  kind: 'records-unaccounted' | 'udrs-missing' | 'udr-unrated' | 'charge-orphan';
  /** file, or UDR id / charge id */
  subject: string;
  source: string;
  count: number;
  detail: string;
}

export interface ReconReport {
  period?: string;
  rows: ReconRow[];
  differences: ReconDifference[];
  balanced: boolean;
}

const FILE_OF = `replaceRegexpOne(source, ':[0-9]+$', '')`;

/** SQL (pinned by tests): per file, the ingest counters and the UDRs in the store, with the file's main period. */
export function fileCountersSql(st: Pick<StoreClient, 'database'>): string {
  return `SELECT f.feed AS feed, f.file AS file, f.records AS records, f.udrs AS udrs, f.ignored_total AS ignored, f.rejected_total AS rejected,
       ifNull(s.period, '') AS period, ifNull(s.stored, 0) AS stored
FROM ${table(st, 'ingest_reconciliation')} AS f
LEFT JOIN (
  SELECT feed, file, argMax(period, n) AS period, sum(n) AS stored FROM (
    SELECT feed, ${FILE_OF} AS file, formatDateTime(start_time, '%Y-%m', {tz:String}) AS period, count() AS n
    FROM ${table(st, 'udrs')} FINAL GROUP BY feed, file, period
  ) GROUP BY feed, file
) AS s ON f.feed = s.feed AND f.file = s.file
ORDER BY feed, file
SETTINGS join_use_nulls = 1`;
}

/** SQL (pinned by tests): per feed and period, stored UDRs, rated, rating-rejected, unrated. */
export function ratedSql(st: Pick<StoreClient, 'database'>): string {
  return `SELECT u.feed AS feed, formatDateTime(u.start_time, '%Y-%m', {tz:String}) AS period, count() AS udrs,
       countIf(c.udr_id IS NOT NULL) AS rated, countIf(c.udr_id IS NULL AND r.source IS NOT NULL) AS rating_rejected,
       countIf(c.udr_id IS NULL AND r.source IS NULL) AS unrated
FROM ${table(st, 'udrs')} AS u FINAL
LEFT JOIN (SELECT DISTINCT feed, udr_id FROM ${table(st, 'charges')} FINAL WHERE kind = 'usage') AS c ON u.feed = c.feed AND u.udr_id = c.udr_id
LEFT JOIN (SELECT DISTINCT feed, source FROM ${table(st, 'rejects')} FINAL WHERE stage = 'rating') AS r ON u.feed = r.feed AND u.source = r.source
GROUP BY feed, period
ORDER BY feed, period
SETTINGS join_use_nulls = 1`;
}

function unratedSql(st: Pick<StoreClient, 'database'>): string {
  return `SELECT u.feed AS feed, formatDateTime(u.start_time, '%Y-%m', {tz:String}) AS period, u.udr_id AS udr_id, u.source AS source
FROM ${table(st, 'udrs')} AS u FINAL
LEFT JOIN (SELECT DISTINCT feed, udr_id FROM ${table(st, 'charges')} FINAL WHERE kind = 'usage') AS c ON u.feed = c.feed AND u.udr_id = c.udr_id
LEFT JOIN (SELECT DISTINCT feed, source FROM ${table(st, 'rejects')} FINAL WHERE stage = 'rating') AS r ON u.feed = r.feed AND u.source = r.source
WHERE c.udr_id IS NULL AND r.source IS NULL
ORDER BY feed, period, udr_id
LIMIT {limit:UInt32}
SETTINGS join_use_nulls = 1`;
}

function orphanSql(st: Pick<StoreClient, 'database'>): string {
  return `SELECT c.feed AS feed, formatDateTime(c.event_time, '%Y-%m', {tz:String}) AS period, c.charge_id AS charge_id, c.udr_id AS udr_id, c.source AS source
FROM ${table(st, 'charges')} AS c FINAL
LEFT ANTI JOIN (SELECT DISTINCT feed, udr_id FROM ${table(st, 'udrs')} FINAL) AS u ON c.feed = u.feed AND c.udr_id = u.udr_id
WHERE c.kind = 'usage'
ORDER BY feed, period, charge_id
LIMIT {limit:UInt32}`;
}

export async function reconcile(st: StoreClient, opts: { timezone: string; period?: string; feed?: string; limit?: number }): Promise<ReconReport> {
  if (opts.period) parsePeriod(opts.period, opts.timezone); // validates
  const tz = opts.timezone;
  const limit = opts.limit ?? 1000;
  const keep = (feed: string, period: string) => (!opts.feed || feed === opts.feed) && (!opts.period || period === opts.period);
  const rows = new Map<string, ReconRow>();
  const row = (feed: string, period: string) => {
    const k = `${feed}\u001f${period}`;
    let r = rows.get(k);
    if (!r) {
      r = { feed, period, files: 0, records: 0, udrsCounted: 0, ignored: 0, rejected: 0, unaccounted: 0, missingUdrs: 0, udrs: 0, rated: 0, ratingRejected: 0, unrated: 0, orphanCharges: 0, balanced: true };
      rows.set(k, r);
    }
    return r;
  };
  const differences: ReconDifference[] = [];

  for (const f of await queryRows<Record<string, any>>(st, fileCountersSql(st), { tz })) {
    const period = f.period || '(no UDRs)';
    if (!keep(f.feed, period)) continue;
    const r = row(f.feed, period);
    const records = Number(f.records), udrs = Number(f.udrs), ignored = Number(f.ignored), rejected = Number(f.rejected), stored = Number(f.stored);
    r.files++;
    r.records += records;
    r.udrsCounted += udrs;
    r.ignored += ignored;
    r.rejected += rejected;
    const unaccounted = records - udrs - ignored - rejected;
    r.unaccounted += unaccounted;
    if (unaccounted !== 0) {
      differences.push({ feed: f.feed, period, kind: 'records-unaccounted', subject: f.file, source: f.file, count: unaccounted,
        detail: `${records} records ≠ ${udrs} UDRs + ${ignored} ignored + ${rejected} rejected` });
    }
    if (stored !== udrs) {
      r.missingUdrs += udrs - stored;
      differences.push({ feed: f.feed, period, kind: 'udrs-missing', subject: f.file, source: f.file, count: udrs - stored,
        detail: `${udrs} UDRs counted at ingest, ${stored} in the store` });
    }
  }
  for (const x of await queryRows<Record<string, any>>(st, ratedSql(st), { tz })) {
    if (!keep(x.feed, x.period)) continue;
    const r = row(x.feed, x.period);
    r.udrs = Number(x.udrs);
    r.rated = Number(x.rated);
    r.ratingRejected = Number(x.rating_rejected);
    r.unrated = Number(x.unrated);
  }
  if ([...rows.values()].some((r) => r.unrated)) {
    for (const u of await queryRows<Record<string, any>>(st, unratedSql(st), { tz, limit })) {
      if (!keep(u.feed, u.period)) continue;
      differences.push({ feed: u.feed, period: u.period, kind: 'udr-unrated', subject: u.udr_id, source: u.source, count: 1, detail: 'UDR has no usage charge and no rating reject' });
    }
  }
  for (const o of await queryRows<Record<string, any>>(st, orphanSql(st), { tz, limit })) {
    if (!keep(o.feed, o.period)) continue;
    row(o.feed, o.period).orphanCharges++;
    differences.push({ feed: o.feed, period: o.period, kind: 'charge-orphan', subject: o.charge_id, source: o.source, count: 1, detail: `usage charge of UDR ${o.udr_id}, which is not in the store` });
  }
  const list = [...rows.values()].sort((a, b) => (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
  for (const r of list) r.balanced = r.unaccounted === 0 && r.missingUdrs === 0 && r.unrated === 0 && r.orphanCharges === 0;
  return { period: opts.period, rows: list, differences, balanced: list.every((r) => r.balanced) };
}
