/**
 * Writes batches of UDRs, charges and rejects. Each insert carries an insert_deduplication_token derived from the
 * batch's identity (source + batch number + table), so a retried batch is dropped by ClickHouse; the tables are
 * ReplacingMergeTree on the record/charge id, so a replayed record never counts twice in FINAL queries and views.
 */
import { Readable } from 'node:stream';
import { formatMoney } from '../core/money.ts';
import { type Charge, DEFAULT_RUN, type Reject, type Udr } from '../core/types.ts';
import { ident, table, type StoreClient } from './client.ts';
import { insertTsv, tsvMap, tsvString, tsvTime } from './tsv.ts';

const UDR_COLS = ['udr_id', 'feed', 'usage_class', 'account', 'service', 'rating_key', 'start_time', 'quantity', 'unit', 'origin', 'destination', 'attrs', 'source', 'rules_version'];
/** charges columns in the order chargeRow() writes them */
export const CHARGE_COLS = ['charge_id', 'version', 'udr_id', 'account', 'rating_key', 'service', 'usage_class', 'kind', 'product', 'plan', 'rate_id', 'matched', 'quantity', 'unit', 'amount', 'currency', 'event_time', 'source', 'rules_version', 'catalog_version', 'lineage', 'feed', 'run', 'billable'];
const REJECT_COLS = ['feed', 'source', 'reason', 'message', 'raw', 'rules_version', 'stage'];

export function udrRow(u: Udr): string {
  // one template literal per row (no per-field array): the hot path of every ledger insert
  return `${tsvString(u.id)}\t${tsvString(u.feed)}\t${tsvString(u.usageClass)}\t${tsvString(u.account)}\t${tsvString(u.service)}\t${tsvString(u.ratingKey)}\t${
    tsvTime(u.startTime)}\t${u.quantity}\t${tsvString(u.unit)}\t${tsvString(u.origin)}\t${tsvString(u.destination)}\t${tsvMap(u.attrs)}\t${
    tsvString(u.source)}\t${tsvString(u.rulesVersion)}`;
}

export function chargeRow(c: Charge, feed: string, version = 1): string {
  return `${c.id}\t${version}\t${tsvString(c.udrId)}\t${tsvString(c.account)}\t${tsvString(c.ratingKey)}\t${tsvString(c.service)}\t${tsvString(c.usageClass)}\t${
    c.kind}\t${tsvString(c.product)}\t${tsvString(c.plan)}\t${tsvString(c.rateId)}\t${tsvString(c.matched)}\t${c.quantity}\t${tsvString(c.unit)}\t${
    formatMoney(c.amount)}\t${c.currency}\t${tsvTime(c.eventTime)}\t${tsvString(c.source)}\t${tsvString(c.rulesVersion)}\t${tsvString(c.catalogVersion)}\t${
    tsvString(c.lineage)}\t${tsvString(feed)}\t${tsvString(c.run ?? DEFAULT_RUN)}\t${c.billable === false ? 'false' : 'true'}`;
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

/** Ledger rows already encoded as TSV bytes: per table, newline-terminated chunks inserted together. */
export interface EncodedTsv {
  udrs: Uint8Array[];
  charges: Uint8Array[];
  rejects: Uint8Array[];
  /** UDR and reject rows in the chunks */
  rows: number;
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

/**
 * Insert TSV-encoded ledger chunks, one insert per table; `token` identifies the batch deterministically. On the
 * in-process engine each table's bytes are handed over as one Buffer (chDB's raw insert: no SQL string is built or
 * copied, the engine's threads parse the TSV); on a server they are streamed as the body of an HTTP insert.
 */
export async function writeTsv(s: StoreClient, b: EncodedTsv, token: string): Promise<void> {
  const jobs: Promise<unknown>[] = [];
  const put = (name: string, columns: string[], chunks: Uint8Array[]) => {
    if (!chunks.length) return;
    const settings = { insert_deduplication_token: `${token}:${name}` };
    ident(name);
    if (s.chdb) {
      const values = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      jobs.push(s.chdb.rawInsert({ table: `${s.database}.${name}`, columns, format: 'TabSeparated', values, settings }));
    } else {
      jobs.push(s.client.insert({ table: table(s, name), columns: columns as [string, ...string[]], format: 'TabSeparated', values: Readable.from(chunks), clickhouse_settings: settings }));
    }
  };
  put('udrs', UDR_COLS, b.udrs);
  put('charges', CHARGE_COLS, b.charges);
  put('rejects', REJECT_COLS, b.rejects);
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
