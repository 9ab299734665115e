/**
 * The invoice run: per account and period, from the charge ledger in ClickHouse — usage, recurring (state-based,
 * prorated by rating), one-time transition charges, commitments/penalties, adjustments for late or re-rated usage of
 * earlier invoiced periods — taxed per line through the tax hook, written once (issued invoices are immutable: a
 * second run re-renders the stored document) and rendered as HTML, PDF, CSV and JSON.
 *
 * Deterministic: the issue date comes from the period, invoice numbers from prefix + period + account, lines are
 * ordered by section and key; the same ledger always gives byte-identical HTML/CSV/JSON.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMoney, parseMoney, roundScaled, sumMoney } from '../core/money.ts';
import type { StoreClient } from '../store/client.ts';
import {
  accountHasCharges, accountsToInvoice, chargesInWindow, findInvoice, type InvoiceItemRow, type InvoiceLineRow, type LedgerCharge, pendingAdjustments,
  type PendingAdjustment, poolBalancesOf, stateLog, writeEvents, writeInvoice,
} from '../store/finance.ts';
import { writeBatch } from '../store/ledger.ts';
import type { BillingConfig } from './config.ts';
import { makeEvent, toStored } from './events/model.ts';
import type { PeriodChargeProvider } from './period-charges.ts';
import { addDays, type BillingPeriod, issueDate, parsePeriod } from './period.ts';
import { renderInvoiceCsv, renderSummaryCsv } from './render/csv.ts';
import { renderInvoiceHtml } from './render/html.ts';
import { renderInvoicePdf } from './render/pdf.ts';
import { periodShareText, quantityText, spanText } from './render/format.ts';
import { lineTax, TableTaxHook, type TaxHook } from './tax.ts';
import { type InvoiceDocLine, type InvoiceDocument, type Section, SECTIONS, summaryRows } from './document.ts';

export { type InvoiceDocLine, type InvoiceDocument, type Section, SECTION_TITLES, SECTIONS, summaryRows } from './document.ts';

export interface InvoiceRunOptions {
  period: string;
  account?: string;
  config: BillingConfig;
  taxHook?: TaxHook;
  providers?: readonly PeriodChargeProvider[];
  /** write files here (HTML, PDF, CSV, JSON per invoice; summary.csv/json); omitted = no files */
  out?: string;
  formats?: readonly ('html' | 'pdf' | 'csv' | 'json')[];
}

export interface InvoiceOutcome {
  doc: InvoiceDocument;
  /** issued by this run, or issued before (re-rendered from the stored document) */
  status: 'issued' | 'existing';
  files: string[];
}

export interface InvoiceRunResult {
  period: BillingPeriod;
  invoices: InvoiceOutcome[];
  /** period charges written by providers */
  periodCharges: number;
  files: string[];
  /** accounts invoiced without billing details (no name, address or jurisdiction of their own) */
  warnings: string[];
}

export function invoiceNumber(prefix: string, period: string, account: string): string {
  return `${prefix}-${period.replace('-', '')}-${account}`;
}

