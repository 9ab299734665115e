/**
 * PDF invoice with pdfkit (standard Helvetica, no font files). Deterministic: creation date = issue date, so the
 * document id and bytes depend only on the invoice.
 */
import PDFDocument from 'pdfkit';
import { type InvoiceDocument, SECTION_TITLES, SECTIONS } from '../document.ts';
import { groupDigits as m } from '../../core/money.ts';
import { dayRangeText, dayText, rateText } from './format.ts';

const LEFT = 48;
const RIGHT = 547; // A4 width 595 − 48
const COLS = { no: LEFT, desc: LEFT + 22, qty: 330, charges: 395, net: 460, rate: 490, tax: RIGHT } as const;

export function renderInvoicePdf(d: InvoiceDocument): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: { Title: `Invoice ${d.invoiceNo}`, Author: d.issuer.name, Subject: `Invoice ${d.invoiceNo} for ${d.customer.name}`, Creator: 'ratestream', Producer: 'ratestream', CreationDate: new Date(`${d.issueDate}T00:00:00Z`) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const cur = d.currency;
  const bottom = () => doc.page.height - 72;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };
  const right = (text: string, xRight: number, y: number, width = 80) => doc.text(text, xRight - width, y, { width, align: 'right', lineBreak: false });

  doc.font('Helvetica-Bold').fontSize(18).text(`Invoice ${d.invoiceNo}`, LEFT, 48);
  doc.font('Helvetica').fontSize(9);
  const top = 80;
  doc.font('Helvetica-Bold').text(d.issuer.name, LEFT, top).font('Helvetica');
  for (const l of d.issuer.address) doc.text(l);
  if (d.issuer.vatId) doc.text(`VAT ${d.issuer.vatId}`);
  doc.font('Helvetica-Bold').text(d.customer.name, 330, top).font('Helvetica');
  doc.text(`Account ${d.customer.id}${d.customer.parent ? ` (reports to ${d.customer.parent})` : ''}`, 330);
  for (const l of d.customer.address) doc.text(l, 330);
  if (d.customer.vatId) doc.text(`VAT ${d.customer.vatId}`, 330);

  let y = 160;
  for (const [k, v] of [['Period', `${dayRangeText(d.period.from, d.period.to)} (${d.period.timezone})`], ['Issue date', dayText(d.issueDate)], ['Due date', dayText(d.dueDate)], ['Currency', cur]] as const) {
    doc.text(k, LEFT, y).text(v, LEFT + 80, y);
    y += 13;
  }
  y += 10;
  const header = (yy: number) => {
    doc.font('Helvetica-Bold').fontSize(8);
    doc.text('#', COLS.no, yy).text('Description', COLS.desc, yy);
    right('Quantity', COLS.qty, yy);
    right('Charges', COLS.charges, yy, 50);
    right(`Net ${cur}`, COLS.net, yy, 60);
    right('Tax', COLS.rate, yy, 28);
    right(`Tax ${cur}`, COLS.tax, yy, 55);
    doc.moveTo(LEFT, yy + 11).lineTo(RIGHT, yy + 11).lineWidth(0.5).stroke();
    doc.font('Helvetica').fontSize(8);
    return yy + 15;
  };
  doc.y = header(y);
  for (const s of SECTIONS) {
    const lines = d.lines.filter((l) => l.section === s);
    if (!lines.length) continue;
    ensure(30);
    doc.font('Helvetica-Bold').text(SECTION_TITLES[s], LEFT, doc.y + 2).font('Helvetica');
    for (const l of lines) {
      const h = doc.heightOfString(l.description, { width: COLS.qty - 80 - COLS.desc - 4 });
      ensure(h + 4);
      const yy = doc.y + 2;
      doc.fillColor('#888').text(String(l.no), COLS.no, yy).fillColor('#000');
      doc.text(l.description, COLS.desc, yy, { width: COLS.qty - 80 - COLS.desc - 4 });
      const after = doc.y;
      right(l.quantityText, COLS.qty, yy);
      right(String(l.charges), COLS.charges, yy, 50);
      right(m(l.net), COLS.net, yy, 60);
      right(rateText(l.taxRate), COLS.rate, yy, 28);
      right(m(l.tax), COLS.tax, yy, 55);
      doc.y = Math.max(after, yy + 10);
    }
  }
  ensure(40 + 12 * d.taxes.length);
  doc.y += 10;
  doc.font('Helvetica-Bold').text('Tax', LEFT, doc.y);
  const ty = doc.y - 10;
  right(`Base ${cur}`, COLS.net, ty, 70);
  right(`Tax ${cur}`, COLS.tax, ty, 70);
  doc.font('Helvetica');
  for (const t of d.taxes) {
    const yy = doc.y + 1;
    doc.text(`${t.label} (${t.code})`, LEFT, yy, { width: 330, lineBreak: false });
    right(m(t.base), COLS.net, yy, 70);
    right(m(t.tax), COLS.tax, yy, 70);
    doc.y = yy + 11;
  }
  ensure(60);
  let yt = doc.y + 12;
  doc.fontSize(10);
  for (const [k, v, bold] of [['Net', d.totals.net, false], ['Tax', d.totals.tax, false], ['Total due', d.totals.total, true]] as const) {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').text(k, 360, yt, { lineBreak: false });
    right(`${cur} ${m(v)}`, RIGHT, yt, 120);
    yt += 15;
  }
  doc.font('Helvetica').fontSize(8).fillColor('#555');
  doc.text(`Please pay ${cur} ${m(d.totals.total)} by ${dayText(d.dueDate)}${d.issuer.iban ? ` to IBAN ${d.issuer.iban}` : ''}, quoting ${d.invoiceNo}.`, LEFT, yt + 16, { width: RIGHT - LEFT });
  doc.text(`Rounding ${d.rounding}.`, { width: RIGHT - LEFT });
  doc.end();
  return done;
}
