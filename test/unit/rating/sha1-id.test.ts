/**
 * Charge ids and dedup hashes: sha1Head / sha1Words (SHA-1 of ASCII input computed in JS) give the same digits and
 * words as node:crypto for any input — one-block ASCII (the JS path), the 55/56/64-byte block edges, longer and
 * non-ASCII input (crypto).
 */
import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargeId } from '../../../engine/rating/rater.ts';
import { sha1Head, sha1Words } from '../../../engine/rating/sha1-id.ts';

const ref = (s: string) => hash('sha1', s).slice(0, 24);

describe('sha1Head(…, 24): the charge id digits', () => {
  it('is crypto sha1 (first 24 hex digits) of a + b at the block edges and for any string', () => {
    for (let n = 0; n <= 130; n++) {
      const s = 'x'.repeat(n);
      expect(sha1Head(s, '', 24)).toBe(ref(s));
      expect(sha1Head('', s, 24)).toBe(ref(s));
      expect(sha1Head(s.slice(0, n >> 1), s.slice(n >> 1), 24)).toBe(ref(s));
    }
    expect(sha1Head('', '', 24)).toBe(ref(''));
    expect(sha1Head('abc', '', 24)).toBe('a9993e364706816aba3e2571'); // FIPS 180 example "abc"
    fc.assert(fc.property(fc.string({ maxLength: 70 }), fc.string({ maxLength: 20 }), (a, b) => sha1Head(a, b, 24) === ref(a + b)), { numRuns: 5000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 10 }), (a, b) => sha1Head(a, b, 24) === ref(a + b)), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'\u0000\u001f\u007f azAZ09'), maxLength: 60 }), (a) => sha1Head(a, '\u001fusage\u001f0', 24) === ref(`${a}\u001fusage\u001f0`)), { numRuns: 3000 });
  });

  it('charge ids are the sha1 of UDR id, kind and sequence as before', () => {
    for (const [id, kind, seq] of [['u1', 'usage', 0], ['cdr-20261001.csv:3', 'usage', 9], ['é-id', 'one_time', 0], ['x'.repeat(60), 'usage', 1]] as const) {
      expect(chargeId(id, kind, seq)).toBe(ref(`${id}\u001f${kind}\u001f${seq}`));
    }
  });
});

describe('sha1Head / sha1Words', () => {
  const digest = (s: string) => hash('sha1', s, 'buffer') as unknown as Buffer;
  const wordsOk = (a: string, b: string) => {
    const d = digest(a + b);
    const w = sha1Words(a, b);
    for (let i = 0; i < 5; i++) if (w[i] !== d.readInt32BE(i * 4)) return false;
    return true;
  };

  it('is crypto sha1 around the 55/56/64-byte block edges (ASCII and multi-byte characters)', () => {
    for (let n = 0; n <= 140; n++) {
      for (const ch of ['x', 'é', '€', '😀', '\u0000', '\u007f']) {
        const s = ch.repeat(n);
        for (const k of [1, 8, 20, 24, 33, 40]) expect(sha1Head(s, '', k)).toBe(hash('sha1', s).slice(0, k));
        expect(wordsOk(s.slice(0, n >> 1), s.slice(n >> 1))).toBe(true);
        expect(wordsOk('event\u0000', s)).toBe(true);
      }
    }
    // one non-ASCII character after 54 ASCII ones: 56 bytes, past the one-block path
    expect(sha1Head('x'.repeat(54), 'é', 40)).toBe(hash('sha1', `${'x'.repeat(54)}é`));
  });

  it('matches node:crypto over random ASCII and non-ASCII strings (words and hex heads)', () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 80 });
    fc.assert(fc.property(ascii, ascii, fc.integer({ min: 0, max: 40 }), (a, b, k) => wordsOk(a, b) && sha1Head(a, b, k) === hash('sha1', a + b).slice(0, k)), { numRuns: 5000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 12 }), (a, b) => wordsOk(a, b) && sha1Head(a, b, 24) === ref(a + b)), { numRuns: 3000 });
    // lengths 50–70: the 55/56 (padding) and 64 (block) edges
    const edge = fc.integer({ min: 50, max: 70 }).chain((n) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: n, maxLength: n }));
    fc.assert(fc.property(edge, fc.nat(), (s, cut) => { const i = cut % (s.length + 1); return wordsOk(s.slice(0, i), s.slice(i)); }), { numRuns: 3000 });
  });
});
