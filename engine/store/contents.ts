/** What a store holds, cheaply (system.tables row counts): used to refuse an empty ledger. */
import { queryRows, type StoreClient } from './client.ts';

/** The ledger tables whose rows mean "this store has data". */
export const LEDGER_TABLES = ['ingest_files', 'udrs', 'charges', 'rejects'] as const;

/** Rows per ledger table (a missing table counts 0). */
export async function ledgerRowCounts(s: StoreClient): Promise<Record<string, number>> {
  const rows = await queryRows<{ name: string; n: string | number | null }>(s,
    'SELECT name, total_rows AS n FROM system.tables WHERE database = {d:String} AND name IN {t:Array(String)}', { d: s.database, t: [...LEDGER_TABLES] });
  const out: Record<string, number> = Object.fromEntries(LEDGER_TABLES.map((t) => [t, 0]));
  for (const r of rows) out[r.name] = Number(r.n ?? 0);
  return out;
}

export async function storeIsEmpty(s: StoreClient): Promise<boolean> {
  return Object.values(await ledgerRowCounts(s)).every((n) => n === 0);
}
