/** Re-rating the demo period: twice with the same catalog changes nothing; a changed SMS price gives exactly the expected diff. */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBillingConfig } from '../../engine/billing/config.ts';
import { runInvoices } from '../../engine/billing/invoice.ts';
import { catalogResolver, rerate } from '../../engine/billing/rerate.ts';
import { queryRows } from '../../engine/store/client.ts';
import { type DemoStore, demoStore, ROOT } from './billing-fixture.ts';

const config = loadBillingConfig();
const PERIOD = '2026-10';

describe('rerate on the demo period', () => {
  let d: DemoStore;
  beforeAll(async () => {
    d = await demoStore('rs-billing-rerate-');
  });
  afterAll(async () => {
    await d?.store.close();
  });

  it('with the same catalog: nothing changes, twice', async () => {
    const catalogFor = catalogResolver(join(ROOT, 'pipelines'));
    for (let i = 0; i < 2; i++) {
      const r = await rerate(d.store, { period: PERIOD, timezone: config.timezone, catalogFor, out: join(d.dir, `rerate-same-${i}`) });
      expect(r.udrs).toBeGreaterThan(1000);
      expect(r.compared).toBe(r.udrs);
      expect(r.diffs).toEqual([]);
      expect(readFileSync(join(d.dir, `rerate-same-${i}`, 'diff.csv'), 'utf8').trim().split('\n')).toHaveLength(1); // header only
    }
  });

  it('a changed SMS price: one new version per business-plan SMS, +0.005 each; the second run is empty; the next invoice carries the delta', async () => {
    await runInvoices(d.store, { period: PERIOD, config });
    const dir = join(d.dir, 'catalog-v2');
    mkdirSync(dir);
    const text = readFileSync(join(ROOT, 'rules/demo/catalog.yaml'), 'utf8');
    const changed = text.replace('{ id: sms, description: SMS, usage-class: sms, unit: event, price: "0.0750", per: "1" }', '{ id: sms, description: SMS, usage-class: sms, unit: event, price: "0.0800", per: "1" }');
    expect(changed).not.toBe(text);
    writeFileSync(join(dir, 'catalog.yaml'), changed);
    for (const f of ['msisdn.csv', 'devices.csv']) copyFileSync(join(ROOT, 'rules/demo', f), join(dir, f));

    const expected = await queryRows<{ account: string; n: string }>(d.store,
      `SELECT account, count() AS n FROM charges FINAL WHERE kind = 'usage' AND plan = 'mobile-business' AND rate_id = 'sms' GROUP BY account ORDER BY account`);
    const total = expected.reduce((a, e) => a + Number(e.n), 0);
    expect(total).toBeGreaterThan(0);

    const catalogFor = catalogResolver(join(ROOT, 'pipelines'), dir);
    const first = await rerate(d.store, { period: PERIOD, timezone: config.timezone, catalogFor, out: join(d.dir, 'rerate-v2-a') });
    expect(first.diffs).toHaveLength(total);
    for (const x of first.diffs) {
      expect(x).toMatchObject({ change: 'changed', usageClass: 'sms', oldRate: 'sms', newRate: 'sms', oldVersion: 1, newVersion: 2, oldAmount: 750_000_000n, newAmount: 800_000_000n, delta: 50_000_000n });
    }
    expect(first.byAccount.map((a) => [a.account, a.charges, a.delta])).toEqual(expected.map((e) => [e.account, Number(e.n), BigInt(e.n) * 50_000_000n]));
    const csvLines = readFileSync(join(d.dir, 'rerate-v2-a', 'diff.csv'), 'utf8').trim().split('\n');
    expect(csvLines).toHaveLength(total + 1);
    expect(csvLines[1]).toMatch(/,changed,.*,sms,1,2,sms,sms,0\.0750000000,0\.0800000000,0\.0050000000$/);

    const [v] = await queryRows<{ n: string; amount: string }>(d.store, `SELECT count() AS n, toString(sum(amount)) AS amount FROM charges FINAL WHERE rate_id = 'sms' AND plan = 'mobile-business'`);
    expect(Number(v!.n)).toBe(total);
    expect(Number(v!.amount)).toBeCloseTo(total * 0.08, 6);
    const [diffs] = await queryRows<{ n: string }>(d.store, `SELECT count() AS n FROM rerate_diffs FINAL WHERE period = '${PERIOD}'`);
    expect(Number(diffs!.n)).toBe(total);

    const second = await rerate(d.store, { period: PERIOD, timezone: config.timezone, catalogFor, out: join(d.dir, 'rerate-v2-b') });
    expect(second.diffs).toEqual([]);

    // October was invoiced before: November carries the re-rating as adjustments (+0.005 per SMS per account)
    const nov = await runInvoices(d.store, { period: '2026-11', config });
    expect(nov.invoices.map((o) => o.doc.customer.id)).toEqual(expected.map((e) => e.account));
    for (const o of nov.invoices) {
      const n = Number(expected.find((e) => e.account === o.doc.customer.id)!.n);
      expect(o.doc.lines).toHaveLength(1);
      expect(o.doc.lines[0]).toMatchObject({ section: 'adjustment', charges: n, net: (Math.round(n * 0.5) / 100).toFixed(2) });
      expect(o.doc.lines[0]!.description).toContain('re-rated');
    }
  });
});
