/** `ratestream rerate --period YYYY-MM [--catalog DIR]`: re-rate a period's UDRs, write new charge versions and a diff report. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { humanMoney } from '../../core/money.ts';
import { DEFAULT_BILLING_FILE, loadBillingConfig } from '../../billing/config.ts';
import { catalogResolver, rerate } from '../../billing/rerate.ts';
import { table } from '../format.ts';
import { addStoreOptions, dataDir, openMigratedStore, type StoreFlags } from '../store-options.ts';

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('rerate')
      .description('re-rate the UDRs of a period from ClickHouse: new versions of the charges that changed, and a diff report (running it again changes nothing)')
      .requiredOption('--period <YYYY-MM>', 'billing period (in the billing time zone)')
      .option('-c, --catalog <path>', 'catalog file, or a folder with catalog.yaml, for every feed (default: each feed\'s pipeline catalog)')
      .option('--pipelines <dir>', 'where to find the pipeline of each feed', 'pipelines')
      .option('--billing <file>', 'billing settings (time zone of the period)', DEFAULT_BILLING_FILE)
      .option('-o, --out <dir>', 'diff report folder (default: <db>/rerate/<period>)')
      .option('--dry-run', 'report the diff, write nothing to the store'),
  ).action(async (flags: StoreFlags & { period: string; catalog?: string; pipelines: string; billing?: string; out?: string; dryRun?: boolean }) => {
    const cfg = loadBillingConfig(flags.billing);
    const out = resolve(flags.out ?? join(dataDir(flags), 'rerate', flags.period));
    const store = await openMigratedStore(flags);
    try {
      const r = await rerate(store, { period: flags.period, timezone: cfg.timezone, catalogFor: catalogResolver(resolve(flags.pipelines), flags.catalog), out, dryRun: flags.dryRun });
      const log = (s: string) => process.stdout.write(`${s}\n`);
      log(`rerate ${r.period} with ${r.catalogs.join(', ') || '(no UDRs)'}: ${r.udrs} UDRs, ${r.compared} charges compared, ${r.diffs.length} changed${flags.dryRun ? ' (dry run: nothing written)' : ''}`);
      const kinds = { changed: 0, new: 0, void: 0 };
      for (const d of r.diffs) kinds[d.change]++;
      if (r.diffs.length) {
        log(`  (${kinds.changed} new versions, ${kinds.new} newly rated, ${kinds.void} voided)`);
        log(table(r.byAccount.map((a) => ({ account: a.account, charges: a.charges, old: humanMoney(a.old), new: humanMoney(a.new), delta: humanMoney(a.delta) }))));
      }
      log(`diff report → ${r.files.join(', ')}`);
    } finally {
      await store.close();
    }
  });
}
