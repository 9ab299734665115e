/** Terminal output helpers: aligned tables, counts, CSV safe for spreadsheets. */
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

/**
 * CSV cell escaped for spreadsheets: quotes doubled, and text starting with = + - @ (or tab/CR) prefixed with a
 * quote so it is never run as a formula. Numbers (money included) stay numeric.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^-?\d+(\.\d+)?$/.test(s)) return s;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(rows: Record<string, unknown>[], columns?: string[]): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  return [cols.map(csvCell).join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n');
}
