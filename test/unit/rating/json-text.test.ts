/**
 * The hand-written lineage JSON pieces and the fast cost text are the same text as their reference (JSON.stringify,
 * the bigint cost text), for arbitrary strings, numbers and costs — including the edges of the number fast path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonInner, jsonNumber, jsonString } from '../../../engine/rating/json-text.ts';
import { costText, costTextReference } from '../../../engine/rating/rational.ts';

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
});
