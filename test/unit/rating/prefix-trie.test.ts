/**
 * PrefixTrie (typed-array rows): the matches along a destination, deepest first, are every inserted prefix the
 * destination starts with (longest first), with all items of each — checked against a plain scan for digit, '+' and
 * other characters (the per-node Map path), and across the row table's growth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PrefixMatch, PrefixTrie } from '../../../engine/rating/prefix-trie.ts';

function reference(prefixes: readonly string[], dest: string): { prefix: string; items: number[] }[] {
  const by = new Map<string, number[]>();
  prefixes.forEach((p, i) => { if (dest.startsWith(p) && p.length) (by.get(p) ?? by.set(p, []).get(p)!).push(i); });
  return [...by].sort((a, b) => b[0].length - a[0].length).map(([prefix, items]) => ({ prefix, items }));
}

function walk(t: PrefixTrie, dest: string): { prefix: string; items: number[] }[] {
  const out: PrefixMatch[] = [];
  const n = t.matches(dest, out);
  return out.slice(0, n).map((m) => ({ prefix: m.prefix, items: [...m.items] }));
}

describe('PrefixTrie', () => {
  it('finds the inserted prefixes of a destination, longest first', () => {
    const t = new PrefixTrie();
    const ps = ['+31', '+3120', '+31', 'sip:', 'sip:a', '0', '+'];
    ps.forEach((p, i) => t.insert(p, i));
    expect(t.size).toBe(7);
    expect(walk(t, '+31201234')).toEqual([{ prefix: '+3120', items: [1] }, { prefix: '+31', items: [0, 2] }, { prefix: '+', items: [6] }]);
    expect(walk(t, 'sip:abc')).toEqual([{ prefix: 'sip:a', items: [4] }, { prefix: 'sip:', items: [3] }]);
    expect(walk(t, '0044')).toEqual([{ prefix: '0', items: [5] }]);
    expect(walk(t, '44')).toEqual([]);
    expect(walk(t, '')).toEqual([]);
  });

  it('equals a plain scan for any prefixes and destinations (incl. growth past the first rows)', () => {
    const ch = fc.constantFrom(...'0123456789+*#a:é');
    fc.assert(fc.property(fc.array(fc.string({ unit: ch, minLength: 1, maxLength: 8 }), { maxLength: 300 }), fc.array(fc.string({ unit: ch, maxLength: 12 }), { maxLength: 30 }), (prefixes, dests) => {
      const t = new PrefixTrie();
      prefixes.forEach((p, i) => t.insert(p, i));
      for (const d of [...dests, ...prefixes.slice(0, 10).map((p) => `${p}123`)]) expect(walk(t, d)).toEqual(reference(prefixes, d));
    }), { numRuns: 300 });
  });
});
