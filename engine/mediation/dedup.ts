/**
 * The in-run dedup window: the most recent distinct record ids, oldest evicted first. Behaves exactly like an
 * insertion-ordered Set<string> used as `if (!set.has(id)) { set.add(id); if (set.size > window) delete oldest }`,
 * but keeps the ids' characters in one typed-array ring instead of a million string objects: no per-id heap object
 * to promote and trace, and one probe into an open-addressing table (linear probing, backward-shift deletion) per
 * record instead of the generic hash-set path.
 */

/** FNV-1a over UTF-16 code units */
function hashOf(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

export class IdWindow {
  /** open addressing: per slot [hash, entry + 1] (0 = empty) */
  private table: Int32Array;
  private mask: number;
  /** entries in a FIFO ring: where the id's characters start in `chars`, its length, its hash */
  private start: Int32Array;
  private len: Int32Array;
  private hash: Int32Array;
  private head = 0; // oldest entry
  private count = 0;
  /** characters of the ids, a ring in insertion order (eviction frees from the tail) */
  private chars: Uint16Array;
  private charHead = 0; // start of the oldest entry's characters
  private charUsed = 0;

  constructor(initialEntries = 1024) {
    let n = 16;
    while (n < initialEntries) n <<= 1;
    this.start = new Int32Array(n);
    this.len = new Int32Array(n);
    this.hash = new Int32Array(n);
    this.table = new Int32Array(n * 4); // 2 slots per entry: load factor ≤ 0.5
    this.mask = n * 2 - 1;
    this.chars = new Uint16Array(n * 16);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds `id` unless present. Returns false for a duplicate (nothing changes). When the window was already full
   * (size ≥ `window` before adding), the oldest id is evicted, keeping the size at the window.
   */
  add(id: string, window: number): boolean {
    const h = hashOf(id);
    const t = this.table;
    const mask = this.mask;
    let slot = h & mask;
    while (true) {
      const e1 = t[slot * 2 + 1]!;
      if (e1 === 0) break;
      if (t[slot * 2] === h && this.equals(e1 - 1, id)) return false;
      slot = (slot + 1) & mask;
    }
    const before = this.count;
    if (before === this.start.length) {
      this.grow(window);
      return this.add(id, window);
    }
    // characters at the head of the char ring
    const n = id.length;
    if (this.charUsed + n > this.chars.length) this.growChars(n);
    const cap = this.chars.length;
    let at = this.charHead + this.charUsed;
    if (at >= cap) at -= cap;
    const c = this.chars;
    for (let i = 0, p = at; i < n; i++) {
      c[p] = id.charCodeAt(i);
      if (++p === cap) p = 0;
    }
    this.charUsed += n;
    let e = this.head + before;
    if (e >= this.start.length) e -= this.start.length;
    this.start[e] = at;
    this.len[e] = n;
    this.hash[e] = h;
    t[slot * 2] = h;
    t[slot * 2 + 1] = e + 1;
    this.count = before + 1;
    if (before >= window) this.evictOldest();
    return true;
  }

  private equals(e: number, id: string): boolean {
    const n = this.len[e]!;
    if (n !== id.length) return false;
    const c = this.chars;
    const cap = c.length;
    let p = this.start[e]!;
    for (let i = 0; i < n; i++) {
      if (c[p] !== id.charCodeAt(i)) return false;
      if (++p === cap) p = 0;
    }
    return true;
  }

  private evictOldest(): void {
    const e = this.head;
    const t = this.table;
    const mask = this.mask;
    // find the entry's slot
    let slot = this.hash[e]! & mask;
    while (t[slot * 2 + 1] !== e + 1) slot = (slot + 1) & mask;
    // backward-shift deletion: move later entries of the probe run into the hole
    let hole = slot;
    let j = slot;
    while (true) {
      j = (j + 1) & mask;
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
    this.charHead += this.len[e]!;
    if (this.charHead >= this.chars.length) this.charHead -= this.chars.length;
    this.charUsed -= this.len[e]!;
    this.head = e + 1 === this.start.length ? 0 : e + 1;
    this.count--;
  }

  /**
   * grow the entry ring and the table, in insertion order (entry i → i): 4× (fewer rehash passes over the table),
   * but not past the power of two that holds the whole window (then 2×). The table stays about the size of what it
   * holds (a window allocated whole at the start made every probe of a small run a cache miss: measured, slower).
   * The character ring is sized with it from the mean id length seen (+25 %) instead of doubling past it.
   */
  private grow(window: number): void {
    const old = { start: this.start, len: this.len, hash: this.hash, head: this.head };
    const cap = old.start.length;
    let full = 16;
    while (full < window + 1) full *= 2;
    const n = cap * 4 <= full ? cap * 4 : cap * 2;
    this.start = new Int32Array(n);
    this.len = new Int32Array(n);
    this.hash = new Int32Array(n);
    this.table = new Int32Array(n * 4);
    this.mask = n * 2 - 1;
    for (let i = 0; i < this.count; i++) {
      let k = old.head + i;
      if (k >= cap) k -= cap;
      this.start[i] = old.start[k]!;
      this.len[i] = old.len[k]!;
      const h = (this.hash[i] = old.hash[k]!);
      let slot = h & this.mask;
      while (this.table[slot * 2 + 1] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot * 2] = h;
      this.table[slot * 2 + 1] = i + 1;
    }
    this.head = 0;
    // characters for n ids of the mean length seen (+25 %), if that is more than the ring has
    const perId = this.count ? Math.ceil((this.charUsed / this.count) * 1.25) : 16;
    if (n * perId > this.chars.length) this.resizeChars(n * perId);
  }

  /** at least double the character ring (room for `need` more), keeping the characters in order from 0 */
  private growChars(need: number): void {
    let n = this.chars.length * 2;
    while (n < this.charUsed + need) n *= 2;
    this.resizeChars(n);
  }

  /** a character ring of n (≥ charUsed) characters, keeping the characters in order from 0 */
  private resizeChars(n: number): void {
    const old = this.chars;
    const cap = old.length;
    const c = new Uint16Array(n);
    const first = Math.min(this.charUsed, cap - this.charHead);
    c.set(old.subarray(this.charHead, this.charHead + first), 0);
    if (first < this.charUsed) c.set(old.subarray(0, this.charUsed - first), first);
    // entry starts move by the same shift as the ring
    const shift = (s: number) => (s >= this.charHead ? s - this.charHead : s + cap - this.charHead);
    for (let i = 0; i < this.count; i++) {
      let k = this.head + i;
      if (k >= this.start.length) k -= this.start.length;
      this.start[k] = shift(this.start[k]!);
    }
    this.chars = c;
    this.charHead = 0;
  }
}
