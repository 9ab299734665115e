/**
 * Per-partition window of recently rated record ids (UDRs and service events), so a record that reaches rating twice
 * — re-sent by a switch, or re-mediated after a restart lost the mediator's in-memory dedup — is rated once.
 * Ids are kept as 66-bit hashes (11 base64url chars); the window persists to the partition's changelog as one entry
 * per batch (`__dedup/<first offset>`) and evicts whole entries (tombstones) once it holds more than `size` ids.
 *
 * Memory: typed arrays sized once, when the partition is assigned, for `size` ids plus one batch (rounded up to a
 * power of two): per id slot 12 bytes of hash (3 × 32 bits) and 8 bytes of open-addressing table (load ≤ 0.5), i.e.
 * ~5 MiB per partition at the default 200 000 ids (pages are touched as the window fills) — no string or Set entry
 * per id to allocate, promote and trace. The hashes sit in a FIFO ring in changelog order; an entry is a run of
 * ring slots.
 */
import { hash } from 'node:crypto';

export const DEDUP_PREFIX = '__dedup/';
const H = 11;

/** the first 11 base64url chars of the id's SHA-1 (one-shot crypto.hash: no Hash object and digest Buffer per id) */
export function idHash(id: string): string {
  return hash('sha1', id, 'base64url').slice(0, H);
}

/** base64url char → 6 bits */
const B64 = new Int32Array(128);
for (const [i, ch] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) B64[ch.charCodeAt(0)] = i;
const v6 = (s: string, i: number) => B64[s.charCodeAt(i) & 127]!;
/** bits 0–29 / 30–59 / 60–65 of the hash at s[o, o + 11) */
const wordA = (s: string, o: number) => (v6(s, o) << 24) | (v6(s, o + 1) << 18) | (v6(s, o + 2) << 12) | (v6(s, o + 3) << 6) | v6(s, o + 4);
const wordB = (s: string, o: number) => (v6(s, o + 5) << 24) | (v6(s, o + 6) << 18) | (v6(s, o + 7) << 12) | (v6(s, o + 8) << 6) | v6(s, o + 9);

/** room for one batch above the window before the ring must grow (a batch can push the count past `size` until the
 * oldest entries are evicted) */
const BATCH_SLACK = 32_768;

const pow2 = (n: number) => {
  let p = 16;
  while (p < n) p *= 2;
  return p;
};

export class DedupWindow {
  /** ring of hashes: 3 words per slot (see wordA/wordB, then the last 6 bits) */
  private ring!: Int32Array;
  /** ring slots (a power of two) */
  private cap = 0;
  /** open addressing: ring slot + 1 (0 = empty), 2 table slots per ring slot; home = word A & mask */
  private table!: Int32Array;
  private mask = 0;
  /** absolute position of the next hash (its slot: tail & (cap - 1)) */
  private tail = 0;
  /** entries in insertion (= eviction) order: key → first absolute position and number of hashes */
  private readonly entries = new Map<string, { start: number; n: number }>();
  private count = 0;

  /** `slack`: ids above `size` the ring holds before it must grow (default: a big batch) */
  constructor(readonly size: number, slack = BATCH_SLACK) {
    this.alloc(pow2(size > 0 ? size + slack : 16));
  }

  private alloc(cap: number): void {
    this.cap = cap;
    this.ring = new Int32Array(cap * 3);
    this.table = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
  }

  has(h: string): boolean {
    return this.find(wordA(h, 0), wordB(h, 0), v6(h, H - 1)) >= 0;
  }

  /** the table slot holding the hash, or -1 */
  private find(a: number, b: number, c: number): number {
    const t = this.table;
    const r = this.ring;
    const mask = this.mask;
    for (let j = a & mask; ; j = (j + 1) & mask) {
      const e = t[j]!;
      if (e === 0) return -1;
      const k = (e - 1) * 3;
      if (r[k] === a && r[k + 1] === b && r[k + 2] === c) return j;
    }
  }

  /** restore one changelog entry (null = tombstone) */
  restore(key: string, value: string | null): void {
    this.remove(key);
    if (value === null || value === '') return;
    const n = Math.floor(value.length / H);
    if (n === 0) return;
    this.reserve(n);
    const start = this.tail;
    for (let i = 0; i < n; i++) this.insert(value, i * H);
    this.entries.set(key, { start, n });
    this.count += n;
  }

  /**
   * Adds a batch's hashes under `key`; returns the changelog records to write: the new entry and tombstones for
   * evicted ones.
   */
  add(key: string, hashes: string[]): { key: string; value: string | null }[] {
    if (this.size === 0 || hashes.length === 0) return [];
    const value = hashes.join('');
    this.restore(key, value);
    const out: { key: string; value: string | null }[] = [{ key, value }];
    while (this.count > this.size && this.entries.size > 1) {
      const oldest = this.entries.keys().next().value!;
      this.remove(oldest);
      out.push({ key: oldest, value: null });
    }
    return out;
  }

  get ids(): number {
    return this.count;
  }

  /** ring slots the table can address (tests) */
  get capacity(): number {
    return this.cap;
  }

  private insert(s: string, o: number): void {
    const slot = this.tail++ & (this.cap - 1);
    const a = wordA(s, o);
    const k = slot * 3;
    this.ring[k] = a;
    this.ring[k + 1] = wordB(s, o);
    this.ring[k + 2] = v6(s, o + H - 1);
    const t = this.table;
    const mask = this.mask;
    let j = a & mask;
    while (t[j] !== 0) j = (j + 1) & mask;
    t[j] = slot + 1;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    for (let p = e.start; p < e.start + e.n; p++) this.unlink(p & (this.cap - 1));
    this.count -= e.n;
    this.entries.delete(key);
  }

  /** drops ring slot `slot` from the table (backward-shift deletion) */
  private unlink(slot: number): void {
    const t = this.table;
    const r = this.ring;
    const mask = this.mask;
    let hole = r[slot * 3]! & mask;
    while (t[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const e = t[j]!;
      if (e === 0) break;
      const home = r[(e - 1) * 3]! & mask;
      // the entry at j may move to the hole when its home is not in (hole, j] (cyclically)
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        t[hole] = e;
        hole = j;
      }
    }
    t[hole] = 0;
  }

  /** room for n more hashes at the tail: the ring spans from the oldest entry's start to the tail */
  private reserve(n: number): void {
    const first = this.entries.values().next().value;
    const used = first ? this.tail - first.start : 0;
    if (used + n <= this.cap) return;
    // repack the live entries from slot 0 (dropping the holes removed entries left), in a bigger ring if need be
    const old = { ring: this.ring, cap: this.cap };
    this.alloc(pow2(Math.max(this.cap, (this.count + n) * 2)));
    this.tail = 0;
    for (const e of this.entries.values()) {
      const start = this.tail;
      for (let p = e.start; p < e.start + e.n; p++) {
        const k = (p & (old.cap - 1)) * 3;
        const slot = this.tail++;
        const a = (this.ring[slot * 3] = old.ring[k]!);
        this.ring[slot * 3 + 1] = old.ring[k + 1]!;
        this.ring[slot * 3 + 2] = old.ring[k + 2]!;
        let j = a & this.mask;
        while (this.table[j] !== 0) j = (j + 1) & this.mask;
        this.table[j] = slot + 1;
      }
      e.start = start;
    }
  }
}
