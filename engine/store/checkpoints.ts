/**
 * File checkpoints for the embedded mode: a file (by content hash) that was processed to the end is recorded with
 * its counters; processing the same content again is skipped and reports the recorded counters, so re-running
 * never changes a total. A crash before the checkpoint re-processes the file; the ledger's dedup absorbs it.
 */
import type { Counters } from '../core/counters.ts';
import { formatMoney, parseMoney } from '../core/money.ts';
import { queryRows, table, type StoreClient } from './client.ts';

/** The counters of one input file (core/counters.ts) with what identifies it. */
export interface FileCounters extends Counters {
  pipeline: string;
  feed: string;
  file: string;
  sha256: string;
  bytes: number;
  rulesVersion: string;
  catalogVersion: string;
  fileCheck: string;
  /** catalog name and the rating state after this file (embedded mode), '' when not rated */
  catalog?: string;
  ratingState?: string;
}

export async function findCheckpoint(s: StoreClient, pipeline: string, sha256: string): Promise<FileCounters | undefined> {
  const rows = await queryRows<Record<string, any>>(s,
    `SELECT pipeline, feed, file, content_sha256, bytes, records, udrs, ignored, rejected, charges, rated,
            mapApply((k, v) -> (k, toString(v)), amounts) AS amounts, rules_version, catalog_version, file_check
     FROM ${table(s, 'ingest_files')} FINAL WHERE pipeline = {p:String} AND content_sha256 = {h:String} LIMIT 1`,
    { p: pipeline, h: sha256 });
  const r = rows[0];
  if (!r) return undefined;
  const nums = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v)]));
  return {
    pipeline: r.pipeline, feed: r.feed, file: r.file, sha256: r.content_sha256, bytes: Number(r.bytes), records: Number(r.records),
    udrs: Number(r.udrs), ignored: nums(r.ignored), rejected: nums(r.rejected), charges: Number(r.charges), rated: Number(r.rated), quantity: {},
    amounts: Object.fromEntries(Object.entries(r.amounts as Record<string, string>).map(([k, v]) => [k, parseMoney(v)])),
    rulesVersion: r.rules_version, catalogVersion: r.catalog_version, fileCheck: r.file_check,
  };
}

export async function saveCheckpoint(s: StoreClient, c: FileCounters): Promise<void> {
  await s.client.insert({
    table: `${s.database}.ingest_files`,
    format: 'JSONEachRow',
    values: [{
      pipeline: c.pipeline, feed: c.feed, file: c.file, content_sha256: c.sha256, bytes: c.bytes, records: c.records, udrs: c.udrs,
      ignored: c.ignored, rejected: c.rejected, charges: c.charges, rated: c.rated,
      amounts: Object.fromEntries(Object.entries(c.amounts).map(([k, v]) => [k, formatMoney(v)])),
      rules_version: c.rulesVersion, catalog_version: c.catalogVersion, file_check: c.fileCheck,
      catalog: c.catalog ?? '', rating_state: c.ratingState ?? '',
    }],
  });
}

/** The rating state left by the last completed file rated against `catalog` (any pipeline), if any. */
export async function latestRatingState(s: StoreClient, catalog: string): Promise<string | undefined> {
  const rows = await queryRows<{ rating_state: string }>(s,
    `SELECT rating_state FROM ${table(s, 'ingest_files')} FINAL
     WHERE catalog = {c:String} AND rating_state != '' ORDER BY finished_at DESC LIMIT 1`, { c: catalog });
  return rows[0]?.rating_state;
}

/** Content hashes recorded under a source name for a pipeline (to refuse reusing a stdin source name for other data). */
export async function checkpointHashesOf(s: StoreClient, pipeline: string, file: string): Promise<string[]> {
  const rows = await queryRows<{ h: string }>(s,
    `SELECT DISTINCT content_sha256 AS h FROM ${table(s, 'ingest_files')} FINAL WHERE pipeline = {p:String} AND file = {f:String}`, { p: pipeline, f: file });
  return rows.map((r) => r.h);
}
