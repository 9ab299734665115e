/** `ratestream reconcile [--period YYYY-MM] [--feed F]`: records in = UDRs + ignored + rejected; UDRs = rated; differences listed. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadBillingConfig } from '../../billing/config.ts';
import { parsePeriod } from '../../billing/period.ts';
import { reconcile } from '../../billing/reconcile.ts';
import { csv } from '../../core/csv.ts';
import { table } from '../format.ts';
import { billingFile, resolveProject } from '../project-root.ts';
import { addStoreOptions, openExistingStore, type StoreFlags } from '../store-options.ts';

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('reconcile')
      .description('reconcile per feed and period: records in = UDRs + ignored + rejected, UDRs = rated; lists every difference (exit code 2 when unbalanced)')
      .option('--period <YYYY-MM>', 'only this period')
      .option('--feed <feed>', 'only this feed')
      .option('--billing <file>', 'billing settings (time zone of the periods) (default: <project>/rules/billing/billing.yaml)')
      .option('--limit <n>', 'list at most this many unrated UDRs / orphan charges', '1000')
      .option('-o, --out <dir>', 'also write reconciliation.csv, differences.csv and reconciliation.json here'),
  ).action(async (flags: StoreFlags & { period?: string; feed?: string; billing?: string; limit: string; out?: string }) => {
    const anchors = [flags.billing, flags.db];
    const cfg = loadBillingConfig(billingFile(flags, resolveProject(flags, anchors)));
    if (flags.period) parsePeriod(flags.period, cfg.timezone);
    if (!/^\d+$/.test(flags.limit)) throw new Error(`--limit must be a whole number (got ${flags.limit})`);
    const store = await openExistingStore(flags, anchors);
    try {
      const r = await reconcile(store, { timezone: cfg.timezone, period: flags.period, feed: flags.feed, limit: Number(flags.limit) });
      const log = (s: string) => process.stdout.write(`${s}\n`);
      const rows = r.rows.map((x) => ({
        feed: x.feed, period: x.period, files: x.files, records: x.records, 'udrs (ingest)': x.udrsCounted, ignored: x.ignored, rejected: x.rejected,
        unaccounted: x.unaccounted, missing: x.missingUdrs, 'udrs (store)': x.udrs, rated: x.rated, 'rating rejects': x.ratingRejected, unrated: x.unrated,
        orphans: x.orphanCharges, balanced: x.balanced ? 'yes' : 'NO',
      }));
      log(`reconciliation${flags.period ? ` ${flags.period}` : ''} (${cfg.timezone}): records = UDRs + ignored + rejected; UDRs = rated + rating rejects`);
      log(table(rows));
      if (r.differences.length) {
        log(`\n${r.differences.length} difference(s):`);
        log(table(r.differences.map((d) => ({ feed: d.feed, period: d.period, kind: d.kind, subject: d.subject, count: d.count, detail: d.detail, source: d.source }))));
      } else log('\nbalanced: no differences');
      if (flags.out) {
        const out = resolve(flags.out);
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, 'reconciliation.csv'), `${csv(rows)}\n`);
        writeFileSync(join(out, 'differences.csv'), `${csv(r.differences.map((d) => ({ ...d })), ['feed', 'period', 'kind', 'subject', 'count', 'detail', 'source'])}\n`);
        writeFileSync(join(out, 'reconciliation.json'), `${JSON.stringify(r, null, 2)}\n`);
        log(`→ ${out}`);
      }
      if (!r.balanced) process.exitCode = 2;
    } finally {
      await store.close();
    }
  });
}
