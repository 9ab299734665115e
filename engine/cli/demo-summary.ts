/** The end of `npm start`: issue (or re-render) the demo period's invoices and summarise them. */
import { join } from 'node:path';
import { invoiceSummary } from './commands/invoice.ts';
import { DEMO_PERIOD } from '../demo/world.ts';
import type { StoreClient } from '../store/client.ts';
import { loadBillingConfig } from '../billing/config.ts';
import { runInvoices } from '../billing/invoice.ts';
import { ratingPeriodChargeProviders } from '../billing/rating-adapter.ts';
import { dayText } from '../billing/render/format.ts';

export async function demoInvoiceSummary(store: StoreClient, dataDir: string): Promise<string> {
  const period = `${DEMO_PERIOD.year}-${String(DEMO_PERIOD.month).padStart(2, '0')}`;
  const config = loadBillingConfig();
  const out = join(dataDir, 'invoices', period);
  const r = await runInvoices(store, { period, config, out, providers: await ratingPeriodChargeProviders(config, store) });
  return [
    `invoices ${period} (issued ${r.invoices[0] ? dayText(r.invoices[0].doc.issueDate) : '-'}; HTML, PDF, CSV, JSON in ${out})`,
    invoiceSummary(r),
    `next: npx ratestream gl --period ${period}   ·   npx ratestream reconcile --period ${period}   ·   npx ratestream rerate --period ${period}`,
  ].join('\n');
}
