/**
 * Longest-prefix index for destination matching. Built once per (plan, usage class); lookup walks the destination's
 * characters without allocating and reports matching nodes deepest first. Children of digits (nearly every character
 * of a destination) are a 10-slot array; other characters a Map.
 */
interface Node {
  /** children of the digits 0-9 */
  kids?: (Node | undefined)[];
  /** children of other char codes */
  more?: Map<number, Node>;
  items?: number[];
  depth: number;
  prefix: string;
}

function child(n: Node, c: number): Node | undefined {
  if (c >= 48 && c <= 57) return n.kids ? n.kids[c - 48] : undefined;
  return n.more?.get(c);
}

export class PrefixTrie {
  private readonly root: Node = { depth: 0, prefix: '' };
  size = 0;

  insert(prefix: string, item: number): void {
    let n = this.root;
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix.charCodeAt(i);
      let next = child(n, c);
      if (!next) {
        next = { depth: i + 1, prefix: prefix.slice(0, i + 1) };
        if (c >= 48 && c <= 57) (n.kids ??= new Array<Node | undefined>(10).fill(undefined))[c - 48] = next;
        else (n.more ??= new Map()).set(c, next);
      }
      n = next;
    }
    (n.items ??= []).push(item);
    this.size++;
  }

  /** Fill `out` with the nodes along `dest` that carry items, deepest first; returns their count. */
  matches(dest: string, out: { items: number[]; prefix: string }[]): number {
    let n = this.root;
    let k = 0;
    const stack = STACK;
    for (let i = 0; i < dest.length; i++) {
      const next = child(n, dest.charCodeAt(i));
      if (!next) break;
      n = next;
      if (n.items) stack[k++] = n;
    }
    for (let j = 0; j < k; j++) out[j] = stack[k - 1 - j] as { items: number[]; prefix: string };
    return k;
  }
}

const STACK: Node[] = [];
