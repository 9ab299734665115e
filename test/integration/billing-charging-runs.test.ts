/**
 * Charging runs end to end on the in-process ClickHouse: `ratestream run` of the carrier-runs pipeline rates each call
 * by the retail (billable) and wholesale (cost, account rewritten to the carrier) runs; the invoice run bills only the
 * retail charges; the `margin` view (migration 007) gives revenue − cost per account, destination and period, exact.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/cli/commands/run.ts';
import { loadBillingConfig } from '../../engine/billing/config.ts';
import { runInvoices, type InvoiceRunResult } from '../../engine/billing/invoice.ts';
import { rerate } from '../../engine/billing/rerate.ts';
import { loadCatalogText } from '../../engine/rating/catalog.ts';
import { parseMoney } from '../../engine/core/money.ts';
import { openStore, queryRows, type StoreClient } from '../../engine/store/client.ts';
import { marginRows } from '../../engine/store/finance.ts';
import { migrate } from '../../engine/store/migrate.ts';
import { runUserQuery } from '../../engine/store/user-query.ts';
import { ROOT } from './billing-fixture.ts';

const PIPELINE = join(ROOT, 'rules/rating/charging-runs/pipeline.yaml');

describe('charging runs: run → invoice → margin', () => {
  let dir: string;
  let store: StoreClient;
  let run: InvoiceRunResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-charging-runs-'));
    store = await openStore({ dbDir: join(dir, 'ch') });
    await migrate(store);
    await runPipeline(PIPELINE, { progress: false, db: dir }, store, () => {});
    run = await runInvoices(store, { period: '2026-11', config: loadBillingConfig(), out: join(dir, 'invoices') });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('stores one charge per call and run, with the run, billable flag and exact amount', async () => {
    const rows = await queryRows<Record<string, unknown>>(store,
      `SELECT udr_id, run, billable, account, toString(amount) AS amount FROM charges FINAL ORDER BY udr_id, run`);
    expect(rows.map((r) => [r.udr_id, r.run, r.billable, r.account, r.amount])).toEqual([
      ['c1', 'retail', true, 'acme', '0.41'], ['c1', 'wholesale', false, 'kpn', '0.0775'],
      ['c2', 'retail', true, 'acme', '0.4'], ['c2', 'wholesale', false, 'dtag', '0.0483'],
      ['c3', 'retail', true, 'globex', '0.2'], ['c3', 'wholesale', false, 'kpn', '0.052'],
      ['c4', 'retail', true, 'acme', '0.17'], ['c4', 'wholesale', false, 'kpn', '0.0155'],
    ]);
  });

  it('the ingest reconciliation counts UDRs rated, not charges: 4 UDRs with 8 charges (two runs) leave none unrated', async () => {
    const rows = await queryRows<Record<string, unknown>>(store,
      'SELECT records, udrs, charges, rated, unaccounted, unrated FROM ingest_reconciliation');
    expect(rows.map((r) => [r.records, r.udrs, r.charges, r.rated, r.unaccounted, r.unrated].map(String))).toEqual([['5', '4', '8', '4', '0', '0']]);
  });

  it('invoices the customers only, with the retail charges only', async () => {
    expect(run.invoices.map((o) => [o.doc.customer.id, o.doc.totals.net])).toEqual([['acme', '0.98'], ['globex', '0.20']]);
    const items = await queryRows<{ charge_id: string }>(store, 'SELECT charge_id FROM invoice_items FINAL ORDER BY charge_id');
    const retail = await queryRows<{ charge_id: string }>(store, `SELECT charge_id FROM charges FINAL WHERE run = 'retail' ORDER BY charge_id`);
    expect(items.map((r) => r.charge_id)).toEqual(retail.map((r) => r.charge_id));
    const unbilled = await queryRows<{ n: string }>(store, `SELECT toString(count()) AS n FROM unbilled_charges(tz = 'UTC')`);
    expect(unbilled[0]!.n).toBe('0');
  });

  it('the margin view: billable revenue minus wholesale cost per account, destination and period, exact decimals', async () => {
    const res = await runUserQuery(store, `SELECT * FROM margin(tz = 'UTC') ORDER BY account, destination`);
    expect(res.kind).toBe('rows');
    if (res.kind !== 'rows') return;
    expect(res.columns.map((c) => c.name)).toEqual(['account', 'destination', 'period', 'currency', 'udrs', 'revenue', 'cost', 'margin']);
    expect(res.columns.slice(5).map((c) => c.type)).toEqual(['Decimal(38, 10)', 'Decimal(38, 10)', 'Decimal(38, 10)']);
    expect(res.rows.map((r) => r.map(String))).toEqual([
      ['acme', '+316', '2026-11', 'EUR', '2', '0.58', '0.093', '0.487'],
      ['acme', '+49', '2026-11', 'EUR', '1', '0.4', '0.0483', '0.3517'],
      ['globex', '+49', '2026-11', 'EUR', '1', '0.2', '0.052', '0.148'],
    ]);
  });

  it('marginRows: the view filtered by period and account, as exact bigints', async () => {
    const rows = await marginRows(store, { timezone: 'UTC', period: '2026-11', account: 'acme' });
    expect(rows.map((r) => [r.destination, r.udrs, r.revenue, r.cost, r.margin])).toEqual([
      ['+316', 2, parseMoney('0.58'), parseMoney('0.093'), parseMoney('0.487')],
      ['+49', 1, parseMoney('0.4'), parseMoney('0.0483'), parseMoney('0.3517')],
    ]);
    expect(await marginRows(store, { timezone: 'UTC', period: '2026-10' })).toEqual([]);
  });

  it('re-rating with a dearer carrier route changes only the wholesale charges: new cost and margin, the invoices untouched', async () => {
    const text = readFileSync(join(ROOT, 'rules/rating/charging-runs/catalog.yaml'), 'utf8').replace('price: "0.031"', 'price: "0.032"');
    const r = await rerate(store, { period: '2026-11', timezone: 'UTC', catalogFor: () => loadCatalogText(text) });
    expect(r.diffs.map((d) => [d.udrId, d.account, d.delta])).toEqual([['c1', 'kpn', parseMoney('0.0025')], ['c4', 'kpn', parseMoney('0.0005')]]);
    const acme = await marginRows(store, { timezone: 'UTC', period: '2026-11', account: 'acme' });
    expect(acme.map((m) => [m.destination, m.revenue, m.cost, m.margin])).toEqual([
      ['+316', parseMoney('0.58'), parseMoney('0.096'), parseMoney('0.484')],
      ['+49', parseMoney('0.4'), parseMoney('0.0483'), parseMoney('0.3517')],
    ]);
    const pending = await queryRows<{ n: string }>(store, `SELECT toString(count()) AS n FROM unbilled_charges(tz = 'UTC')`);
    expect(pending[0]!.n).toBe('0');
  });
});

describe('charging runs through the CLI: ratestream run, then ratestream margin', () => {
  it('prints the margin per account and destination and the exact total', () => {
    const db = mkdtempSync(join(tmpdir(), 'rs-charging-runs-cli-'));
    const bin = join(ROOT, 'engine/cli/bin.mjs');
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8' });
    const run = cli('run', PIPELINE, '--db', db, '--no-progress');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/total EUR\s+1\.18\n/);
    expect(run.stdout).toMatch(/total EUR \(not billable\)\s+0\.19/);
    const m = cli('margin', '--db', db, '--period', '2026-11', '--tz', 'UTC');
    expect(m.status, m.stderr).toBe(0);
    const lines = m.stdout.trim().split('\n');
    expect(lines.slice(3, 6).map((l) => l.trim().split(/\s+/))).toEqual([
      ['2026-11', 'acme', '+316', 'EUR', '2', '0.58', '0.093', '0.487'],
      ['2026-11', 'acme', '+49', 'EUR', '1', '0.4', '0.0483', '0.3517'],
      ['2026-11', 'globex', '+49', 'EUR', '1', '0.2', '0.052', '0.148'],
    ]);
    expect(lines.at(-1)).toBe('total EUR: revenue 1.18, cost 0.1933, margin 0.9867');
  }, 60_000);
});
