/**
 * Invoice run on the demo period: golden HTML/CSV/JSON set (UPDATE_GOLDEN=1 rewrites it), the PDF's text holds the
 * totals, issued invoices are immutable (a re-run re-renders byte-identical files), usage arriving after the period
 * closed goes to the next invoice as an adjustment, and the GL export balances to zero.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBillingConfig } from '../../engine/billing/config.ts';
import { balance, buildJournal, journalCsv } from '../../engine/billing/gl.ts';
import { runInvoices, type InvoiceRunResult } from '../../engine/billing/invoice.ts';
import { ratingPeriodChargeProviders } from '../../engine/billing/rating-adapter.ts';
import { DEMO_PERIOD } from '../../engine/demo/world.ts';
import { loadPipeline } from '../../engine/pipeline/load.ts';
import { EmbeddedRunner } from '../../engine/runtime/embedded-runner.ts';
import { listInputs } from '../../engine/runtime/sources/file.ts';
import { queryRows } from '../../engine/store/client.ts';
import { invoiceLinesOfPeriod } from '../../engine/store/finance.ts';
import { type DemoStore, demoStore, golden, ROOT } from './billing-fixture.ts';

const PERIOD = `${DEMO_PERIOD.year}-${String(DEMO_PERIOD.month).padStart(2, '0')}`;
const GOLDEN = join(ROOT, 'test/integration/billing-golden', PERIOD);
const config = loadBillingConfig();

async function pdfText(file: string): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(readFileSync(file)), useSystemFonts: false, isEvalSupported: false,
    standardFontDataUrl: `${join(ROOT, 'node_modules/pdfjs-dist/standard_fonts')}/`, verbosity: 0 }).promise;
  const parts: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    parts.push(content.items.map((it) => ('str' in it ? it.str : '')).join(' '));
  }
  await doc.destroy();
  return parts.join('\n');
}

describe('invoices for the demo period', () => {
  let d: DemoStore;
  let run: InvoiceRunResult;
  const out = () => join(d.dir, 'invoices', PERIOD);

  beforeAll(async () => {
    d = await demoStore('rs-billing-invoice-');
    run = await runInvoices(d.store, { providers: await ratingPeriodChargeProviders(config, d.store), period: PERIOD, config, out: out() });
  });
  afterAll(async () => {
    await d?.store.close();
  });

  it('issues one invoice per account, totals equal to the ledger rounded per line', async () => {
    const accounts = await queryRows<{ account: string }>(d.store, `SELECT DISTINCT account FROM charges FINAL ORDER BY account`);
    expect(run.invoices.map((o) => o.doc.customer.id)).toEqual(accounts.map((a) => a.account));
    expect(run.invoices.every((o) => o.status === 'issued')).toBe(true);
    for (const o of run.invoices) {
      const net = o.doc.lines.reduce((a, l) => a + BigInt(l.net.replace('.', '')), 0n);
      const tax = o.doc.lines.reduce((a, l) => a + BigInt(l.tax.replace('.', '')), 0n);
      expect(BigInt(o.doc.totals.net.replace('.', ''))).toBe(net);
      expect(BigInt(o.doc.totals.total.replace('.', ''))).toBe(net + tax);
    }
    // exact ledger per account vs invoice net: differs only by the per-line rounding (< 0.005 per line)
    const ledger = await queryRows<{ account: string; amount: string }>(d.store, `SELECT account, toString(sum(amount)) AS amount FROM charges FINAL GROUP BY account`);
    for (const l of ledger) {
      const o = run.invoices.find((x) => x.doc.customer.id === l.account)!;
      const diff = Math.abs(Number(l.amount) - Number(o.doc.totals.net));
      expect(diff).toBeLessThanOrEqual(0.005 * o.doc.lines.length);
    }
  });

  it('matches the golden HTML, CSV and JSON set (UPDATE_GOLDEN=1 to accept changes)', () => {
    const files = readdirSync(out()).filter((f) => /\.(html|csv|json)$/.test(f)).sort();
    expect(files).toContain('summary.csv');
    expect(files.filter((f) => f.endsWith('.html'))).toHaveLength(run.invoices.length);
    for (const f of files) {
      const actual = readFileSync(join(out(), f), 'utf8');
      expect(actual, `${f} differs from ${join(GOLDEN, f)}; if intended, run UPDATE_GOLDEN=1 npx vitest run test/integration/billing-invoice.test.ts`).toBe(golden(join(GOLDEN, f), actual));
    }
    const goldenFiles = readdirSync(GOLDEN).sort();
    expect(goldenFiles, 'golden files without a rendered invoice: delete them or re-run with UPDATE_GOLDEN=1').toEqual(files);
  });

  it('renders a PDF per invoice whose text holds the invoice number and totals', async () => {
    for (const o of run.invoices) {
      const text = await pdfText(join(out(), `${o.doc.invoiceNo}.pdf`));
      const g = (s: string) => s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      expect(text).toContain(`Invoice ${o.doc.invoiceNo}`);
      expect(text).toContain(`EUR ${g(o.doc.totals.net)}`);
      expect(text).toContain(`EUR ${g(o.doc.totals.tax)}`);
      expect(text).toContain(`EUR ${g(o.doc.totals.total)}`);
      expect(text).toContain('Total due');
    }
  });

  it('keeps issued invoices immutable and bills late usage on the next invoice as an adjustment', async () => {
    const acme = run.invoices.find((o) => o.doc.customer.id === 'ACME')!;
    const before = readFileSync(join(out(), `${acme.doc.invoiceNo}.json`), 'utf8');
    // a CDR of October arrives after the October invoices were issued (ACME's first subscriber, +31638782185)
    const late = join(d.dir, 'late.csv');
    writeFileSync(late, 'record_type,record_id,event_type,calling,called,sms_peer,start_time,duration_s,bytes_up,bytes_down,cell_id\n'
      + '6,LATE1,VOICE,+31638782185,+31201234567,,2026-10-30 10:00:00,95,,,c1\n');
    const r = await new EmbeddedRunner(loadPipeline(join(ROOT, 'pipelines/demo-carrier.yaml')), d.store).runFile(listInputs(late)[0]!);
    expect(r.counters.charges).toBe(1);

    const again = await runInvoices(d.store, { providers: await ratingPeriodChargeProviders(config, d.store), period: PERIOD, config, out: out() });
    expect(again.invoices.every((o) => o.status === 'existing')).toBe(true);
    expect(readFileSync(join(out(), `${acme.doc.invoiceNo}.json`), 'utf8')).toBe(before);

    const next = await runInvoices(d.store, { period: '2026-11', config, out: join(d.dir, 'invoices', '2026-11') });
    expect(next.invoices.map((o) => o.doc.customer.id)).toEqual(['ACME']);
    const [line] = next.invoices[0]!.doc.lines;
    // 96 s at 30s/6s: 0.02 connect + 96 × 0.09 / 60 = 0.1640 → 0.16 on the invoice
    expect(line).toMatchObject({ section: 'adjustment', net: '0.16', tax: '0.03', charges: 1, origin: { period: PERIOD, invoice: acme.doc.invoiceNo } });
    expect(line!.description).toContain('late usage');
    // billed once: a third run of November adds nothing new
    const third = await runInvoices(d.store, { period: '2026-11', config });
    expect(third.invoices[0]!.status).toBe('existing');
  });

  it('exports GL journals that balance to zero, transaction-level and summary', async () => {
    const lines = await invoiceLinesOfPeriod(d.store, PERIOD);
    for (const level of ['transaction', 'summary'] as const) {
      const j = buildJournal(lines, config.gl!, level, PERIOD);
      const b = balance(j);
      expect(b.debit - b.credit).toBe(0n);
      expect(b.unbalanced).toEqual([]);
      expect(b.debit).toBe(run.invoices.reduce((a, o) => a + BigInt(o.doc.totals.total.replace('.', '')) * 10n ** 8n, 0n));
      expect(b.journals).toBe(level === 'transaction' ? run.invoices.length : 1);
      const text = journalCsv(j, 2);
      const rows = text.trim().split('\n').slice(1).map((l) => l.split(','));
      const sum = rows.reduce((a, r) => a + BigInt(r[5]!.replace('.', '')) - BigInt(r[6]!.replace('.', '')), 0n);
      expect(sum).toBe(0n);
    }
  });
});
