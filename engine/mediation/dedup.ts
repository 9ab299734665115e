/**
 * The in-run dedup window: the most recent distinct record ids, oldest evicted first. Behaves like an
 * insertion-ordered Set<string> used as `if (!set.has(id)) { set.add(id); if (set.size > window) delete oldest }`,
 * but keeps a 96-bit hash of each id in typed arrays instead of the id: no per-id heap object to promote and trace,
 * no characters kept (≈ 28 bytes per id: 12 of hash in the FIFO ring, 16 of open-addressing table at load ≤ 0.5,
 * instead of ≈ 60–90 with the characters), and one probe into the table (linear probing, backward-shift deletion)
 * per record.
 *
 * Exactness: two different ids are taken for the same one only when all 96 bits of their hashes agree. With
 * well-mixed hashes (three independent 32-bit lanes, each finished with murmur3's avalanche) the chance that a new id
 * is a false duplicate of one of the W ids in the window is about W / 2^96 — for W = 1,000,000 about 1.3e-23 per
 * record, i.e. one expected false duplicate in ~10^23 records (a billion records a day for 10^14 days). The hash is
 * not cryptographic: ids crafted to collide could be found; whoever crafts ids can re-send a real one anyway.
 * The persisted form (the streaming mediate role's changelog) keeps the ids; a restore hashes them again.
 */

import { HashRing, pow2 } from '../core/hash-ring.ts';

/** lanes B and C of the last `hash96` (lane A is its return value): module state, no object per id */
let laneB = 0;
let laneC = 0;

/** murmur3's 32-bit finaliser (avalanche) */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * 96 bits of hash over the id's UTF-16 code units, two per 32-bit word: lane A is murmur3_32's block step, B and C
 * xxHash32's round (with other primes and rotations); each lane gets the length and the finaliser. Returns lane A
 * (the table's home slot and first check word) and leaves B and C in `laneB` / `laneC`.
 */
function hash96(s: string): number {
  const n = s.length;
  let a = 0x3c6ef372 ^ n;
  let b = 0x9747b28c ^ n;
  let c = 0x2545f491 ^ n;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    let k1 = Math.imul(k, 0xcc9e2d51);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), 0x1b873593);
    a ^= k1;
    a = (Math.imul((a << 13) | (a >>> 19), 5) + 0xe6546b64) | 0;
    b = (b + Math.imul(k, 0x85ebca77)) | 0;
    b = Math.imul((b << 13) | (b >>> 19), 0x9e3779b1);
    c = (c + Math.imul(k, 0x27d4eb2f)) | 0;
    c = Math.imul((c << 17) | (c >>> 15), 0x165667b1);
  }
  if (i < n) {
    const k = s.charCodeAt(i);
    let k1 = Math.imul(k, 0xcc9e2d51);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), 0x1b873593);
    a ^= k1;
    b = (b + Math.imul(k, 0x85ebca77)) | 0;
    b = Math.imul((b << 13) | (b >>> 19), 0x9e3779b1);
    c = (c + Math.imul(k, 0x27d4eb2f)) | 0;
    c = Math.imul((c << 17) | (c >>> 15), 0x165667b1);
  }
  laneB = fmix(b ^ n);
  laneC = fmix(c ^ n);
  return fmix(a ^ n);
}

/** ring entries from which the window grows 2× instead of 4× */
const GROW_2X = 65_536;

/** ring entries that hold a full window: the power of two above `window` (the count passes it by one before the
 * oldest is evicted) */
function fullCap(window: number): number {
  return pow2(window + 1);
}

/** the three lanes of an id's hash (tests) */
export function hash96Lanes(s: string): [number, number, number] {
  const a = hash96(s);
  return [a, laneB, laneC];
}

export class IdWindow {
  /** the ring (FIFO, insertion order) of the ids' hashes and its table */
  private idx: HashRing;
  private head = 0; // oldest entry
  private count = 0;

  constructor(initialEntries = 1024) {
    this.idx = new HashRing(pow2(initialEntries));
  }

  get size(): number {
    return this.count;
  }

  /** ids the window holds before it must grow */
  get capacity(): number {
    return this.idx.cap;
  }

  /**
   * Adds `id` unless present. Returns false for a duplicate (nothing changes). When the window was already full
   * (size ≥ `window` before adding), the oldest id is evicted, keeping the size at the window.
   */
  add(id: string, window: number): boolean {
    const h = hash96(id);
    const hb = laneB;
    const hc = laneC;
    if (this.count === this.idx.cap) this.grow(window);
    const idx = this.idx;
    const found = idx.find(h, hb, hc);
    if (found >= 0) return false;
    const before = this.count;
    let e = this.head + before;
    if (e >= idx.cap) e -= idx.cap;
    idx.insertAt(~found, e, h, hb, hc);
    this.count = before + 1;
    if (before >= window) this.evictOldest();
    return true;
  }

  /**
   * Sizes the window once for `window` ids (the power of two the full window needs; one rehash of what it holds), so
   * it never grows again: what a long-running role calls when it takes a partition (the rate role's DedupWindow is
   * sized the same way). The table is touched at random from the first ids on, the ring as it fills; without this the
   * window grows 2× at a time and each step leaves the old arrays as garbage (serve, 2M records over 4 partitions at a
   * 1M-id window: ≈ 70 MiB grown through the run; bench/RESULTS.md, thirteenth session).
   */
  reserve(window: number): void {
    if (window <= 0) return;
    const full = fullCap(window);
    if (this.idx.cap < full) this.rehash(full);
  }

  private evictOldest(): void {
    const e = this.head;
    this.idx.unlink(e);
    this.head = e + 1 === this.idx.cap ? 0 : e + 1;
    this.count--;
  }

  /**
   * grow the ring and the table, in insertion order (entry i → i): 4× while small (fewer rehash passes), 2×
   * from GROW_2X entries on (memory follows the ids held: a window that is not full yet takes at most twice what it
   * holds), never past the power of two that holds the whole window. The table stays about the size of what it
   * holds (a window allocated whole at the start made every probe of a small run a cache miss: measured, slower).
   */
  private grow(window: number): void {
    const cap = this.idx.cap;
    this.rehash(cap < GROW_2X && cap * 4 <= fullCap(window) ? cap * 4 : cap * 2);
  }

  /** a new ring of `cap` entries and its table, holding the ids in insertion order (entry i → i) */
  private rehash(cap: number): void {
    const old = this.idx;
    const oldCap = old.cap;
    const idx = (this.idx = new HashRing(cap));
    for (let i = 0; i < this.count; i++) {
      let k = this.head + i;
      if (k >= oldCap) k -= oldCap;
      idx.copyFrom(old, k, i);
    }
    this.head = 0;
  }
}
