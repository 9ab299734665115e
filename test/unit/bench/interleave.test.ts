import { describe, expect, it } from 'vitest';
import { fieldOf, order, report, summarize } from '../../../bench/interleave.ts';

describe('bench/interleave (before/after, interleaved)', () => {
  it('order: each tree runs first in every other pair (A B B A …)', () => {
    expect(order(3)).toEqual(['base', 'head', 'head', 'base', 'base', 'head']);
  });

  it('fieldOf: numbers, dotted paths, arrays summed (peaks: the largest)', () => {
    const r = { serveCpuSecondsPerMillion: 15.5, peakRssMiB: [900, 700], cpu: [1, 2, 3], split: { chdb: 4 }, name: 'x' };
    expect(fieldOf(r, 'serveCpuSecondsPerMillion')).toBe(15.5);
    expect(fieldOf(r, 'peakRssMiB')).toBe(900);
    expect(fieldOf(r, 'cpu')).toBe(6);
    expect(fieldOf(r, 'split.chdb')).toBe(4);
    expect(fieldOf(r, 'name')).toBeUndefined();
    expect(fieldOf(r, 'split.none.deeper')).toBeUndefined();
  });

  it('summarize: medians per tree, head against base, and the median of the per-pair ratios', () => {
    const runs = [
      { tree: 'base' as const, result: { cpu: 10, rss: 100 } }, { tree: 'head' as const, result: { cpu: 9, rss: 100 } },
      { tree: 'head' as const, result: { cpu: 12, rss: 100 } }, { tree: 'base' as const, result: { cpu: 13, rss: 100 } },
      { tree: 'base' as const, result: { cpu: 11 } }, { tree: 'head' as const, result: { cpu: 10 } },
    ];
    const [cpu, ...rest] = summarize(runs, ['cpu', 'rss', 'missing']);
    // rss is missing from one run and `missing` from all: left out
    expect(rest).toEqual([]);
    expect(cpu!.base).toEqual([10, 13, 11]);
    expect(cpu!.head).toEqual([9, 12, 10]);
    expect(cpu!.change).toBeCloseTo(10 / 11 - 1, 10);
    // pairs: 9/10, 12/13, 10/11 → median 10/11
    expect(cpu!.pairedChange).toBeCloseTo(10 / 11 - 1, 10);
    expect(report([cpu!])).toBe('cpu: base 10 13 11 (median 11) → head 9 12 10 (median 10); -9.1 %, paired -9.1 %');
  });
});
