/**
 * Longest-prefix index for destination matching. Built once per (plan, usage class); lookup walks the destination's
 * characters without allocating and reports matching nodes deepest first. Children of digits (nearly every character
 * of a destination) are a 10-slot array; other characters a Map. Every node has the same fields from its creation
 * (one hidden class: the walk's property loads stay monomorphic).
 */
class Node {
  /** children of the digits 0-9 */
  kids: (Node | undefined)[] | null = null;
  /** children of other char codes */
  more: Map<number, Node> | null = null;
  items: number[] | null = null;
  constructor(readonly depth: number, readonly prefix: string) {}
}

function child(n: Node, c: number): Node | undefined {
  const d = c - 48;
  if (d >= 0 && d <= 9) return n.kids !== null ? n.kids[d] : undefined;
  return n.more !== null ? n.more.get(c) : undefined;
}

export class PrefixTrie {
  private readonly root = new Node(0, '');
  size = 0;

  insert(prefix: string, item: number): void {
    let n = this.root;
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix.charCodeAt(i);
      let next = child(n, c);
      if (!next) {
        next = new Node(i + 1, prefix.slice(0, i + 1));
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
      if (n.items !== null) stack[k++] = n;
    }
    for (let j = 0; j < k; j++) out[j] = stack[k - 1 - j] as { items: number[]; prefix: string };
    return k;
  }
}

const STACK: Node[] = [];
