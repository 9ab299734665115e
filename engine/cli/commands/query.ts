/** `ratestream query "<SQL>"`: run SQL against the same store (in-process engine or server). */
import type { Command } from 'commander';
import { csv } from '../../core/csv.ts';
import { table } from '../format.ts';
import { EXACT_JSON_SETTINGS, queryRows } from '../../store/client.ts';
import { addStoreOptions, openMigratedStore, type StoreFlags } from '../store-options.ts';

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('query')
      .description('run SQL against the ratestream store (tables: charges, udrs, rejects, ingest_files, ...; database "ratestream" is the default)')
      .argument('<sql>', 'a SELECT statement')
      .option('-f, --format <format>', 'table | json | csv', 'table'),
  ).action(async (sql: string, flags: StoreFlags & { format: string }) => {
    if (!['table', 'json', 'csv'].includes(flags.format)) throw new Error(`--format must be table, json or csv (got ${flags.format})`);
    const store = await openMigratedStore(flags);
    try {
      const rows = await queryRows(store, cleanSql(sql), undefined, EXACT_JSON_SETTINGS);
      const out = flags.format === 'json' ? rows.map((r) => JSON.stringify(r)).join('\n') : flags.format === 'csv' ? csv(rows) : table(rows);
      process.stdout.write(`${out}\n`);
    } finally {
      await store.close();
    }
  });
}

/** One statement, trailing semicolons dropped; the store's database is the session default. */
export function cleanSql(sql: string): string {
  return sql.trim().replace(/;+\s*$/, '');
}
