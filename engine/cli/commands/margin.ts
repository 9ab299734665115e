/**
 * `ratestream margin [--period YYYY-MM] [--account A]`: the `margin` view (charging runs) per account, destination
 * prefix and period — revenue of the billable runs, cost of the others, margin — with a total per currency. Exact
 * decimals: amounts print as stored, never through a float.
 */
import type { Command } from 'commander';
import { loadBillingConfig } from '../../billing/config.ts';
import { parsePeriod } from '../../billing/period.ts';
import { formatMoney, sumMoney } from '../../core/money.ts';
import { marginRows } from '../../store/finance.ts';
import { table } from '../format.ts';
import { billingFile, resolveProject } from '../project-root.ts';
import { addStoreOptions, openExistingStore, type StoreFlags } from '../store-options.ts';

/** exact decimal text without trailing zeros (as ClickHouse prints a Decimal) */
const exact = (v: bigint) => formatMoney(v).replace(/\.?0+$/, '') || '0';

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('margin')
      .description('margin per account, destination and period (charging runs): billable revenue − non-billable cost, exact decimals')
      .option('--period <YYYY-MM>', 'only this period (months in the billing time zone)')
      .option('--account <id>', 'only this account')
      .option('--tz <zone>', 'time zone of the months (default: the billing settings\' time zone)')
      .option('--billing <file>', 'billing settings (time zone of the periods) (default: <project>/rules/billing/billing.yaml)'),
  ).action(async (flags: StoreFlags & { period?: string; account?: string; tz?: string; billing?: string }) => {
    const anchors = [flags.billing, flags.db];
    const timezone = flags.tz ?? loadBillingConfig(billingFile(flags, resolveProject(flags, anchors))).timezone;
    if (flags.period) parsePeriod(flags.period, timezone);
    const store = await openExistingStore(flags, anchors);
    try {
      const rows = await marginRows(store, { timezone: timezone, period: flags.period, account: flags.account });
      const log = (s: string) => process.stdout.write(`${s}\n`);
      log(`margin${flags.period ? ` ${flags.period}` : ''} (${timezone}): revenue of billable runs − cost of the other runs`);
      if (!rows.length) {
        log('(no rows)');
        return;
      }
      log(table(rows.map((r) => ({ period: r.period, account: r.account, destination: r.destination, currency: r.currency, udrs: r.udrs,
        revenue: exact(r.revenue), cost: exact(r.cost), margin: exact(r.margin) }))));
      for (const cur of [...new Set(rows.map((r) => r.currency))].sort()) {
        const mine = rows.filter((r) => r.currency === cur);
        log(`total ${cur}: revenue ${exact(sumMoney(mine.map((r) => r.revenue)))}, cost ${exact(sumMoney(mine.map((r) => r.cost)))}, margin ${exact(sumMoney(mine.map((r) => r.margin)))}`);
      }
    } finally {
      await store.close();
    }
  });
}
