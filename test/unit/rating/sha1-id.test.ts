/**
 * Charge ids: sha1Hex24 (SHA-1 of ASCII input computed in JS) gives the same 24 hex digits as node:crypto for any
 * input — one-block ASCII (the JS path), the 55/56-character block edge, longer and non-ASCII input (crypto).
 */
import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargeId } from '../../../engine/rating/rater.ts';
import { sha1Hex24 } from '../../../engine/rating/sha1-id.ts';

const ref = (s: string) => hash('sha1', s).slice(0, 24);

describe('sha1Hex24', () => {
  it('is crypto sha1 (first 24 hex digits) of a + b at the block edges and for any string', () => {
    for (let n = 0; n <= 130; n++) {
      const s = 'x'.repeat(n);
      expect(sha1Hex24(s, '')).toBe(ref(s));
      expect(sha1Hex24('', s)).toBe(ref(s));
      expect(sha1Hex24(s.slice(0, n >> 1), s.slice(n >> 1))).toBe(ref(s));
    }
    expect(sha1Hex24('', '')).toBe(ref(''));
    expect(sha1Hex24('abc', '')).toBe('a9993e364706816aba3e2571'); // FIPS 180 example "abc"
    fc.assert(fc.property(fc.string({ maxLength: 70 }), fc.string({ maxLength: 20 }), (a, b) => sha1Hex24(a, b) === ref(a + b)), { numRuns: 5000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 10 }), (a, b) => sha1Hex24(a, b) === ref(a + b)), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'\u0000\u001f\u007f azAZ09'), maxLength: 60 }), (a) => sha1Hex24(a, '\u001fusage\u001f0') === ref(`${a}\u001fusage\u001f0`)), { numRuns: 3000 });
  });

  it('charge ids are the sha1 of UDR id, kind and sequence as before', () => {
    for (const [id, kind, seq] of [['u1', 'usage', 0], ['cdr-20261001.csv:3', 'usage', 9], ['é-id', 'one_time', 0], ['x'.repeat(60), 'usage', 1]] as const) {
      expect(chargeId(id, kind, seq)).toBe(ref(`${id}\u001f${kind}\u001f${seq}`));
    }
  });
});
