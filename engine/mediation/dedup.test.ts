import { describe, expect, it } from 'vitest';
import { hash96Lanes, IdWindow } from './dedup.ts';

/** the reference: an insertion-ordered Set, oldest evicted once per add when the window was full */
function reference(window: () => number) {
  const set = new Set<string>();
  const add = (id: string) => {
    if (set.has(id)) return { added: false, size: set.size };
    set.add(id);
    if (set.size > window()) set.delete(set.values().next().value as string);
    return { added: true, size: set.size };
  };
  return Object.assign(add, { set });
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
        if (rnd() < 0.001) w.reserve(window);
        const k = Math.floor(rnd() * universe);
        const id = rnd() < 0.03 ? '' : rnd() < 0.1 ? `é${k}\u{1F600}`.repeat(1 + (k % 5)) : `R${k}`;
        const want = ref(id);
        const added = w.add(id, window);
        if (added !== want.added || w.size !== want.size) {
          mismatch = `round ${round} step ${i} id ${JSON.stringify(id)} window ${window}: added ${added}/${want.added}, size ${w.size}/${want.size}`;
        }
      }
      // eviction order: at the end of the round the window holds exactly the reference's ids (each id of the
      // universe probed once, with room for all: an id that was not held is added and never probed again)
      for (let k = 0; k < universe && !mismatch; k++) {
        for (const id of [`R${k}`, `é${k}\u{1F600}`.repeat(1 + (k % 5))]) {
          if (w.add(id, Number.MAX_SAFE_INTEGER) === ref.set.has(id)) mismatch = `round ${round} end: ${JSON.stringify(id)} held ${ref.set.has(id)} in the reference`;
        }
      }
    }
    expect(mismatch).toBe('');
  });
});

describe('IdWindow.reserve', () => {
  it('sizes the window once for the whole window: it never grows after, and keeps what it held', () => {
    const w = new IdWindow(16);
    for (let i = 0; i < 300; i++) w.add(`R${i}`, 1000);
    expect(w.capacity).toBe(1024); // grown 4× at a time from 16: 16, 64, 256, 1024
    const v = new IdWindow(16);
    for (let i = 0; i < 300; i++) v.add(`R${i}`, 5000);
    v.reserve(5000);
    expect(v.capacity).toBe(8192); // the power of two above 5000 (the count passes the window by one)
    for (let i = 0; i < 300; i++) expect(v.add(`R${i}`, 5000)).toBe(false); // the ids held before are still there
    for (let i = 300; i < 20_000; i++) v.add(`R${i}`, 5000);
    expect(v.capacity).toBe(8192);
    expect(v.size).toBe(5000);
    expect(v.add('R19999', 5000)).toBe(false); // the newest 5000 are kept
    expect(v.add('R14999', 5000)).toBe(true); // evicted
    const z = new IdWindow(16);
    z.reserve(0); // no dedup: nothing allocated
    expect(z.capacity).toBe(16);
  });
});

describe('hash96', () => {
  it('no collision of lanes A+B (64 bits) over 600k structured ids; each lane alone near the birthday count', () => {
    const N = 600_000;
    const lanes = [new Int32Array(N), new Int32Array(N), new Int32Array(N)];
    let n = 0;
    for (let i = 0; n < N; i++) {
      for (const id of [`R${i}`, `SW1-2026120${i % 10}-${String(i).padStart(8, '0')}`, `${i}é\u{1F600}`]) {
        const h = hash96Lanes(id);
        for (let l = 0; l < 3; l++) lanes[l]![n] = h[l]!;
        n++;
      }
    }
    // per lane: n = 600k random 32-bit values give ≈ n² / 2^33 ≈ 42 equal pairs; a weak lane shows far more
    const equalPairs = lanes.map((l) => {
      const s = Int32Array.from(l).sort();
      let c = 0;
      for (let i = 1; i < s.length; i++) if (s[i] === s[i - 1]) c++;
      return c;
    });
    for (const c of equalPairs) expect(c).toBeLessThan(100);
    // ids whose lane A agrees must differ in lane B (and C)
    const byA = Array.from({ length: N }, (_, i) => i).sort((x, y) => lanes[0]![x]! - lanes[0]![y]!);
    let both = 0;
    for (let i = 1; i < N; i++) {
      const x = byA[i - 1]!, y = byA[i]!;
      if (lanes[0]![x] === lanes[0]![y] && (lanes[1]![x] === lanes[1]![y] || lanes[2]![x] === lanes[2]![y])) both++;
    }
    expect(both).toBe(0);
  });

  it('differs for ids that differ in one code unit, order, or length', () => {
    const ids = ['', 'a', 'b', 'ab', 'ba', 'a\u0000', '\u0000a', 'aa', 'aaa', 'R1', 'R10', '1R', 'é', '\u00e9\u0000'];
    expect(new Set(ids.map((id) => hash96Lanes(id).join(','))).size).toBe(ids.length);
    expect(hash96Lanes('R12345')).toEqual(hash96Lanes(['R', '123', '45'].join('')));
  });
});
