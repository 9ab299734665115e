/** CSV for spreadsheets (query --format csv, invoices, GL exports, rerate reports). */
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
