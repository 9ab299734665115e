/** `ratestream rerate --period YYYY-MM [--catalog DIR] [--feed F]`: re-rate a period's UDRs, write new charge versions and a diff report per run. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { humanMoney } from '../../core/money.ts';
import { loadBillingConfig } from '../../billing/config.ts';
import { parsePeriod } from '../../billing/period.ts';
import { catalogResolver, rerate } from '../../billing/rerate.ts';
import { table } from '../format.ts';
import { billingFile, pipelinesDir, resolveProject } from '../project-root.ts';
import { addStoreOptions, existingDataDir, openExistingStore, type StoreFlags } from '../store-options.ts';

interface RerateFlags extends StoreFlags {
  period: string;
  catalog?: string;
  feed: string[];
  out?: string;
  dryRun?: boolean;
}

/** A folder name per run (UTC time to the millisecond), so every run keeps its own report. */
export function runFolder(base: string, now = new Date(), dryRun = false): string {
  const id = `${now.toISOString().replace(/[-:]/g, '').replace('.', '-')}${dryRun ? '-dry-run' : ''}`;
  let dir = join(base, id);
  for (let i = 2; existsSync(dir); i++) dir = join(base, `${id}-${i}`);
  return dir;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('rerate')
      .description('re-rate the UDRs of a period from ClickHouse: new versions of the charges that changed, and a diff report per run (running it again changes nothing)')
      .requiredOption('--period <YYYY-MM>', 'billing period (in the billing time zone)')
      .option('-c, --catalog <path>', 'catalog file, or a folder with catalog.yaml: applies to the feeds whose pipeline uses a catalog of that name (or to --feed); default: each feed\'s pipeline catalog')
      .option('--feed <feed>', 're-rate only this feed (repeatable); with --catalog: apply that catalog to it', (v: string, a: string[]) => [...a, v], [])
      .option('--pipelines <dir>', 'where to find the pipeline of each feed (default: <project>/pipelines)')
      .option('--billing <file>', 'billing settings: time zone of the period (default: <project>/rules/billing/billing.yaml)')
      .option('-o, --out <dir>', 'diff reports go to a new folder per run under this one (default: <db>/rerate/<period>)')
      .option('--dry-run', 'report the diff, write nothing to the store'),
  ).action(async (flags: RerateFlags) => {
    const anchors = [flags.billing, flags.catalog, flags.db];
    const project = resolveProject(flags, anchors);
    const cfg = loadBillingConfig(billingFile(flags, project));
    parsePeriod(flags.period, cfg.timezone);
    const feeds = flags.feed.length ? flags.feed : undefined;
    const catalogFor = catalogResolver(pipelinesDir(flags, project), flags.catalog, feeds);
    const store = await openExistingStore(flags, anchors);
    try {
      const out = runFolder(resolve(flags.out ?? join(existingDataDir(flags, anchors), 'rerate', flags.period)), new Date(), flags.dryRun);
      const r = await rerate(store, { period: flags.period, timezone: cfg.timezone, catalogFor, out, dryRun: flags.dryRun });
      const log = (s: string) => process.stdout.write(`${s}\n`);
      if (!r.catalogs.length) {
        const why = r.skipped.map((x) => `${x.feed}: ${x.reason}`).join('; ');
        throw new Error(r.udrs ? `nothing re-rated in ${r.period}: ${why || 'no feed matched'}` : `no UDRs in ${r.period}: nothing to re-rate`);
      }
      log(`rerate ${r.period} with ${r.catalogs.join(', ')}: ${r.udrs} UDRs, ${r.compared} charges compared, ${r.diffs.length} changed${flags.dryRun ? ' (dry run: nothing written)' : ''}`);
      for (const s of r.skipped) log(`  not re-rated: feed ${s.feed} (${s.reason})`);
      const kinds = { changed: 0, new: 0, void: 0 };
      for (const d of r.diffs) kinds[d.change]++;
      if (r.diffs.length) {
        log(`  (${kinds.changed} new versions, ${kinds.new} newly rated, ${kinds.void} voided)`);
        log(table(r.byAccount.map((a) => ({ account: a.account, charges: a.charges, old: humanMoney(a.old), new: humanMoney(a.new), delta: humanMoney(a.delta) }))));
      }
      log(`diff report → ${r.files.join(', ')}`);
      const missing = (feeds ?? []).filter((f) => !r.feeds.includes(f));
      if (missing.length) {
        process.stderr.write(`ratestream: --feed ${missing.join(', ')}: no UDRs in ${r.period} (feeds with UDRs: ${[...r.feeds, ...r.skipped.map((x) => x.feed)].sort().join(', ')})\n`);
        process.exitCode = 1;
      }
    } finally {
      await store.close();
    }
  });
}
