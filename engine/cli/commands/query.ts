/**
 * `ratestream query "<SQL>"`: run SQL against the store (in-process engine or server), read-only: a statement that
 * would change the store (INSERT, ALTER, DROP, CREATE, TRUNCATE, OPTIMIZE, …) is refused with exit code 1. Decimals
 * and 64-bit integers print exactly in every format; SQL errors point into the SQL as written.
 */
import type { Command } from 'commander';
import { csv } from '../../core/csv.ts';
import { table } from '../format.ts';
import { runUserQuery, USER_QUERY_SETTINGS, type UserQueryResult } from '../../store/user-query.ts';
import { addStoreOptions, openReadOnlyStore, type StoreFlags } from '../store-options.ts';

export const QUERY_FORMATS = ['table', 'json', 'csv'] as const;

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('query')
      .description('run read-only SQL against the ratestream store (tables: charges, udrs, rejects, ingest_files, ...; database "ratestream" is the default)')
      .argument('<sql>', 'a SELECT (or SHOW / DESCRIBE / EXPLAIN) statement; statements that change the store are refused')
      .option('-f, --format <format>', 'table | json | csv', 'table'),
  ).action(async (sql: string, flags: StoreFlags & { format: string }) => {
    if (!(QUERY_FORMATS as readonly string[]).includes(flags.format)) throw new Error(`--format must be table, json or csv (got ${flags.format})`);
    const store = await openReadOnlyStore(flags, USER_QUERY_SETTINGS);
    try {
      process.stdout.write(renderResult(await runUserQuery(store, sql), flags.format as (typeof QUERY_FORMATS)[number]));
    } finally {
      await store.close();
    }
  });
}

/** Rows as records keyed by column name (a repeated name gets a suffix so no column is lost). */
function records(r: Extract<UserQueryResult, { kind: 'rows' }>): { names: string[]; rows: Record<string, unknown>[] } {
  const seen = new Map<string, number>();
  const names = r.columns.map((c) => {
    const n = seen.get(c.name) ?? 0;
    seen.set(c.name, n + 1);
    return n ? `${c.name}_${n + 1}` : c.name;
  });
  return { names, rows: r.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]]))) };
}

export function renderResult(r: UserQueryResult, format: (typeof QUERY_FORMATS)[number]): string {
  if (r.kind === 'raw') return r.text.endsWith('\n') || !r.text ? r.text : `${r.text}\n`;
  const { names, rows } = records(r);
  if (format === 'json') return rows.map((x) => `${JSON.stringify(x)}\n`).join('');
  if (format === 'csv') return names.length ? `${csv(rows, names)}\n` : '';
  return `${rows.length ? table(rows, names) : '(no rows)'}\n`;
}
