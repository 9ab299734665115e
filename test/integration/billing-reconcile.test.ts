/** Reconciliation of the demo: balanced per feed and period; a planted loss (a lost charge, a lost UDR) is flagged with its ids. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBillingConfig } from '../../engine/billing/config.ts';
import { reconcile } from '../../engine/billing/reconcile.ts';
import { queryRows } from '../../engine/store/client.ts';
import { type DemoStore, demoStore } from './billing-fixture.ts';

const tz = loadBillingConfig().timezone;

describe('reconciliation on the demo', () => {
  let d: DemoStore;
  beforeAll(async () => {
    d = await demoStore('rs-billing-recon-');
  });
  afterAll(async () => {
    await d?.store.close();
  });

  it('balances: records = UDRs + ignored + rejected and UDRs = rated, per feed and period', async () => {
    const r = await reconcile(d.store, { timezone: tz, period: '2026-10' });
    expect(r.differences).toEqual([]);
    expect(r.balanced).toBe(true);
    const feeds = await queryRows<{ feed: string }>(d.store, `SELECT DISTINCT feed FROM ingest_files ORDER BY feed`);
    expect(r.rows.map((x) => x.feed)).toEqual(feeds.map((f) => f.feed));
    for (const x of r.rows) {
      expect(x.period).toBe('2026-10');
      expect(x.files).toBe(3);
      expect(x.records).toBe(x.udrsCounted + x.ignored + x.rejected);
      expect(x.ignored).toBeGreaterThan(0);
      expect(x.rejected).toBeGreaterThan(0);
      expect(x.udrs).toBe(x.udrsCounted);
      expect(x.udrs).toBe(x.rated + x.ratingRejected);
      expect(x.balanced).toBe(true);
    }
  });

  it('flags a planted loss: a charge lost after rating and a UDR lost before the store', async () => {
    const [a, b] = await queryRows<{ udr_id: string; source: string }>(d.store,
      `SELECT udr_id, source FROM udrs FINAL WHERE feed = 'carrier-cdr' ORDER BY udr_id LIMIT 2`);
    const [charge] = await queryRows<{ charge_id: string }>(d.store, `SELECT charge_id FROM charges FINAL WHERE udr_id = {u:String}`, { u: b!.udr_id });
    await d.store.client.command({ query: `DELETE FROM charges WHERE udr_id = {u:String}`, query_params: { u: a!.udr_id } });
    await d.store.client.command({ query: `DELETE FROM udrs WHERE udr_id = {u:String}`, query_params: { u: b!.udr_id } });

    const r = await reconcile(d.store, { timezone: tz, period: '2026-10' });
    expect(r.balanced).toBe(false);
    const carrier = r.rows.find((x) => x.feed === 'carrier-cdr')!;
    expect(carrier).toMatchObject({ balanced: false, missingUdrs: 1, unrated: 1, orphanCharges: 1, unaccounted: 0 });
    expect(r.rows.filter((x) => x.feed !== 'carrier-cdr').every((x) => x.balanced)).toBe(true);
    const file = b!.source.replace(/:\d+$/, '');
    expect(r.differences).toEqual([
      { feed: 'carrier-cdr', period: '2026-10', kind: 'udrs-missing', subject: file, source: file, count: 1, detail: expect.stringMatching(/UDRs counted at ingest, \d+ in the store/) },
      { feed: 'carrier-cdr', period: '2026-10', kind: 'udr-unrated', subject: a!.udr_id, source: a!.source, count: 1, detail: 'UDR has no usage charge and no rating reject' },
      { feed: 'carrier-cdr', period: '2026-10', kind: 'charge-orphan', subject: charge!.charge_id, source: b!.source, count: 1, detail: `usage charge of UDR ${b!.udr_id}, which is not in the store` },
    ]);
  });
});
