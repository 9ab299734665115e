/**
 * `ratestream demo` (npm start): generate the demo feeds deterministically, run the demo pipelines into the
 * in-process ClickHouse, print each summary and a per-account table. Running it again changes no total.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateDemoFeeds } from '../../demo/generate.ts';
import { queryRows, table as qtable } from '../../store/client.ts';
import { groupDigits, humanMoney } from '../../core/money.ts';
import { fmtInt, table } from '../format.ts';
import { addStoreOptions, creatingDataDir, openCreatingStore, type StoreFlags } from '../store-options.ts';
import { runPipeline } from './run.ts';
import { demoInvoiceSummary } from '../demo-summary.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
export const DEMO_PIPELINES = ['pipelines/demo-carrier.yaml', 'pipelines/demo-iot.yaml'];

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('demo')
      .description('generate sample feeds, run the demo pipelines into the in-process ClickHouse, print the summary and per-account totals')
      .option('--out <dir>', 'where the generated feeds go', 'demo-data')
      .option('--no-progress', 'no progress bar'),
  ).action(async (flags: StoreFlags & { out: string; progress?: boolean }) => {
    const out = resolve(flags.out);
    const gen = generateDemoFeeds(out);
    const log = (s: string) => process.stdout.write(`${s}\n`);
    log(`ratestream demo: generated ${fmtInt(gen.stats.carrierLines)} carrier CDR lines and ${fmtInt(gen.stats.iotLines)} IoT session records in ${flags.out}/`);
    // one data folder for the store, the DLQ files and the invoices, whatever folder the demo pipelines live in
    const db = creatingDataDir(flags);
    const store = await openCreatingStore({ ...flags, db });
    try {
      for (const p of DEMO_PIPELINES) {
        const file = join(ROOT, p);
        if (!existsSync(file)) continue;
        const feedDir = p.includes('iot') ? join(out, 'iot') : join(out, 'carrier');
        log('');
        await runPipeline(file, { ...flags, db, input: feedDir }, store, log);
      }
      const rows = await queryRows(store,
        `SELECT account, count() AS charges, sumIf(quantity, unit = 'ms') / 1000 AS voice_seconds, countIf(usage_class = 'sms') AS sms,
                round(sumIf(quantity, unit = 'byte') / 1e6, 1) AS data_mb, currency, toString(sum(amount)) AS amount
         FROM ${qtable(store, 'charges')} FINAL WHERE kind = 'usage' GROUP BY account, currency ORDER BY account`);
      log('\nusage per account (all usage charges in the store; subscriptions are billed by the invoice run below)');
      log(table(rows.map((r) => ({
        ...r, charges: fmtInt(Number(r.charges)), voice_seconds: fmtInt(Number(r.voice_seconds)), sms: fmtInt(Number(r.sms)), data_mb: groupDigits(String(r.data_mb)),
        amount: humanMoney(String(r.amount)),
      }))));
      log(`\nquery it: npx ratestream query "SELECT usage_class, count(), sum(amount) FROM charges FINAL GROUP BY usage_class"`);
      log(`\n${await demoInvoiceSummary(store, db)}`);
    } finally {
      await store.close();
    }
  });
}
