/**
 * Bundles with their own rating, as properties over random call sequences (sizes, increments, destinations): the
 * bundle never gives more than its size and only whole increments; what it covers plus what the rate prices is the
 * call; every call of more than zero pays exactly one connect fee (the bundle's when it took part, else the rate's);
 * a call outside the destination filter never touches the bundle; each call's amount is exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineageText, type Udr } from '../../engine/core/types.ts';
import { parseMoney } from '../../engine/core/money.ts';
import { loadCatalogText } from '../../engine/rating/catalog.ts';
import { Rater } from '../../engine/rating/rater.ts';

const S = 1000;
const catalog = (sizeS: number, incS: number) => `kind: catalog
name: bundle-prop
currency: EUR
timezone: UTC
destinations: { NAT: ["+31"] }
share-plans:
  - { id: nat, bucket-class: voice, unit: ms, size: ${sizeS}s, frequency: unlimited, participating: { accounts: [acme] }, destinations: [NAT], rate: { connect-fee: "0.10", increment: ${incS}s } }
products:
  - id: p
    plans:
      - id: plan
        rates: [{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 1s/1s, connect-fee: "0.05" }]
accounts: [{ id: acme, plan: plan }]
`;

const callArb = fc.record({ s: fc.integer({ min: 0, max: 900 }), nat: fc.boolean() });

describe('bundles with their own rating (properties)', () => {
  it('size and whole increments respected; covered + rated = the call; one connect fee per call; exact amounts', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1200 }), fc.integer({ min: 1, max: 120 }), fc.array(callArb, { minLength: 1, maxLength: 25 }), (sizeS, incS, calls) => {
      const rater = new Rater(loadCatalogText(catalog(sizeS, incS)));
      let used = 0;
      calls.forEach((c, i) => {
        const q = c.s * S;
        const u: Udr = { id: `c${i}`, feed: 't', usageClass: 'voice', account: 'acme', service: '', ratingKey: 'acme', startTime: Date.UTC(2025, 0, 1) + i * 3_600_000,
          quantity: q, unit: 'ms', origin: '', destination: c.nat ? '+31201234' : '+44201234', attrs: {}, source: `p:${i}`, rulesVersion: 'r' };
        const res = rater.rate([u]);
        expect(res.rejects).toEqual([]);
        const pool = res.charges.filter((x) => x.rateId === 'pool:nat');
        const rated = res.charges.filter((x) => x.rateId === 'r');
        const debit = pool.reduce((n, x) => n + x.quantity, 0);
        const covered = pool.reduce((n, x) => n + (JSON.parse(lineageText(x)).debits[0].covered as number), 0);
        if (!c.nat) expect(debit).toBe(0);
        expect(debit % (incS * S)).toBe(0);
        expect(covered).toBeLessThanOrEqual(debit);
        expect(debit - covered).toBeLessThan(incS * S);
        used += debit;
        expect(used).toBeLessThanOrEqual(sizeS * S);
        const rest = rated.reduce((n, x) => n + x.quantity, 0);
        expect(covered + rest).toBe(q);
        // one connect fee per call of more than zero: the bundle's (0.10) when it took part, else the rate's (0.05)
        const fee = q === 0 ? 0n : debit > 0 ? parseMoney('0.10') : parseMoney('0.05');
        const total = res.charges.reduce((n, x) => n + x.amount, 0n);
        expect(total).toBe(fee + parseMoney('0.01') * BigInt(rest / S));
      });
      const snap = JSON.parse(rater.snapshot()).pools['nat|acme|unlimited'];
      if (snap) expect(snap.used).toBe(used);
    }), { numRuns: 150 });
  });
});
