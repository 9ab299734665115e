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
 *
 * Per record: `admitId(prefix, id)` hashes the id (engine/rating/sha1-id.ts: SHA-1 in JS for short ASCII ids, the
 * digest's words taken straight into the ring) and, when it is new, links it at the ring's tail as part of the pending
 * batch — no 11-char string, Set entry or re-parse per id; a duplicate is one found in the window or earlier in the
 * batch. `commit(key)` makes the pending batch an entry and returns its changelog records (the value's base64url text
 * written from the ring: byte for byte what `add` writes for the same ids, so entries restore across versions);
 * `discard()` drops it.
 */
import { hash } from 'node:crypto';
import { HashRing, pow2 } from '../../core/hash-ring.ts';
import { sha1Words } from '../../rating/sha1-id.ts';

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
/** 6 bits → base64url char code */
const B64_CODE = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', (c) => c.charCodeAt(0));
/** bits 0–29 / 30–59 / 60–65 of the hash at s[o, o + 11) */
const wordA = (s: string, o: number) => (v6(s, o) << 24) | (v6(s, o + 1) << 18) | (v6(s, o + 2) << 12) | (v6(s, o + 3) << 6) | v6(s, o + 4);
const wordB = (s: string, o: number) => (v6(s, o + 5) << 24) | (v6(s, o + 6) << 18) | (v6(s, o + 7) << 12) | (v6(s, o + 8) << 6) | v6(s, o + 9);

/** room for one batch above the window before the ring must grow (a batch can push the count past `size` until the
 * oldest entries are evicted) */
const BATCH_SLACK = 32_768;

/** a changelog record of the window: an entry (the ids' hashes as base64url text) or a tombstone */
export interface DedupRecord {
  key: string;
  value: Buffer | null;
}

export class DedupWindow {
  /** ring of hashes (see wordA/wordB, then the last 6 bits) and its table; ring slot = absolute position & (cap - 1) */
  private idx!: HashRing;
  /** absolute position of the next hash */
  private tail = 0;
  /** the pending batch (admitted, not committed): absolute positions [pending, tail) */
  private pending = 0;
  /** hashes that can be admitted before the ring must be repacked or grown (see reserve) */
  private room = 0;
  /** entries in insertion (= eviction) order: key → first absolute position and number of hashes */
  private readonly entries = new Map<string, { start: number; n: number }>();
  private count = 0;

  /** `slack`: ids above `size` the ring holds before it must grow (default: a big batch) */
  constructor(readonly size: number, slack = BATCH_SLACK) {
    this.idx = new HashRing(pow2(size > 0 ? size + slack : 16));
    this.room = this.idx.cap;
  }

  /** the hash (11 base64url chars) is in the window or the pending batch */
  has(h: string): boolean {
    return this.idx.find(wordA(h, 0), wordB(h, 0), v6(h, H - 1)) >= 0;
  }

  /**
   * The id `prefix + id` (hashed as idHash does) is new: true, and it joins the pending batch; false: a duplicate
   * (in the window, or admitted earlier in the batch).
   */
  admitId(prefix: string, id: string): boolean {
    const d = sha1Words(prefix, id);
    const h0 = d[0]!, h1 = d[1]!, h2 = d[2]!;
    // bits 0–29, 30–59 and 60–65 of the digest: wordA/wordB/v6 of its base64url text
    return this.admitWords(h0 >>> 2, ((h0 & 3) << 28) | (h1 >>> 4), ((h1 & 15) << 2) | (h2 >>> 30));
  }

  private admitWords(a: number, b: number, c: number): boolean {
    let slot = this.idx.find(a, b, c);
    if (slot >= 0) return false;
    if (this.room === 0) {
      this.reserve(1);
      slot = this.idx.find(a, b, c);
    }
    this.room--;
    const idx = this.idx;
    idx.insertAt(~slot, this.tail++ & (idx.cap - 1), a, b, c);
    return true;
  }

  /** drops the pending batch (what was admitted since the last commit) */
  discard(): void {
    const mask = this.idx.cap - 1;
    for (let p = this.pending; p < this.tail; p++) this.idx.unlink(p & mask);
    this.room += this.tail - this.pending;
    this.tail = this.pending;
  }

  /**
   * The pending batch becomes the entry `key`; returns the changelog records to write: the new entry and tombstones
   * for evicted ones (none when the batch admitted nothing, or the window is off).
   */
  commit(key: string): DedupRecord[] {
    const n = this.tail - this.pending;
    if (n === 0) return [];
    if (this.size === 0) {
      this.discard();
      return [];
    }
    const start = this.pending;
    // the value: each hash's 11 base64url chars, from its three words
    const value = Buffer.allocUnsafe(n * H);
    const r = this.idx.ring;
    const mask = this.idx.cap - 1;
    const q = B64_CODE;
    for (let i = 0, o = 0; i < n; i++, o += H) {
      const k = ((start + i) & mask) * 3;
      const a = r[k]!, b = r[k + 1]!;
      value[o] = q[(a >>> 24) & 63]!; value[o + 1] = q[(a >>> 18) & 63]!; value[o + 2] = q[(a >>> 12) & 63]!; value[o + 3] = q[(a >>> 6) & 63]!; value[o + 4] = q[a & 63]!;
      value[o + 5] = q[(b >>> 24) & 63]!; value[o + 6] = q[(b >>> 18) & 63]!; value[o + 7] = q[(b >>> 12) & 63]!; value[o + 8] = q[(b >>> 6) & 63]!; value[o + 9] = q[b & 63]!;
      value[o + 10] = q[r[k + 2]! & 63]!;
    }
    // the pending hashes are new to the window: an older entry of the same key goes (its hashes are other ones)
    this.remove(key);
    this.entries.set(key, { start, n });
    this.count += n;
    this.pending = this.tail;
    const out: DedupRecord[] = [{ key, value }];
    for (const k of this.evict()) out.push({ key: k, value: null });
    return out;
  }

  /** restore one changelog entry (null = tombstone) */
  restore(key: string, value: string | null): void {
    this.discard();
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
    this.room -= n;
    this.pending = this.tail;
    this.entries.set(key, { start, n });
    this.count += n;
  }

  /**
   * Adds a batch's hashes under `key` as they are (no lookup); returns the changelog records to write: the new entry
   * and tombstones for evicted ones. (The rating path uses admitId/commit.)
   */
  add(key: string, hashes: string[]): { key: string; value: string | null }[] {
    if (this.size === 0 || hashes.length === 0) return [];
    const value = hashes.join('');
    this.restore(key, value);
    const out: { key: string; value: string | null }[] = [{ key, value }];
    for (const k of this.evict()) out.push({ key: k, value: null });
    return out;
  }

  /** the oldest entries go while the window holds more than `size` ids (the newest one always stays) */
  private evict(): string[] {
    const gone: string[] = [];
    while (this.count > this.size && this.entries.size > 1) {
      const oldest = this.entries.keys().next().value!;
      this.remove(oldest);
      gone.push(oldest);
    }
    return gone;
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
    this.room = this.roomNow();
  }

  /** free ring slots: the ring spans from the oldest entry's start (or the pending batch's) to the tail */
  private roomNow(): number {
    const first = this.entries.values().next().value;
    return this.idx.cap - (this.tail - (first ? first.start : this.pending));
  }

  /** room for n more hashes at the tail */
  private reserve(n: number): void {
    const old = this.idx;
    if (this.roomNow() >= n) {
      this.room = this.roomNow();
      return;
    }
    // repack the live entries and the pending batch from slot 0 (dropping the holes removed entries left), in a
    // bigger ring if need be
    const pendingN = this.tail - this.pending;
    const idx = (this.idx = new HashRing(pow2(Math.max(old.cap, (this.count + pendingN + n) * 2))));
    this.tail = 0;
    for (const e of this.entries.values()) {
      const start = this.tail;
      for (let p = e.start; p < e.start + e.n; p++) idx.copyFrom(old, p & (old.cap - 1), this.tail++);
      e.start = start;
    }
    const pendingFrom = this.pending;
    this.pending = this.tail;
    for (let p = pendingFrom; p < pendingFrom + pendingN; p++) idx.copyFrom(old, p & (old.cap - 1), this.tail++);
    this.room = this.roomNow();
  }
}
