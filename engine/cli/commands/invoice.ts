/** `ratestream invoice --period YYYY-MM [--account A] [--out DIR]`: issue (or re-render) the period's invoices. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadBillingConfig } from '../../billing/config.ts';
import { runInvoices, type InvoiceRunResult } from '../../billing/invoice.ts';
import { ratingPeriodChargeProviders } from '../../billing/rating-adapter.ts';
import { loadTaxHookModule } from '../../billing/tax.ts';
import { dayRangeText } from '../../billing/render/format.ts';
import { humanMoney, parseMoney } from '../../core/money.ts';
import { table } from '../format.ts';
import { parsePeriod } from '../../billing/period.ts';
import { ledgerRowCounts } from '../../store/contents.ts';
import { pipelineCatalogs } from '../../billing/pipeline-catalogs.ts';
import { billingFile, PIPELINES_IN_ROOT, resolveProject } from '../project-root.ts';
import { addStoreOptions, existingDataDir, openExistingStore, type StoreFlags } from '../store-options.ts';

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
      .option('--billing <file>', 'billing settings (kind: billing; default: <project>/rules/billing/billing.yaml)')
      .option('--tax-hook <module>', 'a module exporting createTaxHook(config) instead of the built-in tax table')
      .option('--format <list>', 'comma-separated: html,pdf,csv,json', 'html,pdf,csv,json'),
  ).action(async (flags: InvoiceFlags) => {
    const anchors = [flags.billing, flags.db];
    const project = resolveProject(flags, anchors);
    // billing covers the catalog of every pipeline (names, addresses, subscriptions), not only the billing file's own
    const pipelines = project.root ? pipelineCatalogs(join(project.root, PIPELINES_IN_ROOT)).filter((p) => existsSync(p.catalog)) : [];
    const config = loadBillingConfig(billingFile(flags, project), pipelines.map((p) => p.catalog));
    parsePeriod(flags.period, config.timezone);
    const formats = (flags.format ?? 'html,pdf,csv,json').split(',').map((s) => s.trim()) as ('html' | 'pdf' | 'csv' | 'json')[];
    for (const f of formats) if (!['html', 'pdf', 'csv', 'json'].includes(f)) throw new Error(`--format: unknown format ${f}`);
    const taxHook = flags.taxHook ? await loadTaxHookModule(flags.taxHook, config.taxTable) : undefined;
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    const store = await openExistingStore(flags, anchors);
    try {
      // documents are issued from a ledger, never from catalog subscriptions alone
      if ((await ledgerRowCounts(store)).charges === 0) throw new Error(`the ledger in ${store.where} has no charges: nothing to invoice (run \`ratestream run <pipeline>\` first)`);
      const out = resolve(flags.out ?? join(existingDataDir(flags, anchors), 'invoices', flags.period));
      const r = await runInvoices(store, { period: flags.period, account: flags.account, config, taxHook, providers: await ratingPeriodChargeProviders(config, store, pipelines, warn), out, formats });
      for (const w of r.warnings) warn(w);
      process.stdout.write(`invoices ${r.period.id} (${dayRangeText(r.period.firstDay, r.period.lastDay)}, ${r.period.timezone}) → ${out}\n${invoiceSummary(r)}\n`);
    } finally {
      await store.close();
    }
  });
}
