/**
 * Writes batches of UDRs, charges and rejects. Each insert carries an insert_deduplication_token derived from the
 * batch's identity (source + batch number + table), so a retried batch is dropped by ClickHouse; the tables are
 * ReplacingMergeTree on the record/charge id, so a replayed record never counts twice in FINAL queries and views.
 */
import { formatMoney } from '../core/money.ts';
import { type Charge, DEFAULT_RUN, type Reject, type Udr } from '../core/types.ts';
import { table, type StoreClient } from './client.ts';
import { insertTsv, tsvMap, tsvString, tsvTime } from './tsv.ts';

const UDR_COLS = ['udr_id', 'feed', 'usage_class', 'account', 'service', 'rating_key', 'start_time', 'quantity', 'unit', 'origin', 'destination', 'attrs', 'source', 'rules_version'];
/** charges columns in the order chargeRow() writes them */
export const CHARGE_COLS = ['charge_id', 'version', 'udr_id', 'account', 'rating_key', 'service', 'usage_class', 'kind', 'product', 'plan', 'rate_id', 'matched', 'quantity', 'unit', 'amount', 'currency', 'event_time', 'source', 'rules_version', 'catalog_version', 'lineage', 'feed', 'run', 'billable'];
const REJECT_COLS = ['feed', 'source', 'reason', 'message', 'raw', 'rules_version', 'stage'];

export function udrRow(u: Udr): string {
  return [tsvString(u.id), tsvString(u.feed), tsvString(u.usageClass), tsvString(u.account), tsvString(u.service), tsvString(u.ratingKey),
    tsvTime(u.startTime), String(u.quantity), tsvString(u.unit), tsvString(u.origin), tsvString(u.destination), tsvMap(u.attrs),
    tsvString(u.source), tsvString(u.rulesVersion)].join('\t');
}

export function chargeRow(c: Charge, feed: string, version = 1): string {
  return [c.id, String(version), tsvString(c.udrId), tsvString(c.account), tsvString(c.ratingKey), tsvString(c.service), tsvString(c.usageClass),
    c.kind, tsvString(c.product), tsvString(c.plan), tsvString(c.rateId), tsvString(c.matched), String(c.quantity), tsvString(c.unit),
    formatMoney(c.amount), c.currency, tsvTime(c.eventTime), tsvString(c.source), tsvString(c.rulesVersion), tsvString(c.catalogVersion),
    tsvString(c.lineage), tsvString(feed), tsvString(c.run ?? DEFAULT_RUN), c.billable === false ? 'false' : 'true'].join('\t');
}

export function rejectRow(r: Reject, stage: 'mediation' | 'rating'): string {
  return [tsvString(r.feed), tsvString(r.source), r.reason, tsvString(r.message), tsvString(r.raw), tsvString(r.rulesVersion), stage].join('\t');
}

export interface LedgerBatch {
  udrs: readonly Udr[];
  charges: readonly Charge[];
  mediationRejects: readonly Reject[];
  ratingRejects: readonly Reject[];
  feed: string;
}

/** Rows already encoded as TSV (e.g. by a worker thread), one list per ledger table. */
export interface EncodedRows {
  udrRows: readonly string[];
  chargeRows: readonly string[];
  rejectRows: readonly string[];
}

/** Insert encoded rows; `token` identifies the batch deterministically (e.g. `<file sha>:<batch no>`). */
export async function writeRows(s: StoreClient, b: EncodedRows, token: string): Promise<void> {
  const jobs: Promise<unknown>[] = [];
  const put = (name: string, cols: string[], rows: readonly string[]) => {
    if (!rows.length) return;
    jobs.push(s.client.command({ query: insertTsv(table(s, name), cols, rows as string[]), clickhouse_settings: { insert_deduplication_token: `${token}:${name}` } }));
  };
  put('udrs', UDR_COLS, b.udrRows);
  put('charges', CHARGE_COLS, b.chargeRows);
  put('rejects', REJECT_COLS, b.rejectRows);
  await Promise.all(jobs);
}

/** Insert one batch of objects; `token` identifies the batch deterministically. */
export async function writeBatch(s: StoreClient, b: LedgerBatch, token: string): Promise<void> {
  await writeRows(s, {
    udrRows: b.udrs.map(udrRow),
    chargeRows: b.charges.map((c) => chargeRow(c, b.feed)),
    rejectRows: [...b.mediationRejects.map((r) => rejectRow(r, 'mediation')), ...b.ratingRejects.map((r) => rejectRow(r, 'rating'))],
  }, token);
}
