import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatMoney, parseMoney } from '../../../engine/core/money.ts';
import { catalogSchema } from '../../../engine/rating/catalog.ts';
import { PRICE_MODEL_MODULES, PRICE_MODELS } from '../../../engine/rating/price/index.ts';
import { catalogWith, rateAll, udr } from './helpers.ts';

const MIN = 60_000;

describe('price models (table)', () => {
  const cases: { name: string; rate: string; unit?: string; q: number[]; expect: string[] }[] = [
    { name: 'per-unit 60/60', rate: '{ id: r, usage-class: voice, price: "0.10", per: 60s, increments: 60s/60s }', q: [0, 1000, 60_000, 61_000, 125_000], expect: ['0.0000', '0.1000', '0.1000', '0.2000', '0.3000'] },
    { name: 'per-unit 30/6', rate: '{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 30s/6s }', q: [1000, 30_000, 31_000, 37_000], expect: ['0.3', '0.3', '0.36', '0.42'] },
    { name: 'per-unit per byte', rate: '{ id: r, usage-class: voice, unit: byte, price: "0.000001", per: "1" }', unit: 'byte', q: [1, 1_500_000], expect: ['0.0000', '1.5000'] },
    { name: 'flat', rate: '{ id: r, usage-class: voice, model: flat, price: "1.25" }', q: [0, 5, 500_000], expect: ['1.25', '1.25', '1.25'] },
    { name: 'graduated', rate: '{ id: r, usage-class: voice, unit: event, model: graduated, tiers: [{ up-to: "10", price: "1" }, { up-to: "20", price: "0.5" }, { up-to: inf, price: "0.1" }] }', unit: 'event', q: [5, 10, 15, 25], expect: ['5', '10', '12.5', '15.5'] },
    { name: 'volume', rate: '{ id: r, usage-class: voice, unit: event, model: volume, tiers: [{ up-to: "10", price: "1" }, { up-to: "20", price: "0.5" }, { up-to: inf, price: "0.1" }] }', unit: 'event', q: [5, 10, 15, 25], expect: ['5', '10', '7.5', '2.5'] },
    { name: 'package', rate: '{ id: r, usage-class: voice, unit: byte, model: package, size: 1MB, price: "5.00" }', unit: 'byte', q: [1, 1_000_000, 1_000_001], expect: ['5', '5', '10'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { amounts, res } = rateAll(catalogWith([c.rate]), c.q.map((q, i) => udr({ id: `u${i}`, quantity: q, unit: c.unit ?? 'ms' })));
      expect(res.rejects).toEqual([]);
      expect(amounts).toEqual(c.expect.map((x) => formatMoney(parseMoney(x))));
    });
  }

  it('connect fee, min and max cost (free / reject / disconnect)', () => {
    const rates = [
      '{ id: cf, usage-class: a, price: "0.10", per: 60s, increments: 1s/1s, connect-fee: "0.05" }',
      '{ id: mn, usage-class: b, price: "0.10", per: 60s, increments: 1s/1s, min-cost: "0.20" }',
      '{ id: mx, usage-class: c, price: "1.00", per: 60s, increments: 1s/1s, max-cost: { amount: "2.00", strategy: free } }',
      '{ id: rj, usage-class: d, price: "1.00", per: 60s, increments: 1s/1s, max-cost: { amount: "2.00", strategy: reject } }',
      '{ id: dc, usage-class: e, price: "0.60", per: 60s, increments: 10s/10s, connect-fee: "0.05", max-cost: { amount: "0.30", strategy: disconnect } }',
    ];
    const { res } = rateAll(catalogWith(rates), ['a', 'b', 'c', 'd', 'e'].map((uc) => udr({ id: uc, usageClass: uc, quantity: 5 * MIN })));
    const by = Object.fromEntries(res.charges.map((c) => [c.udrId, [c.amount, c.quantity]]));
    expect(by.a).toEqual([5_500_000_000n, 300_000]);
    expect(by.b).toEqual([5_000_000_000n, 300_000]);
    expect(by.c).toEqual([20_000_000_000n, 300_000]);
    expect(res.rejects.map((r) => [r.source, r.reason])).toEqual([['t:d', 'RATING_ERROR']]);
    // *disconnect (CGRateS): a finished call keeps its price, 0.05 + 5 × 0.60 = 3.05, though above the 0.30 maximum
    expect(by.e).toEqual([30_500_000_000n, 300_000]);
  });

  it('every price model file is registered and its examples lint', () => {
    const files = readdirSync(new URL('../../../engine/rating/price/', import.meta.url)).filter((f) => !['index.ts', 'types.ts', 'common.ts'].includes(f));
    expect(files.length).toBe(Object.keys(PRICE_MODEL_MODULES).length);
    for (const m of PRICE_MODELS) {
      for (const ex of m.examples) {
        const cat = { kind: 'catalog', name: 'x', currency: 'EUR', products: [{ id: 'p', plans: [{ id: 'q', rates: [ex] }] }] };
        expect(catalogSchema.safeParse(JSON.parse(JSON.stringify(cat))).success, `${m.model} example ${JSON.stringify(ex)}`).toBe(true);
      }
    }
  });

  it('catalog JSON Schema generates (draft-07)', () => {
    const js = z.toJSONSchema(catalogSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    expect(JSON.stringify(js)).toContain('share-plans');
  });
});
