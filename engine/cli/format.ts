/** Terminal output helpers: aligned tables, counts (CSV output: engine/core/csv.ts). */
export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** Render rows as an aligned text table (numbers right-aligned). */
export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (!rows.length) return '(no rows)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const data = rows.map((r) => cols.map((c) => cell(r[c])));
  const numeric = cols.map((_, i) => data.every((r) => /^-?[\d,]+(\.\d+)?$/.test(r[i]!) || r[i] === ''));
  const width = cols.map((c, i) => Math.max(c.length, ...data.map((r) => r[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join('  ').trimEnd();
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...data.map(line)].join('\n');
}
