/**
 * CSV renderings: one file per invoice (its lines) and the run summary. Cells are escaped against formula injection
 * (engine/core/csv.ts csvCell); amounts are plain decimal numbers, so spreadsheets keep them numeric.
 */
import { csv } from '../../core/csv.ts';
import { type InvoiceDocument, summaryRows } from '../document.ts';

export const LINE_COLUMNS = ['invoice_no', 'account', 'period', 'line', 'section', 'description', 'product', 'plan', 'usage_class', 'rate', 'service',
  'quantity', 'unit', 'charges', 'net', 'tax_code', 'tax_rate', 'tax', 'gross', 'currency', 'origin_invoice'];

export function renderInvoiceCsv(d: InvoiceDocument): string {
  const rows = d.lines.map((l) => ({
    invoice_no: d.invoiceNo, account: d.customer.id, period: d.period.id, line: l.no, section: l.section, description: l.description, product: l.product,
    plan: l.plan, usage_class: l.usageClass, rate: l.rate, service: l.service, quantity: l.quantity, unit: l.unit, charges: l.charges, net: l.net,
    tax_code: l.taxCode, tax_rate: l.taxRate, tax: l.tax, gross: addDecimal(l.net, l.tax), currency: d.currency, origin_invoice: l.origin?.invoice ?? '',
  }));
  return `${csv(rows, LINE_COLUMNS)}\n`;
}

export function renderSummaryCsv(docs: readonly InvoiceDocument[]): string {
  return `${csv(summaryRows(docs), ['invoice_no', 'account', 'name', 'period', 'issue_date', 'due_date', 'currency', 'lines', 'net', 'tax', 'total'])}\n`;
}

/** exact sum of two decimal strings with the same number of decimals */
function addDecimal(a: string, b: string): string {
  const dec = (a.split('.')[1] ?? '').length;
  const toInt = (s: string) => BigInt(s.replace('.', ''));
  const v = toInt(a) + toInt(b);
  const neg = v < 0n;
  const t = (neg ? -v : v).toString().padStart(dec + 1, '0');
  const out = dec ? `${t.slice(0, -dec)}.${t.slice(-dec)}` : t;
  return neg ? `-${out}` : out;
}
