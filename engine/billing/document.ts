/** The canonical invoice document (what is stored and what every renderer reads), its sections and the run summary rows. */
export const SECTIONS = ['recurring', 'one_time', 'usage', 'penalty', 'adjustment'] as const;
export type Section = (typeof SECTIONS)[number];
export const SECTION_TITLES: Record<Section, string> = {
  recurring: 'Subscriptions',
  one_time: 'One-time charges',
  usage: 'Usage',
  penalty: 'Commitments and penalties',
  adjustment: 'Adjustments to earlier invoices',
};

/** The canonical invoice: what is stored, what every renderer reads. Amounts are decimal strings. */
export interface InvoiceDocument {
  invoiceNo: string;
  status: 'issued';
  issueDate: string;
  dueDate: string;
  currency: string;
  period: { id: string; from: string; to: string; timezone: string };
  issuer: { name: string; address: string[]; vatId?: string; iban?: string };
  customer: { id: string; name: string; parent?: string; jurisdiction: string; address: string[]; vatId?: string };
  lines: InvoiceDocLine[];
  taxes: { code: string; label: string; rate: string; jurisdiction: string; base: string; tax: string }[];
  totals: { net: string; tax: string; total: string };
  rounding: string;
}

export interface InvoiceDocLine {
  no: number;
  section: Section;
  description: string;
  product: string;
  plan: string;
  usageClass: string;
  rate: string;
  service: string;
  quantity: string;
  unit: string;
  quantityText: string;
  charges: number;
  net: string;
  taxCode: string;
  taxRate: string;
  tax: string;
  /** for adjustments: the period and invoice corrected */
  origin?: { period: string; invoice: string };
}

export function summaryRows(docs: readonly InvoiceDocument[]): Record<string, string | number>[] {
  return docs.map((d) => ({
    invoice_no: d.invoiceNo, account: d.customer.id, name: d.customer.name, period: d.period.id, issue_date: d.issueDate, due_date: d.dueDate,
    currency: d.currency, lines: d.lines.length, net: d.totals.net, tax: d.totals.tax, total: d.totals.total,
  }));
}
