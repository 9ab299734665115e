/**
 * Partial records (engine/rating/sessions.ts): interim/continuation records of one session (attrs.sessionId +
 * attrs.sequence) are rated as one call — connect fee on the first part only, increments and steps continuing across
 * parts, caps on the call — and the parts' charges sum to the call rated whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../engine/core/money.ts';
import { lineageText, type Udr } from '../../../engine/core/types.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { catalogWith, udr } from './helpers.ts';

const S = 1000;
const T = Date.parse('2025-03-03T18:58:00Z');
const RATES = [
  // 60 s first increment then 6 s; connect fee 0.05; peak until 19:00 UTC, then off-peak
  '{ id: pk, usage-class: voice, window: peak, weight: 10, per: 60s, connect-fee: "0.05", steps: [{ from: "0", price: "0.60", increment: 60s }, { from: 60s, price: "0.30", increment: 6s }] }',
  '{ id: op, usage-class: voice, per: 60s, connect-fee: "0.05", steps: [{ from: "0", price: "0.20", increment: 60s }, { from: 60s, price: "0.10", increment: 6s }] }',
  '{ id: cap, usage-class: capped, price: "1.00", per: 60s, increments: 1s/1s, max-cost: { amount: "2.00", strategy: free } }',
];
const EXTRA = 'windows: { peak: { from: "08:00", to: "19:00" } }';
const cat = () => loadCatalogText(catalogWith(RATES, EXTRA));

function parts(session: string, sizes: number[], extra: Partial<Udr> = {}): Udr[] {
  let t = T;
  return sizes.map((q, i) => {
    const u = udr({ id: `${session}-${i}`, quantity: q, startTime: t, attrs: { sessionId: session, sequence: String(i), ...(i === sizes.length - 1 ? { final: 'true' } : {}) }, ...extra });
    t += q;
    return u;
  });
}

describe('partial records of one session are one call', () => {
  it('connect fee and first increment on the first part only; later parts continue the 6 s steps', () => {
    const r = new Rater(cat());
    const res = r.rate(parts('s1', [30 * S, 40 * S, 20 * S]));
    // whole call: 90 s from 18:58:00 — 0.05 + 60 s × 0.60 + 30 s × 0.30/min = 0.05 + 0.60 + 0.15 = 0.80
    expect(res.charges.map((c) => [c.udrId, formatMoney(c.amount, 4), c.quantity])).toEqual([
      ['s1-0', '0.6500', 60 * S], // 0.05 + the 60 s first increment
      ['s1-1', '0.0600', 12 * S], // to 70 s: 2 × 6 s beyond the first minute (its first 30 s were in the first increment)
      ['s1-2', '0.0900', 18 * S], // to 90 s: 3 more 6 s increments (72–90 s)
    ]);
    const whole = new Rater(cat()).rate([udr({ id: 'w', quantity: 90 * S, startTime: T })]).charges[0]!;
    expect(res.charges.reduce((s, c) => s + c.amount, 0n)).toBe(whole.amount);
    const l = JSON.parse(lineageText(res.charges[1]!)) as { session: Record<string, unknown> };
    expect(l.session).toMatchObject({ id: 's1', part: 1, prior: 30 * S, callQuantity: 70 * S, callAmount: '0.7100000000', priorAmount: '0.6500000000' });
    expect(r.state.sessions).toEqual({}); // the final part closed it
  });
  it('a max cost caps the call, not each part', () => {
    const res = new Rater(cat()).rate(parts('s2', [90 * S, 60 * S, 30 * S], { usageClass: 'capped' }));
    expect(res.charges.map((c) => formatMoney(c.amount, 2))).toEqual(['1.50', '0.50', '0.00']);
  });
  it('a repeated or out-of-order sequence is rejected; a bad sequence too', () => {
    const r = new Rater(cat());
    r.rate([udr({ id: 'a', quantity: 10 * S, startTime: T, attrs: { sessionId: 's3', sequence: '1' } })]);
    const res = r.rate([
      udr({ id: 'b', quantity: 10 * S, startTime: T, attrs: { sessionId: 's3', sequence: '1' } }),
      udr({ id: 'c', quantity: 10 * S, startTime: T, attrs: { sessionId: 's3', sequence: 'x' } }),
    ]);
    expect(res.rejects.map((x) => [x.source, x.reason, x.message.replace(/^plan plan: /, '')])).toEqual([
      ['t:b', 'RATING_ERROR', 'session s3: part 1 comes after part 1 (a duplicate, or out of order: parts must come in sequence)'],
      ['t:c', 'RATING_ERROR', 'session s3: attrs.sequence = "x" is not a non-negative integer'],
    ]);
    expect(Object.keys(r.state.sessions ?? {})).toEqual(['acme|s3']);
  });
  it('an open session is in the state changes (changelog) and survives a snapshot/restore', () => {
    const r = new Rater(cat());
    const res = r.rate(parts('s4', [30 * S, 40 * S]).map((u) => ({ ...u, attrs: { ...u.attrs, final: 'false' } })).slice(0, 1));
    expect(res.stateChanges.map((c) => c.key)).toEqual(['sessions/acme|s4']);
    const r2 = new Rater(cat(), r.snapshot());
    const next = r2.rate([udr({ id: 's4-1', quantity: 40 * S, startTime: T + 30 * S, attrs: { sessionId: 's4', sequence: '1' } })]);
    expect(formatMoney(next.charges[0]!.amount, 4)).toBe('0.0600');
  });

  it('property: the parts of a session, however cut, sum to the call rated whole', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 400 * S }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: -300, max: 300 }),
      fc.constantFrom('voice', 'capped'),
      (sizes, shift, usageClass) => {
        const start = T + shift * S;
        const total = sizes.reduce((a, b) => a + b, 0);
        const ps = parts('p', sizes, { usageClass }).map((u, i) => ({ ...u, startTime: start + sizes.slice(0, i).reduce((a, b) => a + b, 0) }));
        const got = new Rater(cat()).rate(ps);
        const whole = new Rater(cat()).rate([udr({ id: 'w', usageClass, quantity: total, startTime: start })]);
        expect(got.rejects).toEqual([]);
        expect(got.charges.reduce((s, c) => s + c.amount, 0n)).toBe(whole.charges[0]!.amount);
        expect(got.charges.reduce((s, c) => s + c.quantity, 0)).toBe(whole.charges[0]!.quantity);
      },
    ), { numRuns: 150 });
  });
});
