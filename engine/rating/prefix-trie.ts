/**
 * Longest-prefix index for destination matching. Built once per (plan, usage class); lookup walks the destination's
 * characters without allocating and reports matching nodes deepest first.
 *
 * The nodes are rows of one Int32Array (11 slots a row: the children of the digits 0-9 and of '+', nearly every
 * character of a destination; 0 = no child, the root being row 0), so a walk reads a few adjacent cache lines instead
 * of a node object and its child array per character (the rating bench found the object walk slow under cache
 * pressure: a batch of charges passes through the caches between two records). Children of other characters are in
 * a Map per node (rare). A node carrying items has its match (items and prefix) in `hits`.
 */

/** slots a node's row has: the digits 0-9, then '+' */
const WIDTH = 11;
const PLUS = 43;

/** a node with items: what `matches` reports */
export interface PrefixMatch {
  items: number[];
  prefix: string;
}

export class PrefixTrie {
  /** row n × WIDTH: the child node of each digit / '+' (0: none) */
  private next = new Int32Array(WIDTH * 64);
  /** node count (row 0 is the root) */
  private nodes = 1;
  /** children of other char codes, per node (rare) */
  private readonly more = new Map<number, Map<number, number>>();
  /** per node: its items and prefix, or null */
  private readonly hits: (PrefixMatch | null)[] = [null];
  size = 0;

  private child(n: number, c: number): number {
    const d = c - 48;
    if (d >= 0 && d <= 9) return this.next[n * WIDTH + d]!;
    if (c === PLUS) return this.next[n * WIDTH + 10]!;
    return this.more.get(n)?.get(c) ?? 0;
  }

  insert(prefix: string, item: number): void {
    let n = 0;
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix.charCodeAt(i);
      let nx = this.child(n, c);
      if (nx === 0) {
        nx = this.nodes++;
        if (nx * WIDTH >= this.next.length) {
          const grown = new Int32Array(this.next.length * 2);
          grown.set(this.next);
          this.next = grown;
        }
        this.hits.push(null);
        const d = c - 48;
        if (d >= 0 && d <= 9) this.next[n * WIDTH + d] = nx;
        else if (c === PLUS) this.next[n * WIDTH + 10] = nx;
        else {
          let m = this.more.get(n);
          if (!m) this.more.set(n, (m = new Map()));
          m.set(c, nx);
        }
      }
      n = nx;
    }
    const h = this.hits[n];
    if (h) h.items.push(item);
    else this.hits[n] = { items: [item], prefix };
    this.size++;
  }

  /** Fill `out` with the nodes along `dest` that carry items, deepest first; returns their count. */
  matches(dest: string, out: PrefixMatch[]): number {
    const next = this.next;
    const hits = this.hits;
    const more = this.more.size !== 0 ? this.more : null;
    const stack = STACK;
    let n = 0;
    let k = 0;
    for (let i = 0; i < dest.length; i++) {
      const c = dest.charCodeAt(i);
      const d = c - 48;
      let nx: number;
      if (d >= 0 && d <= 9) nx = next[n * WIDTH + d]!;
      else if (c === PLUS) nx = next[n * WIDTH + 10]!;
      else nx = more !== null ? more.get(n)?.get(c) ?? 0 : 0;
      if (nx === 0) break;
      n = nx;
      if (hits[n] !== null) stack[k++] = n;
    }
    for (let j = 0; j < k; j++) out[j] = hits[stack[k - 1 - j]!]!;
    return k;
  }
}

const STACK: number[] = [];
