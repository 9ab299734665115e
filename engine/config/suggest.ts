/** "did you mean …" for unknown keys, functions, columns and fields: the nearest candidate by edit distance. */

/** Levenshtein distance (insert, delete, substitute; a swap of two neighbours counts as one edit) */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  let prev2: number[] = [];
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}

/** the candidate nearest to `word` when it is close enough to be a typo (case-insensitive), else undefined */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) { best = c; bestD = d; }
  }
  const limit = Math.max(1, Math.min(3, Math.ceil(word.length / 3)));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/** ` (did you mean "x"?)`-style hint, or '' ; `show` formats the candidate (default: quoted) */
export function didYouMean(word: string, candidates: Iterable<string>, show: (c: string) => string = (c) => JSON.stringify(c)): string {
  const n = nearest(word, candidates);
  return n === undefined ? '' : `did you mean ${show(n)}?`;
}
