/**
 * GL export: journal entries from the issued invoices of a period.
 * - transaction: one journal per invoice — debit receivables with the gross total, credit revenue per invoice line
 *   (account by the mapping) and tax per line (account by tax code).
 * - summary: one journal per currency for the period — receivables, revenue per GL account, tax per account and code.
 * Negative amounts (credit adjustments) swap sides. Every journal is checked to balance (debits = credits) before
 * anything is written; the amounts are the invoice's rounded line amounts, so it balances to the cent.
 */
import { formatMoney } from '../core/money.ts';
import { csv } from '../core/csv.ts';
import type { InvoiceLineForGl } from '../store/finance.ts';
import type { GlMapping } from './gl-mapping.ts';

export type GlLevel = 'transaction' | 'summary';

export interface JournalLine {
  journal: string;
  date: string;
  period: string;
  glAccount: string;
  glName: string;
  debit: bigint;
  credit: bigint;
  currency: string;
  invoiceNo: string;
  account: string;
  line: string;
  description: string;
  taxCode: string;
}

function entry(base: Omit<JournalLine, 'debit' | 'credit'>, amount: bigint, side: 'debit' | 'credit'): JournalLine {
  // a negative debit is a credit and vice versa
  const debit = side === 'debit' ? amount : -amount;
  return { ...base, debit: debit > 0n ? debit : 0n, credit: debit < 0n ? -debit : 0n };
}

export function buildJournal(lines: readonly InvoiceLineForGl[], mapping: GlMapping, level: GlLevel, period: string): JournalLine[] {
  const out: JournalLine[] = [];
  if (level === 'transaction') {
    const byInvoice = new Map<string, InvoiceLineForGl[]>();
    for (const l of lines) byInvoice.set(l.invoiceNo, [...(byInvoice.get(l.invoiceNo) ?? []), l]);
    for (const [inv, ls] of byInvoice) {
      const h = ls[0]!;
      const base = { journal: inv, date: h.issueDate, period, currency: h.currency, invoiceNo: inv, account: h.account };
      const gross = ls.reduce((a, l) => a + l.net + l.tax, 0n);
      out.push(entry({ ...base, glAccount: mapping.receivable.account, glName: mapping.receivable.name, line: '', description: `Invoice ${inv}`, taxCode: '' }, gross, 'debit'));
      for (const l of ls) {
        const rev = mapping.revenueAccount(l);
        out.push(entry({ ...base, glAccount: rev.account, glName: rev.name, line: String(l.lineNo), description: l.description, taxCode: '' }, l.net, 'credit'));
        if (l.tax !== 0n) {
          const t = mapping.taxAccount(l.taxCode);
          out.push(entry({ ...base, glAccount: t.account, glName: t.name, line: String(l.lineNo), description: `${l.taxCode} on line ${l.lineNo}`, taxCode: l.taxCode }, l.tax, 'credit'));
        }
      }
    }
  } else {
    const byCurrency = new Map<string, InvoiceLineForGl[]>();
    for (const l of lines) byCurrency.set(l.currency, [...(byCurrency.get(l.currency) ?? []), l]);
    for (const [cur, ls] of [...byCurrency].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const journal = `GL-${period}-${cur}`;
      const date = ls.map((l) => l.issueDate).sort().at(-1)!;
      const base = { journal, date, period, currency: cur, invoiceNo: '', account: '', line: '' };
      const invoices = new Set(ls.map((l) => l.invoiceNo)).size;
      const gross = ls.reduce((a, l) => a + l.net + l.tax, 0n);
      out.push(entry({ ...base, glAccount: mapping.receivable.account, glName: mapping.receivable.name, description: `${invoices} invoices ${period}`, taxCode: '' }, gross, 'debit'));
      const rev = new Map<string, { name: string; amount: bigint; lines: number }>();
      const tax = new Map<string, { account: string; name: string; code: string; amount: bigint }>();
      for (const l of ls) {
        const r = mapping.revenueAccount(l);
        const x = rev.get(r.account) ?? { name: r.name, amount: 0n, lines: 0 };
        x.amount += l.net;
        x.lines++;
        rev.set(r.account, x);
        if (l.tax !== 0n) {
          const t = mapping.taxAccount(l.taxCode);
          const k = `${t.account}\u001f${l.taxCode}`;
          const y = tax.get(k) ?? { account: t.account, name: t.name, code: l.taxCode, amount: 0n };
          y.amount += l.tax;
          tax.set(k, y);
        }
      }
      for (const [acc, x] of [...rev].sort(([a], [b]) => (a < b ? -1 : 1))) {
        out.push(entry({ ...base, glAccount: acc, glName: x.name, description: `revenue ${period} (${x.lines} invoice lines)`, taxCode: '' }, x.amount, 'credit'));
      }
      for (const y of [...tax.values()].sort((a, b) => (a.account + a.code < b.account + b.code ? -1 : 1))) {
        out.push(entry({ ...base, glAccount: y.account, glName: y.name, description: `${y.code} ${period}`, taxCode: y.code }, y.amount, 'credit'));
      }
    }
  }
  assertBalanced(out);
  return out;
}

export interface Balance {
  debit: bigint;
  credit: bigint;
  journals: number;
  unbalanced: { journal: string; difference: bigint }[];
}

export function balance(lines: readonly JournalLine[]): Balance {
  const per = new Map<string, bigint>();
  let debit = 0n, credit = 0n;
  for (const l of lines) {
    debit += l.debit;
    credit += l.credit;
    per.set(l.journal, (per.get(l.journal) ?? 0n) + l.debit - l.credit);
  }
  return { debit, credit, journals: per.size, unbalanced: [...per].filter(([, d]) => d !== 0n).map(([journal, difference]) => ({ journal, difference })) };
}

export function assertBalanced(lines: readonly JournalLine[]): void {
  const b = balance(lines);
  if (b.unbalanced.length) throw new Error(`GL export does not balance: ${b.unbalanced.map((u) => `${u.journal} off by ${formatMoney(u.difference)}`).join(', ')}`);
}

export const JOURNAL_COLUMNS = ['journal', 'date', 'period', 'gl_account', 'gl_name', 'debit', 'credit', 'currency', 'invoice_no', 'account', 'line', 'description', 'tax_code'];

/** CSV (formula-injection safe text, numeric amounts with `decimals` places). */
export function journalCsv(lines: readonly JournalLine[], decimals: number): string {
  return `${csv(lines.map((l) => ({
    journal: l.journal, date: l.date, period: l.period, gl_account: l.glAccount, gl_name: l.glName, debit: formatMoney(l.debit, decimals),
    credit: formatMoney(l.credit, decimals), currency: l.currency, invoice_no: l.invoiceNo, account: l.account, line: l.line, description: l.description, tax_code: l.taxCode,
  })), JOURNAL_COLUMNS)}\n`;
}
