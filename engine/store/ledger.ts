/**
 * Writes batches of UDRs, charges and rejects. Each insert carries an insert_deduplication_token derived from the
 * batch's identity (source + batch number + table), so a retried batch is dropped by ClickHouse; the tables are
 * ReplacingMergeTree on the record/charge id, so a replayed record never counts twice in FINAL queries and views.
 */
import { formatMoney } from '../core/money.ts';
import { type Charge, DEFAULT_RUN, type Reject, type Udr } from '../core/types.ts';
import { ident, table, type StoreClient } from './client.ts';
import { tsvMap, tsvTime, TsvWriter } from './tsv.ts';

/**
 * Settings of every ledger insert (UDRs, charges, rejects; TSV here, Native in ledger-native.ts). `optimize_on_insert
 * = 0`: the engine does not run the ReplacingMergeTree merge over each inserted block (a row-by-row copy of the whole
 * sorted block that only collapses rows with the same sorting key *within* the insert; such a repeat — the same record
 * twice with dedup off — is collapsed by `FINAL`, which every ledger read uses, and by merges, as a repeat across two
 * inserts always was); measured on Native inserts: the insert's ClickHouse CPU ≈ −35 % (bench/RESULTS.md, session
 * 2026-12-05 embedded-ch), and on TSV inserts (session 2026-12-07 tenth).
 */
export const LEDGER_INSERT_SETTINGS = { optimize_on_insert: 0 } as const;

const UDR_COLS = ['udr_id', 'feed', 'usage_class', 'account', 'service', 'rating_key', 'start_time', 'quantity', 'unit', 'origin', 'destination', 'attrs', 'source', 'rules_version'];
/** charges columns in the order chargeRow() writes them */
export const CHARGE_COLS = ['charge_id', 'version', 'udr_id', 'account', 'rating_key', 'service', 'usage_class', 'kind', 'product', 'plan', 'rate_id', 'matched', 'quantity', 'unit', 'amount', 'currency', 'event_time', 'source', 'rules_version', 'catalog_version', 'lineage', 'feed', 'run', 'billable'];
const REJECT_COLS = ['feed', 'source', 'reason', 'message', 'raw', 'rules_version', 'stage'];

/** one UDR as a TSV row into `w` (columns UDR_COLS) */
export function putUdr(w: TsvWriter, u: Udr): void {
  w.str(u.id).str(u.feed).str(u.usageClass).str(u.account).str(u.service).str(u.ratingKey).raw(tsvTime(u.startTime)).raw(String(u.quantity))
    .str(u.unit).str(u.origin).str(u.destination).raw(tsvMap(u.attrs)).str(u.source).str(u.rulesVersion).row();
}

/** one charge as a TSV row into `w` (columns CHARGE_COLS) */
export function putCharge(w: TsvWriter, c: Charge, feed: string, version = 1): void {
  w.raw(c.id).raw(String(version)).str(c.udrId).str(c.account).str(c.ratingKey).str(c.service).str(c.usageClass).raw(c.kind).str(c.product)
    .str(c.plan).str(c.rateId).str(c.matched).raw(String(c.quantity)).str(c.unit).raw(formatMoney(c.amount)).raw(c.currency)
    .raw(tsvTime(c.eventTime)).str(c.source).str(c.rulesVersion).str(c.catalogVersion).strOf(c.lineage).str(feed).str(c.run ?? DEFAULT_RUN)
    .raw(c.billable === false ? 'false' : 'true').row();
}

/** one reject as a TSV row into `w` (columns REJECT_COLS) */
export function putReject(w: TsvWriter, r: Reject, stage: 'mediation' | 'rating'): void {
  w.str(r.feed).str(r.source).raw(r.reason).str(r.message).str(r.raw).str(r.rulesVersion).raw(stage).row();
}

function oneRow(put: (w: TsvWriter) => void): string {
  const w = new TsvWriter(1024);
  put(w);
  return w.toString().slice(0, -1);
}

export const udrRow = (u: Udr): string => oneRow((w) => putUdr(w, u));
export const chargeRow = (c: Charge, feed: string, version = 1): string => oneRow((w) => putCharge(w, c, feed, version));
export const rejectRow = (r: Reject, stage: 'mediation' | 'rating'): string => oneRow((w) => putReject(w, r, stage));

export interface LedgerBatch {
  udrs: readonly Udr[];
  charges: readonly Charge[];
  mediationRejects: readonly Reject[];
  ratingRejects: readonly Reject[];
  feed: string;
}

/** Ledger rows already encoded as TSV bytes (newline-terminated rows), one per table; empty: nothing to insert. */
export interface EncodedTsv {
  udrs: Uint8Array;
  charges: Uint8Array;
  rejects: Uint8Array;
  /** UDR and reject rows encoded */
  rows: number;
}

/**
 * Insert TSV-encoded ledger rows, one insert per table; `token` identifies the batch deterministically (e.g.
 * `<file sha>:<batch no>`). `passthrough` on the in-process engine: each table's bytes are handed over as they are
 * (chDB's raw insert: no SQL string is built or copied, the engine's threads parse the TSV); otherwise an
 * `INSERT … FORMAT TabSeparated` command carries them (a server; serve's sink).
 */
export async function writeTsv(s: StoreClient, b: EncodedTsv, token: string, passthrough = false): Promise<void> {
  const jobs: Promise<unknown>[] = [];
  const raw = passthrough ? s.chdb : undefined;
  const put = (name: string, columns: string[], tsv: Uint8Array) => {
    if (!tsv.length) return;
    const settings = { ...LEDGER_INSERT_SETTINGS, insert_deduplication_token: `${token}:${name}` };
    if (raw) jobs.push(raw.rawInsert({ table: `${s.database}.${ident(name).slice(1, -1)}`, columns, format: 'TabSeparated', values: tsv, settings }));
    else jobs.push(s.client.command({ query: `INSERT INTO ${table(s, name)} (${columns.join(', ')}) FORMAT TabSeparated\n${Buffer.from(tsv.buffer, tsv.byteOffset, tsv.byteLength).toString('utf8')}`, clickhouse_settings: settings }));
  };
  put('udrs', UDR_COLS, b.udrs);
  put('charges', CHARGE_COLS, b.charges);
  put('rejects', REJECT_COLS, b.rejects);
  await Promise.all(jobs);
}

/** Insert one batch of objects; `token` identifies the batch deterministically; `passthrough`: as for writeTsv. */
export async function writeBatch(s: StoreClient, b: LedgerBatch, token: string, passthrough = false): Promise<void> {
  const u = new TsvWriter();
  const c = new TsvWriter();
  const r = new TsvWriter();
  for (const x of b.udrs) putUdr(u, x);
  for (const x of b.charges) putCharge(c, x, b.feed);
  for (const x of b.mediationRejects) putReject(r, x, 'mediation');
  for (const x of b.ratingRejects) putReject(r, x, 'rating');
  await writeTsv(s, { udrs: u.take(), charges: c.take(), rejects: r.take(), rows: u.rows + r.rows }, token, passthrough);
}
