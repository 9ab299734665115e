/** `ratestream invoice --period YYYY-MM [--account A] [--out DIR]`: issue (or re-render) the period's invoices. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadBillingConfig, DEFAULT_BILLING_FILE } from '../../billing/config.ts';
import { runInvoices, type InvoiceRunResult } from '../../billing/invoice.ts';
import { ratingPeriodChargeProviders } from '../../billing/rating-adapter.ts';
import { loadTaxHookModule } from '../../billing/tax.ts';
import { dayRangeText } from '../../billing/render/format.ts';
import { humanMoney, parseMoney } from '../../core/money.ts';
import { table } from '../format.ts';
import { addStoreOptions, dataDir, openMigratedStore, type StoreFlags } from '../store-options.ts';

export interface InvoiceFlags extends StoreFlags {
  period: string;
  account?: string;
  out?: string;
  billing?: string;
  taxHook?: string;
  format?: string;
}

/** Render a run as the summary table (also printed by the demo). */
export function invoiceSummary(r: InvoiceRunResult): string {
  if (!r.invoices.length) return `no invoices for ${r.period.id} (no charges)`;
  const decimals = (r.invoices[0]!.doc.totals.total.split('.')[1] ?? '').length; // the documents' rounding
  const rows: Record<string, unknown>[] = r.invoices.map((o) => ({
    invoice: o.doc.invoiceNo, account: o.doc.customer.id, status: o.status, lines: o.doc.lines.length, currency: o.doc.currency,
    net: humanMoney(o.doc.totals.net, decimals), tax: humanMoney(o.doc.totals.tax, decimals), total: humanMoney(o.doc.totals.total, decimals),
  }));
  const totals = new Map<string, [bigint, bigint, bigint]>();
  for (const o of r.invoices) {
    const t = totals.get(o.doc.currency) ?? [0n, 0n, 0n];
    t[0] += parseMoney(o.doc.totals.net); t[1] += parseMoney(o.doc.totals.tax); t[2] += parseMoney(o.doc.totals.total);
    totals.set(o.doc.currency, t);
  }
  for (const [cur, [n, t, g]] of totals) rows.push({ invoice: 'total', account: '', status: '', lines: r.invoices.filter((o) => o.doc.currency === cur).reduce((a, o) => a + o.doc.lines.length, 0), currency: cur, net: humanMoney(n, decimals), tax: humanMoney(t, decimals), total: humanMoney(g, decimals) });
  return table(rows);
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('invoice')
      .description('issue the invoices of a period from the charge ledger (issued invoices are immutable: running again re-renders them) as HTML, PDF, CSV and JSON')
      .requiredOption('--period <YYYY-MM>', 'billing period (calendar month in the billing time zone)')
      .option('-a, --account <id>', 'only this account')
      .option('-o, --out <dir>', 'output folder (default: <db>/invoices/<period>)')
      .option('--billing <file>', 'billing settings (kind: billing)', DEFAULT_BILLING_FILE)
      .option('--tax-hook <module>', 'a module exporting createTaxHook(config) instead of the built-in tax table')
      .option('--format <list>', 'comma-separated: html,pdf,csv,json', 'html,pdf,csv,json'),
  ).action(async (flags: InvoiceFlags) => {
    const config = loadBillingConfig(flags.billing);
    const formats = (flags.format ?? 'html,pdf,csv,json').split(',').map((s) => s.trim()) as ('html' | 'pdf' | 'csv' | 'json')[];
    for (const f of formats) if (!['html', 'pdf', 'csv', 'json'].includes(f)) throw new Error(`--format: unknown format ${f}`);
    const taxHook = flags.taxHook ? await loadTaxHookModule(flags.taxHook, config.taxTable) : undefined;
    const out = resolve(flags.out ?? join(dataDir(flags), 'invoices', flags.period));
    const store = await openMigratedStore(flags);
    try {
      const r = await runInvoices(store, { period: flags.period, account: flags.account, config, taxHook, providers: await ratingPeriodChargeProviders(config, store), out, formats });
      process.stdout.write(`invoices ${r.period.id} (${dayRangeText(r.period.firstDay, r.period.lastDay)}, ${r.period.timezone}) → ${out}\n${invoiceSummary(r)}\n`);
    } finally {
      await store.close();
    }
  });
}
