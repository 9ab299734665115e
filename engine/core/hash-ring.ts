/**
 * The index shared by the dedup windows (the mediator's IdWindow, the rate role's DedupWindow): a ring of entries,
 * each a 96-bit hash in three 32-bit words, and an open-addressing table over it (linear probing, backward-shift
 * deletion; per table slot [word A, entry + 1], 0 = empty; 2 table slots per ring entry: load ≤ 0.5). Word A is the
 * home slot and is kept in the table, so a probe that misses never reads the ring. No object per id: typed arrays
 * only. Which ring entry holds what, and when entries are evicted, is the windows' business.
 */
/** the smallest power of two ≥ n, at least 16: ring sizes of both windows */
export function pow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

export class HashRing {
  /** 3 words per entry */
  readonly ring: Int32Array;
  /** [word A, entry + 1] per slot */
  private readonly table: Int32Array;
  private readonly mask: number;

  /** `cap`: ring entries (a power of two) */
  constructor(readonly cap: number) {
    this.ring = new Int32Array(cap * 3);
    this.table = new Int32Array(cap * 4);
    this.mask = cap * 2 - 1;
  }

  /** the entry holding the hash (≥ 0), or the complement (~slot, < 0) of the empty table slot where it would go */
  find(a: number, b: number, c: number): number {
    const t = this.table;
    const r = this.ring;
    const mask = this.mask;
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      const e1 = t[slot * 2 + 1]!;
      if (e1 === 0) return ~slot;
      if (t[slot * 2] === a) {
        const k = (e1 - 1) * 3;
        if (r[k + 1] === b && r[k + 2] === c) return e1 - 1;
      }
    }
  }

  /** writes the hash into ring entry `e` and links it at table slot `slot` (from `find`'s ~slot: nothing linked since) */
  insertAt(slot: number, e: number, a: number, b: number, c: number): void {
    const k = e * 3;
    this.ring[k] = a;
    this.ring[k + 1] = b;
    this.ring[k + 2] = c;
    this.table[slot * 2] = a;
    this.table[slot * 2 + 1] = e + 1;
  }

  /** writes the hash into ring entry `e` and links it (the hash is known not to be linked) */
  insert(e: number, a: number, b: number, c: number): void {
    const t = this.table;
    const mask = this.mask;
    let slot = a & mask;
    while (t[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
    this.insertAt(slot, e, a, b, c);
  }

  /** copies entry `from` of `old` into entry `e` of this ring and links it */
  copyFrom(old: HashRing, from: number, e: number): void {
    const r = old.ring;
    this.insert(e, r[from * 3]!, r[from * 3 + 1]!, r[from * 3 + 2]!);
  }

  /** unlinks ring entry `e` from the table (backward-shift deletion: later entries of its probe run move up) */
  unlink(e: number): void {
    const t = this.table;
    const mask = this.mask;
    let hole = this.ring[e * 3]! & mask;
    while (t[hole * 2 + 1] !== e + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const e1 = t[j * 2 + 1]!;
      if (e1 === 0) break;
      const home = t[j * 2]! & mask;
      // the entry at j may move to the hole when its home is not in (hole, j] (cyclically)
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        t[hole * 2] = t[j * 2]!;
        t[hole * 2 + 1] = e1;
        hole = j;
      }
    }
    t[hole * 2] = 0;
    t[hole * 2 + 1] = 0;
  }
}