export async function runInvoices(st: StoreClient, opts: InvoiceRunOptions): Promise<InvoiceRunResult> {
  const cfg = opts.config;
  const period = parsePeriod(opts.period, cfg.timezone);
  const tax = opts.taxHook ?? new TableTaxHook(cfg.taxTable);
  const w = { from: period.start, to: period.end };
  if (opts.account && !cfg.knowsAccount(opts.account) && !(await accountHasCharges(st, opts.account))) {
    throw new Error(`unknown account ${JSON.stringify(opts.account)}: it has no charges in the ledger and is not in the billing settings (${cfg.file}) or any catalog`);
  }

  let accounts = opts.account ? [opts.account] : await accountsToInvoice(st, w);
  let periodCharges = 0;
  if (opts.providers?.length) {
    const ctx = {
      period,
      accounts,
      stateLog: await stateLog(st, { accounts: opts.account ? [opts.account] : undefined, before: period.end }),
      poolBalances: await poolBalancesOf(st, period.id),
      usage: await chargesInWindow(st, w, { account: opts.account, kinds: ['usage'], billable: true }),
    };
    for (const p of opts.providers) {
      const charges = (await p.periodCharges(ctx)).filter((c) => !opts.account || c.account === opts.account);
      for (const c of charges) {
        if (c.eventTime < period.start || c.eventTime >= period.end) throw new Error(`period charge ${c.id} of ${p.name} is outside ${period.id}`);
      }
      if (charges.length) {
        const token = `period:${p.name}:${period.id}:${createHash('sha256').update(charges.map((c) => `${c.id}:${c.amount}`).join(',')).digest('hex')}`;
        await writeBatch(st, { udrs: [], charges, mediationRejects: [], ratingRejects: [], feed: `billing:${p.name}` }, token);
        periodCharges += charges.length;
      }
    }
    if (!opts.account) accounts = await accountsToInvoice(st, w);
  }

  const outcomes: InvoiceOutcome[] = [];
  for (const account of accounts) {
    const existing = await findInvoice(st, account, period.id);
    if (existing) {
      outcomes.push({ doc: JSON.parse(existing.document) as InvoiceDocument, status: 'existing', files: [] });
      continue;
    }
    const charges = await chargesInWindow(st, w, { account, billable: true });
    const adjustments = await pendingAdjustments(st, account, period.start, cfg.timezone);
    if (!charges.length && !adjustments.length) continue;
    const built = buildInvoice(cfg, tax, period, account, charges, adjustments);
    const document = JSON.stringify(built.doc);
    const sha = createHash('sha256').update(document).digest('hex');
    await writeInvoice(st, {
      invoiceNo: built.doc.invoiceNo, account, period: period.id, periodStart: period.start, periodEnd: period.end, issueDate: built.doc.issueDate,
      dueDate: built.doc.dueDate, currency: built.doc.currency, net: built.net, tax: built.tax, total: built.net + built.tax, lines: built.lines.length,
      document, contentSha256: sha,
    }, built.lines, built.items);
    const d = built.doc;
    await writeEvents(st, [toStored(makeEvent('invoice.issued', d.invoiceNo, account, period.end, {
      invoiceNo: d.invoiceNo, period: d.period.id, issueDate: d.issueDate, dueDate: d.dueDate, currency: d.currency, ...d.totals, lines: d.lines.length,
    }))]);
    outcomes.push({ doc: built.doc, status: 'issued', files: [] });
  }

  const warnings = outcomes.filter((o) => !cfg.knowsAccount(o.doc.customer.id)).map((o) =>
    `account ${o.doc.customer.id} has no billing details (not under accounts: in ${cfg.file}, not named in any catalog): invoice ${o.doc.invoiceNo} shows its id, no address, jurisdiction ${o.doc.customer.jurisdiction} (the default)`);
  const files: string[] = [];
  if (opts.out) {
    const formats = new Set(opts.formats ?? ['html', 'pdf', 'csv', 'json']);
    mkdirSync(opts.out, { recursive: true });
    for (const o of outcomes) {
      const base = join(opts.out, o.doc.invoiceNo);
      if (formats.has('json')) o.files.push(write(`${base}.json`, `${JSON.stringify(o.doc, null, 2)}\n`));
      if (formats.has('csv')) o.files.push(write(`${base}.csv`, renderInvoiceCsv(o.doc)));
      if (formats.has('html')) o.files.push(write(`${base}.html`, renderInvoiceHtml(o.doc)));
      if (formats.has('pdf')) o.files.push(write(`${base}.pdf`, await renderInvoicePdf(o.doc)));
      files.push(...o.files);
    }
    const docs = outcomes.map((o) => o.doc);
    files.push(write(join(opts.out, 'summary.csv'), renderSummaryCsv(docs)));
    files.push(write(join(opts.out, 'summary.json'), `${JSON.stringify(summaryRows(docs), null, 2)}\n`));
  }
  return { period, invoices: outcomes, periodCharges, files, warnings };
}

function write(file: string, data: string | Buffer): string {
  writeFileSync(file, data);
  return file;
}

interface Group {
  section: Section;
  key: string;
  product: string;
  plan: string;
  usageClass: string;
  rate: string;
  service: string;
  unit: string;
  description: string;
  quantity: bigint;
  amounts: bigint[];
  items: { chargeId: string; version: number; amount: bigint; eventTime: number }[];
  origin?: { period: string; invoice: string };
}

