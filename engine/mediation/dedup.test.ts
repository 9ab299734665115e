import { describe, expect, it } from 'vitest';
import { IdWindow } from './dedup.ts';

/** the reference: an insertion-ordered Set, oldest evicted once per add when the window was full */
function reference(window: () => number) {
  const set = new Set<string>();
  return (id: string) => {
    if (set.has(id)) return { added: false, size: set.size };
    set.add(id);
    if (set.size > window()) set.delete(set.values().next().value as string);
    return { added: true, size: set.size };
  };
}

describe('IdWindow behaves like the insertion-ordered Set it replaces', () => {
  it('random ids, duplicates, wrap-around, growth and window changes', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    // compared per step without expect() (600k expect calls made this test take a minute on a loaded machine);
    // the first mismatch, with its position, is asserted once
    let mismatch = '';
    for (let round = 0; round < 60 && !mismatch; round++) {
      let window = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 10 : 2000));
      const ref = reference(() => window);
      const w = new IdWindow(1 + Math.floor(rnd() * 40));
      const universe = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 50 : 10_000));
      for (let i = 0; i < 5000 && !mismatch; i++) {
        if (rnd() < 0.002) window = 1 + Math.floor(rnd() * 2000);
        const k = Math.floor(rnd() * universe);
        const id = rnd() < 0.03 ? '' : rnd() < 0.1 ? `é${k}\u{1F600}`.repeat(1 + (k % 5)) : `R${k}`;
        const want = ref(id);
        const added = w.add(id, window);
        if (added !== want.added || w.size !== want.size) {
          mismatch = `round ${round} step ${i} id ${JSON.stringify(id)} window ${window}: added ${added}/${want.added}, size ${w.size}/${want.size}`;
        }
      }
    }
    expect(mismatch).toBe('');
  });
});
