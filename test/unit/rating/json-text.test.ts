/**
 * The hand-written lineage JSON pieces and the fast cost text are the same text as their reference (JSON.stringify,
 * the bigint cost text), for arbitrary strings, numbers and costs — including the edges of the number fast path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonInner, jsonNumber, jsonString } from '../../../engine/rating/json-text.ts';
import { ROUNDING_MODES } from '../../../engine/core/money.ts';
import { add, costText, costTextNum, costTextReference, type CostSum, roundCost, roundCostReference, sumAdd, sumAddCost, sumCost, sumRound, sumText } from '../../../engine/rating/rational.ts';

describe('lineage JSON text', () => {
  it('jsonString = JSON.stringify for any string (quotes, backslashes, control chars, lone surrogates, non-ASCII)', () => {
    for (const s of ['', 'plain', 'a"b', 'a\\b', 'tab\there', '\u0000\u001f', '\ud800', 'x\udc00y', '→ €', '\u2028']) expect(jsonString(s)).toBe(JSON.stringify(s));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => jsonString(s) === JSON.stringify(s) && `"${jsonInner(s)}"` === JSON.stringify(s)), { numRuns: 1000 });
  });

  it('jsonNumber = JSON.stringify for integers, fractions and non-finite numbers', () => {
    for (const n of [0, -0, 1, -1, 1e21, 1.5e-7, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER]) expect(jsonNumber(n)).toBe(JSON.stringify(n));
    fc.assert(fc.property(fc.double(), (n) => jsonNumber(n) === JSON.stringify(n)), { numRuns: 2000 });
  });
});

describe('costText', () => {
  it('the number fast path writes the same text as the bigint reference', () => {
    const edges = [0n, 1n, -1n, 2n ** 52n - 1n, -(2n ** 52n - 1n), 2n ** 52n, 10n ** 10n, 999_999_999_999n, 123_456_789n];
    const dens = [1n, 3n, 7n, 60_000n, 1_000_000n, 2n ** 33n - 1n, 2n ** 33n, 10n ** 16n, 2n ** 32n + 15n];
    for (const n of edges) for (const d of dens) expect(costText({ n, d })).toBe(costTextReference({ n, d }));
    const big = fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n });
    const small = fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n });
    const den = fc.oneof(fc.bigInt({ min: 1n, max: 100_000n }), fc.bigInt({ min: 1n, max: 2n ** 34n }));
    fc.assert(fc.property(fc.oneof(small, big), den, (n, d) => costText({ n, d }) === costTextReference({ n, d })), { numRuns: 5000 });
  });

  it('costTextNum (safe integers, the lineage writer path) writes the same text as the bigint reference', () => {
    for (const n of [0, 1, -1, 2 ** 52 - 1, -(2 ** 52 - 1), 2 ** 52, 10 ** 10, 10 ** 9, 999_999_999_999, 123_456_789, 100_000_000_000_000]) {
      for (const d of [1, 3, 7, 60_000, 1_000_000, 2 ** 33 - 1, 2 ** 33, 2 ** 32 + 15]) expect(costTextNum(n, d)).toBe(costTextReference({ n: BigInt(n), d: BigInt(d) }));
    }
    const n = fc.oneof(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.maxSafeInteger().map((v) => v - 2 ** 52), fc.integer({ min: -50, max: 50 }).map((v) => v * 10 ** 8));
    const d = fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 2 ** 34 }), fc.constantFrom(1, 10, 1000, 60_000, 1_000_000));
    fc.assert(fc.property(n, d, (a, b) => costTextNum(a, b) === costTextReference({ n: BigInt(a), d: BigInt(b) })), { numRuns: 5000 });
  });
});

describe('roundCost', () => {
  it('the number path rounds exactly as the bigint reference, every mode and decimals, at the edges of 2^52', () => {
    const edges = [0n, 1n, -1n, 5n, -5n, 2n ** 52n - 1n, -(2n ** 52n - 1n), 2n ** 52n, 10n ** 10n, 15n * 10n ** 9n, -25n * 10n ** 9n, 999_999_999_999n];
    const dens = [1n, 2n, 3n, 60_000n, 1_000_000n, 2n ** 33n, 2n ** 52n - 1n, 10n ** 16n];
    for (const mode of ROUNDING_MODES) for (let dec = 0; dec <= 10; dec++) {
      for (const n of edges) for (const d of dens) expect(roundCost({ n, d }, dec, mode)).toBe(roundCostReference({ n, d }, dec, mode));
    }
    const n = fc.oneof(fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }), fc.bigInt({ min: -1_000_000_000n, max: 1_000_000_000n }));
    const d = fc.oneof(fc.bigInt({ min: 1n, max: 100_000n }), fc.bigInt({ min: 1n, max: 2n ** 44n }));
    fc.assert(fc.property(n, d, fc.integer({ min: 0, max: 10 }), fc.constantFrom(...ROUNDING_MODES),
      (nn, dd, dec, mode) => roundCost({ n: nn, d: dd }, dec, mode) === roundCostReference({ n: nn, d: dd }, dec, mode)), { numRuns: 20000 });
  });
  it('half-way cases: half-up away from zero, half-even to the even neighbour, half-down toward zero', () => {
    const half = { n: 25n * 10n ** 8n, d: 1n }; // 0.25
    expect([roundCost(half, 1, 'half-up'), roundCost(half, 1, 'half-even'), roundCost(half, 1, 'half-down')]).toEqual([3n * 10n ** 9n, 2n * 10n ** 9n, 2n * 10n ** 9n]);
    const neg = { n: -35n * 10n ** 8n, d: 1n }; // -0.35
    expect([roundCost(neg, 1, 'half-up'), roundCost(neg, 1, 'half-even'), roundCost(neg, 1, 'up'), roundCost(neg, 1, 'down')]).toEqual([-4n * 10n ** 9n, -4n * 10n ** 9n, -4n * 10n ** 9n, -3n * 10n ** 9n]);
  });
});

describe('CostSum (exact cost summed as numbers while it fits)', () => {
  it('the same value, text and rounding as the bigint sum, also past 2^53 (where it moves to bigint)', () => {
    const term = fc.record({
      n: fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.maxSafeInteger(), fc.constantFrom(2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 52, 0)),
      d: fc.oneof(fc.constantFrom(1, 60_000, 1_000, 3), fc.integer({ min: 1, max: 2 ** 40 })),
      big: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(term, { maxLength: 6 }), fc.integer({ min: 0, max: 10 }), fc.constantFrom(...ROUNDING_MODES), (terms, dec, mode) => {
      const s: CostSum = { costN: 0, costD: 1, costBig: null };
      let ref = { n: 0n, d: 1n };
      for (const t of terms) {
        if (t.big) sumAddCost(s, { n: BigInt(t.n) * 3n, d: BigInt(t.d) }); else sumAdd(s, t.n, t.d);
        ref = add(ref, { n: t.big ? BigInt(t.n) * 3n : BigInt(t.n), d: BigInt(t.d) });
      }
      const c = sumCost(s);
      expect(c.n * ref.d).toBe(ref.n * c.d);
      if (s.costBig === null) expect(Number.isSafeInteger(s.costN) && Number.isSafeInteger(s.costD) && s.costD > 0).toBe(true);
      expect(sumText(s)).toBe(costTextReference(ref));
      expect(sumRound(s, dec, mode)).toBe(roundCostReference(ref, dec, mode));
    }), { numRuns: 5000 });
  });
  it('rounded amounts from the amount cache are the exact ones: the same quotient at other decimals, colliding slots, negatives', () => {
    const round = (n: number, d: number, dec: number, mode: (typeof ROUNDING_MODES)[number]) => sumRound({ costN: n, costD: d, costBig: null }, dec, mode);
    for (const q of [0, 1, 7, 8191, 8192, 8193, 16_384 + 7, -1, -8192, -8193, 123_456_789]) {
      for (const dec of [0, 2, 4, 10]) {
        const step = 10 ** (10 - dec);
        // n / d with d = step × 3: rounds to q exactly (n = q × d), then one just below and above the half
        for (const n of [q * step * 3, q * step * 3 + 1, q * step * 3 - 1]) {
          if (!Number.isSafeInteger(n) || !Number.isSafeInteger(step * 3)) continue;
          for (const mode of ROUNDING_MODES) {
            expect(round(n, step * 3, dec, mode)).toBe(roundCostReference({ n: BigInt(n), d: BigInt(step * 3) }, dec, mode));
            expect(round(n, step * 3, dec, mode)).toBe(roundCostReference({ n: BigInt(n), d: BigInt(step * 3) }, dec, mode));
          }
        }
      }
    }
  });
});
