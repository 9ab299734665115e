/** HTML invoice: one self-contained page (inline CSS, no scripts, no external assets), deterministic bytes. */
import { type InvoiceDocument, SECTION_TITLES, SECTIONS } from '../document.ts';
import { groupDigits as m } from '../../core/money.ts';
import { dayRangeText, dayText, escapeHtml as e, rateText } from './format.ts';

export function renderInvoiceHtml(d: InvoiceDocument): string {
  const cur = e(d.currency);
  const sections = SECTIONS.filter((s) => d.lines.some((l) => l.section === s)).map((s) => {
    const rows = d.lines.filter((l) => l.section === s).map((l) => `      <tr>
        <td class="no">${l.no}</td>
        <td>${e(l.description)}</td>
        <td class="num">${e(l.quantityText)}</td>
        <td class="num">${l.charges}</td>
        <td class="num">${m(l.net)}</td>
        <td class="num">${e(rateText(l.taxRate))}</td>
        <td class="num">${m(l.tax)}</td>
      </tr>`).join('\n');
    return `    <tbody>
      <tr class="section"><th colspan="7">${e(SECTION_TITLES[s])}</th></tr>
${rows}
    </tbody>`;
  }).join('\n');
  const taxes = d.taxes.map((t) => `      <tr><td>${e(t.label)} <span class="code">${e(t.code)}</span></td><td class="num">${m(t.base)}</td><td class="num">${m(t.tax)}</td></tr>`).join('\n');
  const addr = (lines: string[]) => lines.map((l) => `${e(l)}<br>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Invoice ${e(d.invoiceNo)}</title>
<style>
  body { font-family: Helvetica, Arial, sans-serif; font-size: 13px; color: #222; margin: 32px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .parties { display: flex; justify-content: space-between; margin: 16px 0 24px; }
  .meta td { padding: 1px 12px 1px 0; }
  table.lines, table.taxes { border-collapse: collapse; width: 100%; margin-top: 12px; }
  table.lines th, table.lines td, table.taxes th, table.taxes td { padding: 4px 6px; border-bottom: 1px solid #ddd; text-align: left; }
  tr.section th { background: #f2f4f7; }
  .num { text-align: right !important; white-space: nowrap; }
  .no { width: 2em; color: #888; }
  .code { color: #888; font-size: 11px; }
  table.totals { margin: 16px 0 0 auto; }
  table.totals td { padding: 3px 8px; }
  table.totals tr.grand td { font-weight: bold; border-top: 2px solid #222; }
  .note { color: #666; font-size: 11px; margin-top: 24px; }
</style>
</head>
<body>
<h1>Invoice ${e(d.invoiceNo)}</h1>
<div class="parties">
  <div class="issuer"><strong>${e(d.issuer.name)}</strong><br>${addr(d.issuer.address)}${d.issuer.vatId ? `VAT ${e(d.issuer.vatId)}` : ''}</div>
  <div class="customer"><strong>${e(d.customer.name)}</strong><br>Account ${e(d.customer.id)}${d.customer.parent ? ` (reports to ${e(d.customer.parent)})` : ''}<br>${addr(d.customer.address)}${d.customer.vatId ? `VAT ${e(d.customer.vatId)}` : ''}</div>
</div>
<table class="meta">
  <tr><td>Period</td><td>${e(dayRangeText(d.period.from, d.period.to))} (${e(d.period.timezone)})</td></tr>
  <tr><td>Issue date</td><td>${e(dayText(d.issueDate))}</td></tr>
  <tr><td>Due date</td><td>${e(dayText(d.dueDate))}</td></tr>
  <tr><td>Currency</td><td>${cur}</td></tr>
</table>
<table class="lines">
  <thead>
    <tr><th class="no">#</th><th>Description</th><th class="num">Quantity</th><th class="num">Charges</th><th class="num">Net ${cur}</th><th class="num">Tax rate</th><th class="num">Tax ${cur}</th></tr>
  </thead>
${sections}
</table>
<table class="taxes">
  <thead><tr><th>Tax</th><th class="num">Base ${cur}</th><th class="num">Tax ${cur}</th></tr></thead>
  <tbody>
${taxes}
  </tbody>
</table>
<table class="totals">
  <tr><td>Net</td><td class="num">${cur} ${m(d.totals.net)}</td></tr>
  <tr><td>Tax</td><td class="num">${cur} ${m(d.totals.tax)}</td></tr>
  <tr class="grand"><td>Total due</td><td class="num">${cur} ${m(d.totals.total)}</td></tr>
</table>
<p class="note">Please pay ${cur} ${m(d.totals.total)} by ${e(dayText(d.dueDate))}${d.issuer.iban ? ` to IBAN ${e(d.issuer.iban)}` : ''}, quoting ${e(d.invoiceNo)}.<br>Rounding ${e(d.rounding)}.</p>
</body>
</html>
`;
}