interface Built {
  doc: InvoiceDocument;
  lines: InvoiceLineRow[];
  items: InvoiceItemRow[];
  net: bigint;
  tax: bigint;
}

function lineageOf(c: LedgerCharge): Record<string, unknown> {
  try {
    const l = JSON.parse(c.lineage) as unknown;
    return l && typeof l === 'object' ? (l as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function lineageDescription(c: LedgerCharge): string | undefined {
  const d = lineageOf(c).description;
  return typeof d === 'string' && d ? d : undefined;
}

/** A subscription line: plan and fee by name, and the service state unless it was active the whole period. */
function recurringDescription(cfg: BillingConfig, period: BillingPeriod, c: LedgerCharge): string {
  const l = lineageOf(c);
  const state = typeof l.state === 'string' ? l.state : '';
  const end = c.eventTime + Number(c.quantity);
  const full = c.eventTime === period.start && end === period.end;
  const span = full ? '' : spanText(c.eventTime, end, period.timezone);
  const note = full && (l.core ?? state) === 'active' ? '' : ` (${[state, span].filter(Boolean).join(' ')})`;
  return `${cfg.planName(c.plan)} · ${cfg.rateName(c.plan, c.rateId) ?? c.rateId}${note}`;
}

const SECTION_OF: Record<string, Section> = { usage: 'usage', recurring: 'recurring', one_time: 'one_time', penalty: 'penalty', adjustment: 'adjustment' };

/** Pure: charges + adjustments → the invoice document, its lines and the charges it bills. */
export function buildInvoice(cfg: BillingConfig, taxHook: TaxHook, period: BillingPeriod, account: string, charges: readonly LedgerCharge[],
  adjustments: readonly PendingAdjustment[]): Built {
  const groups = new Map<string, Group>();
  const currencies = new Set([...charges, ...adjustments].map((c) => c.currency));
  for (const c of currencies) if (c !== cfg.currency) throw new Error(`account ${account} has charges in ${c}; billing ${cfg.name} invoices in ${cfg.currency}`);
  const plan = (c: LedgerCharge) => `${cfg.planName(c.plan)}`;

  const add = (section: Section, key: string, c: LedgerCharge, amount: bigint, description: string, origin?: Group['origin']) => {
    const k = `${section}\u001f${key}`;
    let g = groups.get(k);
    if (!g) {
      g = { section, key, product: c.product, plan: c.plan, usageClass: c.usageClass, rate: c.rateId, service: c.service, unit: c.unit, description, quantity: 0n, amounts: [], items: [], origin };
      groups.set(k, g);
    }
    if (g.unit !== c.unit) g.unit = '';
    if (g.service !== c.service) g.service = '';
    if (g.rate !== c.rateId) g.rate = '';
    g.quantity += c.quantity;
    g.amounts.push(amount);
    g.items.push({ chargeId: c.chargeId, version: c.version, amount, eventTime: c.eventTime });
  };

  for (const c of charges) {
    const section = SECTION_OF[c.kind] ?? 'usage';
    if (section === 'usage') {
      const rate = cfg.rateName(c.plan, c.rateId) ?? `${c.usageClass}${c.rateId && c.rateId !== c.usageClass ? ` (${c.rateId})` : ''}`;
      add(section, [c.product, c.plan, c.usageClass, c.rateId, c.unit].join('\u001f'), c, c.amount, `${plan(c)} · ${rate}`);
    } else if (section === 'recurring') {
      const d = lineageDescription(c) ?? recurringDescription(cfg, period, c);
      add(section, [c.service, c.product, c.plan, c.rateId, c.matched, c.chargeId].join('\u001f'), c, c.amount, c.service ? `${c.service}: ${d}` : d);
    } else {
      const d = lineageDescription(c) ?? `${c.rateId || c.kind}${c.matched && c.matched !== '*' ? ` (${c.matched})` : ''}`;
      add(section, c.chargeId, c, c.amount, `${c.service ? `${c.service}: ` : ''}${d} · ${plan(c)}`);
    }
  }
  for (const a of adjustments) {
    const what = a.wasBilled ? 're-rated' : 'late usage';
    add('adjustment', [a.originInvoice, what, a.kind, a.product, a.plan, a.usageClass].join('\u001f'), a, a.amount - a.billed,
      `${a.originInvoice} (${a.originPeriod}): ${what} · ${plan(a)} · ${a.usageClass || a.kind}`, { period: a.originPeriod, invoice: a.originInvoice });
  }

  const order = (g: Group) => SECTIONS.indexOf(g.section);
  const sorted = [...groups.values()].sort((a, b) => order(a) - order(b) || (a.description < b.description ? -1 : a.description > b.description ? 1 : 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const customer = cfg.account(account);
  const dec = cfg.decimals;
  const lines: InvoiceLineRow[] = [];
  const items: InvoiceItemRow[] = [];
  const docLines: InvoiceDocLine[] = [];
  const taxes = new Map<string, { code: string; label: string; rate: string; jurisdiction: string; base: bigint; tax: bigint }>();
  sorted.forEach((g, i) => {
    const no = i + 1;
    const net = roundScaled(sumMoney(g.amounts), dec, cfg.rounding);
    const t = taxHook.taxFor({ account, jurisdiction: customer.jurisdiction, period: period.id, section: g.section, product: g.product, plan: g.plan, usageClass: g.usageClass, service: g.service, net });
    const taxAmount = lineTax(net, t.rate, dec, cfg.rounding);
    lines.push({ lineNo: no, section: g.section, product: g.product, plan: g.plan, usageClass: g.usageClass, rateId: g.rate, service: g.service, description: g.description,
      quantity: g.quantity, unit: g.unit, charges: g.items.length, net, jurisdiction: t.jurisdiction, taxCode: t.code, taxRate: parseMoney(t.rate), tax: taxAmount, originPeriod: g.origin?.period ?? '' });
    for (const it of g.items) items.push({ lineNo: no, chargeId: it.chargeId, chargeVersion: it.version, amount: it.amount, eventTime: it.eventTime });
    docLines.push({
      no, section: g.section, description: g.description, product: g.product, plan: g.plan, usageClass: g.usageClass, rate: g.rate, service: g.service,
      quantity: g.quantity.toString(), unit: g.unit, quantityText: g.section === 'recurring' && g.unit === 'ms' && g.items.length === 1 ? periodShareText(g.items[0]!.eventTime, g.quantity, period) : quantityText(g.quantity, g.unit), charges: g.items.length, net: formatMoney(net, dec),
      taxCode: t.code, taxRate: t.rate, tax: formatMoney(taxAmount, dec), ...(g.origin ? { origin: g.origin } : {}),
    });
    const tk = `${t.jurisdiction}\u001f${t.code}\u001f${t.rate}`;
    const agg = taxes.get(tk) ?? { code: t.code, label: t.label, rate: t.rate, jurisdiction: t.jurisdiction, base: 0n, tax: 0n };
    agg.base += net;
    agg.tax += taxAmount;
    taxes.set(tk, agg);
  });
  const net = sumMoney(lines.map((l) => l.net));
  const tax = sumMoney(lines.map((l) => l.tax));
  const issue = issueDate(period);
  const doc: InvoiceDocument = {
    invoiceNo: invoiceNumber(cfg.numberPrefix, period.id, account),
    status: 'issued',
    issueDate: issue,
    dueDate: addDays(issue, cfg.paymentTermsDays),
    currency: cfg.currency,
    period: { id: period.id, from: period.firstDay, to: period.lastDay, timezone: period.timezone },
    issuer: cfg.issuer,
    customer: { id: customer.id, name: customer.name, ...(customer.parent ? { parent: customer.parent } : {}), jurisdiction: customer.jurisdiction, address: customer.address, ...(customer.vatId ? { vatId: customer.vatId } : {}) },
    lines: docLines,
    taxes: [...taxes.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)).map((x) => ({ code: x.code, label: x.label, rate: x.rate, jurisdiction: x.jurisdiction, base: formatMoney(x.base, dec), tax: formatMoney(x.tax, dec) })),
    totals: { net: formatMoney(net, dec), tax: formatMoney(tax, dec), total: formatMoney(net + tax, dec) },
    rounding: `per line: net = exact sum of charges rounded ${cfg.rounding} to ${dec} decimals; tax = net × rate rounded ${cfg.rounding} to ${dec} decimals`,
  };
  return { doc, lines, items, net, tax };
}
