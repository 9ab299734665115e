/**
 * Per-partition window of recently rated record ids (UDRs and service events), so a record that reaches rating twice
 * — re-sent by a switch, or re-mediated after a restart lost the mediator's in-memory dedup — is rated once.
 * Ids are kept as 66-bit hashes (11 base64url chars); the window persists to the partition's changelog as one entry
 * per batch (`__dedup/<first offset>`) and evicts whole entries (tombstones) once it holds more than `size` ids.
 *
 * Memory: typed arrays sized once, when the partition is assigned, for `size` ids plus one batch (rounded up to a
 * power of two): per id slot 12 bytes of hash (3 × 32 bits) and 16 bytes of open-addressing table (load ≤ 0.5; the
 * ring and table are engine/core/hash-ring.ts, shared with the mediator's IdWindow), i.e. ~7 MiB per partition at the default 200 000 ids (pages are touched as the window fills) — no string or Set entry
 * per id to allocate, promote and trace. The hashes sit in a FIFO ring in changelog order; an entry is a run of
 * ring slots.
 */
import { hash } from 'node:crypto';
import { HashRing } from '../../core/hash-ring.ts';

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
  /** ring of hashes (see wordA/wordB, then the last 6 bits) and its table; ring slot = absolute position & (cap - 1) */
  private idx!: HashRing;
  /** absolute position of the next hash */
  private tail = 0;
  /** entries in insertion (= eviction) order: key → first absolute position and number of hashes */
  private readonly entries = new Map<string, { start: number; n: number }>();
  private count = 0;

  /** `slack`: ids above `size` the ring holds before it must grow (default: a big batch) */
  constructor(readonly size: number, slack = BATCH_SLACK) {
    this.idx = new HashRing(pow2(size > 0 ? size + slack : 16));
  }

  has(h: string): boolean {
    return this.idx.find(wordA(h, 0), wordB(h, 0), v6(h, H - 1)) >= 0;
  }

  /** restore one changelog entry (null = tombstone) */
  restore(key: string, value: string | null): void {
    this.remove(key);
    if (value === null || value === '') return;
    const n = Math.floor(value.length / H);
    if (n === 0) return;
    this.reserve(n);
    const start = this.tail;
    const idx = this.idx;
    for (let i = 0; i < n; i++) {
      const o = i * H;
      idx.insert(this.tail++ & (idx.cap - 1), wordA(value, o), wordB(value, o), v6(value, o + H - 1));
    }
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
    return this.idx.cap;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    const mask = this.idx.cap - 1;
    for (let p = e.start; p < e.start + e.n; p++) this.idx.unlink(p & mask);
    this.count -= e.n;
    this.entries.delete(key);
  }

  /** room for n more hashes at the tail: the ring spans from the oldest entry's start to the tail */
  private reserve(n: number): void {
    const first = this.entries.values().next().value;
    const used = first ? this.tail - first.start : 0;
    const old = this.idx;
    if (used + n <= old.cap) return;
    // repack the live entries from slot 0 (dropping the holes removed entries left), in a bigger ring if need be
    const idx = (this.idx = new HashRing(pow2(Math.max(old.cap, (this.count + n) * 2))));
    this.tail = 0;
    for (const e of this.entries.values()) {
      const start = this.tail;
      for (let p = e.start; p < e.start + e.n; p++) idx.copyFrom(old, p & (old.cap - 1), this.tail++);
      e.start = start;
    }
  }
}
