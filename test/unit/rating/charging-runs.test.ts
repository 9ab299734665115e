/**
 * Charging runs (catalog `charging-runs`): one UDR rated by several runs, each run's charges named and priced by its
 * own plans; a catalog without runs rates exactly as before (the golden hashes cover the catalogs of the repo).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../engine/core/money.ts';
import { ConfigError } from '../../../engine/config/yaml-loader.ts';
import { chargeId, Rater } from '../../../engine/rating/rater.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { catalogWith, udr } from './helpers.ts';

const RUNS = readFileSync(resolve(import.meta.dirname, '../../../rules/rating/charging-runs/catalog.yaml'), 'utf8');
const MIN = 60_000;

const rows = (text: string, udrs: ReturnType<typeof udr>[]) => {
  const res = new Rater(loadCatalogText(text)).rate(udrs);
  return { res, rows: res.charges.map((c) => [c.udrId, c.run ?? '-', c.billable ?? '-', c.account, c.rateId, c.quantity, formatMoney(c.amount, 4)]) };
};

describe('charging runs: a carrier call rated by retail and wholesale', () => {
  const cases: { name: string; u: ReturnType<typeof udr>; want: unknown[][] }[] = [
    { name: 'NL mobile via KPN: retail 3 min + connect fee, wholesale per second',
      u: udr({ id: 'c1', destination: '+31612345678', quantity: 150_000, attrs: { carrier: 'kpn' } }),
      want: [['c1', 'wholesale', false, 'kpn', 'kpn-nl-mob', 150_000, '0.0775'], ['c1', 'retail', true, 'acme', 'nl-mob', 180_000, '0.4100']] },
    { name: 'DE via DTAG: 61 s is 2 retail minutes; the wholesale cost rounds half-up at 4 decimals',
      u: udr({ id: 'c2', destination: '+4930123456', quantity: 61_000, attrs: { carrier: 'dtag' } }),
      want: [['c2', 'wholesale', false, 'dtag', 'dtag-de', 61_000, '0.0483'], ['c2', 'retail', true, 'acme', 'de', 120_000, '0.4000']] },
    { name: 'DE via KPN: the route decides the cost, not the customer price',
      u: udr({ id: 'c3', account: 'globex', ratingKey: 'globex', destination: '+4930123456', quantity: 60_000, attrs: { carrier: 'kpn' } }),
      want: [['c3', 'wholesale', false, 'kpn', 'kpn-de', 60_000, '0.0520'], ['c3', 'retail', true, 'globex', 'de', 60_000, '0.2000']] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { res, rows: got } = rows(RUNS, [c.u]);
      expect(res.rejects).toEqual([]);
      expect(got).toEqual(c.want);
    });
  }

  it('a call of a customer service: the retail run prices the service plan, the wholesale run the carrier (the service was the customer\'s)', () => {
    const text = RUNS.replace('  - { id: globex, plan: retail }', '  - { id: globex, plan: retail }\n  - { id: initech, services: [{ id: sip-1, plan: retail }] }');
    const { res, rows: got } = rows(text, [udr({ id: 'c6', account: 'initech', ratingKey: 'initech', service: 'sip-1', destination: '+31612345678', quantity: 60_000, attrs: { carrier: 'kpn' } })]);
    expect(res.rejects).toEqual([]);
    expect(got).toEqual([['c6', 'wholesale', false, 'kpn', 'kpn-nl-mob', 60_000, '0.0310'], ['c6', 'retail', true, 'initech', 'nl-mob', 60_000, '0.1700']]);
    expect(res.charges.map((c) => c.service)).toEqual(['', 'sip-1']);
  });

  it('charge ids are deterministic and distinct per run', () => {
    const u = udr({ id: 'c1', destination: '+31612345678', quantity: 150_000, attrs: { carrier: 'kpn' } });
    const a = rows(RUNS, [u]).res.charges.map((c) => c.id);
    const b = rows(RUNS, [u]).res.charges.map((c) => c.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(2);
    expect(a).toEqual([chargeId('c1', 'usage@wholesale', 0), chargeId('c1', 'usage@retail', 0)]);
  });

  it('a run with no rate rejects the UDR (named run), keeping no charge of any run', () => {
    const { res } = rows(RUNS, [udr({ id: 'c4', destination: '+31612345678', quantity: 60_000, attrs: { carrier: 'dtag' } })]);
    expect(res.charges).toEqual([]);
    expect(res.rejects.map((r) => [r.reason, r.message.split(':')[0]])).toEqual([['NO_RATE', 'charging run wholesale']]);
    expect(JSON.parse(res.rejects[0]!.raw).account).toBe('acme');
  });
});

describe('charging runs: plan selection and the default run', () => {
  const rates = ['{ id: r, usage-class: voice, price: "0.10", per: 60s, increments: 60s/60s }'];
  const plain = catalogWith(rates);
  const u = udr({ id: 'u1', quantity: 90_000 });

  it('a catalog without runs: one charge, no run fields, today\'s id', () => {
    const { res, rows: got } = rows(plain, [u]);
    expect(got).toEqual([['u1', '-', '-', 'acme', 'r', 120_000, '0.2000']]);
    expect(res.charges[0]!.id).toBe(chargeId('u1', 'usage', 0));
  });

  it('a run named default keeps today\'s ids; a run\'s own plans replace the account plan', () => {
    const extra = `charging-runs:\n  - { name: default }\n  - { name: reseller, billable: true, plans: [resale] }\n`;
    const text = `${plain}${extra}  \n`.replace('      - id: plan\n', '      - id: resale\n        rates: [{ id: rs, usage-class: voice, price: "0.08", per: 60s, increments: 1s/1s }]\n      - id: plan\n');
    const { res, rows: got } = rows(text, [u]);
    expect(got).toEqual([['u1', 'reseller', true, 'acme', 'rs', 90_000, '0.1200'], ['u1', 'default', true, 'acme', 'r', 120_000, '0.2000']]);
    expect(res.charges[1]!.id).toBe(chargeId('u1', 'usage', 0));
  });

  it('rejects an unknown plan, a duplicate run and an invalid rewrite with positions', () => {
    const extra = `charging-runs:\n  - { name: a, plans: [nope] }\n  - { name: a, rewrite: { account: "attrs.(" } }\n`;
    let err: unknown;
    try { loadCatalogText(`${plain}${extra}`); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    const msgs = (err as ConfigError).problems.map((p) => p.message).join('\n');
    expect(msgs).toContain('unknown plan nope');
    expect(msgs).toContain('duplicate charging run a');
    expect((err as ConfigError).problems.length).toBe(3);
  });
});
