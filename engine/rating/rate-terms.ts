/**
 * The terms of every rate of a catalog version, stored once in `rate_terms` (migration 012): what a usage charge's
 * compact lineage (rating/steps/lineage.ts) leaves out — the model and its text around the numbers of the detail,
 * the connect fee, the rate's own rounding — and the rate's price in words. Written before a catalog rates into the
 * store (`run`, `serve`, `rerate`); the view `charge_lineage` joins them to the charges.
 */
import type { CompiledCatalog } from './catalog.ts';
import { roundingOf } from './steps/lineage.ts';
import { table, type StoreClient } from '../store/client.ts';
import { insertTsv, tsvString } from '../store/tsv.ts';

const COLS = ['catalog', 'catalog_version', 'plan', 'rate_id', 'product', 'usage_class', 'unit', 'window', 'model', 'terms', 'detail_between', 'detail_after', 'connect_fee', 'rounding'];

/** one TSV row per rate of the catalog (columns COLS) */
export function rateTermsRows(catalog: CompiledCatalog): string[] {
  const rows: string[] = [];
  for (const plan of catalog.plans.values()) {
    for (const ix of plan.index.values()) {
      for (const r of ix.rates) {
        const d = r.model.detailPieces;
        rows.push([catalog.name, catalog.version, plan.id, r.id, r.product, r.usageClass, r.unit, r.windowId, r.model.model, r.model.describe(),
          d?.between ?? '', d?.after ?? '', r.connectFeeText, roundingOf(r.rounding)].map(tsvString).join('\t'));
      }
    }
  }
  return rows;
}

/** store the catalog's rate terms (idempotent: the same rows again are one row per rate in FINAL reads) */
export async function recordRateTerms(st: StoreClient, catalog: CompiledCatalog): Promise<void> {
  const rows = rateTermsRows(catalog);
  if (!rows.length) return;
  await st.client.command({ query: insertTsv(table(st, 'rate_terms'), COLS, rows), clickhouse_settings: { insert_deduplication_token: `rate_terms:${catalog.version}` } });
}
