/**
 * What people read at the terminal and on invoices, through the CLI itself (`npm start` = demo, invoice, gl, query):
 * money as 2 decimals with separators in human output and full precision in CSV; subscription lines as "1 month" or
 * "17/31 days" with plan and fee names; readable period dates.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanMoney } from '../../engine/core/money.ts';
import type { InvoiceDocument } from '../../engine/billing/invoice.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'engine/cli/bin.mjs');
const HUMAN = /^-?\d{1,3}(,\d{3})*\.\d{2}$/;

describe('CLI output for people and for machines', () => {
  let dir: string;
  let demo: string;
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--home', ROOT, '--db', join(dir, 'data')], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`ratestream ${args.join(' ')} → exit ${r.status}\n${r.stderr}`);
    return r;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rs-cli-output-'));
    demo = cli('demo', '--out', join(dir, 'demo-data'), '--no-progress').stdout;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('run summaries, the per-account table and the invoice table show money one way: 2 decimals, separators', () => {
    const totals = demo.split('\n').filter((l) => l.startsWith('total EUR'));
    expect(totals).toHaveLength(2); // one per demo pipeline
    for (const l of totals) expect(l.replace(/^total EUR\s+/, '')).toMatch(HUMAN);
    const table = demo.slice(demo.indexOf('usage per account'), demo.indexOf('query it:')).trim().split('\n').slice(3);
    expect(table.length).toBe(6);
    for (const row of table) expect(row.split(/\s+/).at(-1)).toMatch(HUMAN);
    const invoices = demo.slice(demo.indexOf('invoice   ')).split('\n').filter((l) => l.startsWith('NW-') || l.startsWith('total '));
    expect(invoices.length).toBe(7);
    for (const row of invoices) for (const v of row.trim().split(/\s+/).slice(-3)) expect(v).toMatch(HUMAN);
    expect(demo).toContain('(issued 1 Nov 2026;');
  });

  it('the run summary total is the exact ledger sum, rounded for display; CSV keeps full precision', () => {
    const csv = cli('query', "SELECT feed, toString(sum(amount)) AS amount FROM charges FINAL WHERE kind = 'usage' GROUP BY feed ORDER BY feed", '--format', 'csv').stdout.trim().split('\n').slice(1);
    expect(csv).toHaveLength(2);
    for (const line of csv) {
      const exact = line.split(',')[1]!;
      expect(exact).toMatch(/^\d+\.\d{3,}$/); // more than cents, no separators
      expect(demo).toMatch(new RegExp(`^total EUR\\s+${humanMoney(exact).replace(/[.]/g, '\\.')}$`, 'm'));
    }
  });

  it('invoice: readable period, subscription shares and names, plain numbers in its CSV', () => {
    const r = cli('invoice', '--period', '2026-10', '--account', 'GLOBEX', '--out', join(dir, 'inv'));
    expect(r.stdout.split('\n')[0]).toBe(`invoices 2026-10 (1–31 Oct 2026, Europe/Amsterdam) → ${join(dir, 'inv')}`);
    const doc = JSON.parse(readFileSync(join(dir, 'inv', 'NW-202610-GLOBEX.json'), 'utf8')) as InvoiceDocument;
    const subs = doc.lines.filter((l) => l.section === 'recurring');
    expect(subs.length).toBeGreaterThan(1);
    const late = subs.find((l) => l.service === 'GLOBEX-M2')!; // starts on 15 Oct (engine/demo/catalog.ts)
    expect(late.quantityText).toBe('17/31 days');
    expect(late.description).toBe('GLOBEX-M2: Mobile Business · Line fee (active 15–31 Oct 2026)');
    for (const l of subs.filter((x) => x !== late)) {
      expect(l.quantityText).toBe('1 month');
      expect(l.description).toMatch(/^GLOBEX-(M|IOT)\d: (Mobile Business · Line fee|IoT Connect · SIM fee)$/);
    }
    const usage = doc.lines.filter((l) => l.section === 'usage').map((l) => l.description);
    expect(usage).toEqual(['IoT Connect · IoT data', 'Mobile Business · Calls within NL', 'Mobile Business · International calls', 'Mobile Business · Mobile data', 'Mobile Business · SMS']);
    const html = readFileSync(join(dir, 'inv', 'NW-202610-GLOBEX.html'), 'utf8');
    expect(html).toContain('<td>Period</td><td>1–31 Oct 2026 (Europe/Amsterdam)</td>');
    expect(html).toContain('<td>Due date</td><td>1 Dec 2026</td>');
    expect(html).toContain(`EUR ${humanMoney(doc.totals.total)}`);
    const csvNets = readFileSync(join(dir, 'inv', 'NW-202610-GLOBEX.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.match(/,(\d+\.\d{2}),[A-Z]{2}-/)?.[1]);
    expect(csvNets.every((n) => n !== undefined)).toBe(true);
  });

  it('gl: plain amounts in the CSV, the balance line for people', () => {
    const r = cli('gl', '--period', '2026-10', '--out', '-');
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      expect(row[5]).toMatch(/^\d+\.\d{2}$/);
      expect(row[6]).toMatch(/^\d+\.\d{2}$/);
    }
    expect(r.stderr).toMatch(/debit (\d{1,3}(,\d{3})*\.\d{2}) = credit \1, balance 0\.00/);
  });
});
