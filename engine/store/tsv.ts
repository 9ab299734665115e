/**
 * TabSeparated encoding for bulk inserts (the fastest path into the in-process engine: an INSERT … FORMAT
 * TabSeparated command carrying the rows). Money goes in as exact decimal text.
 */
const ESC: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' };
const NEEDS = /[\\\t\n\r\0\b\f]/;
const NEEDS_G = /[\\\t\n\r\0\b\f]/g;

export function tsvString(s: string): string {
  return NEEDS.test(s) ? s.replace(NEEDS_G, (c) => ESC[c]!) : s;
}

/** epoch milliseconds → DateTime64(3) text "seconds.mmm" */
export function tsvTime(ms: number): string {
  const neg = ms < 0;
  const a = Math.abs(Math.trunc(ms));
  const s = `${Math.floor(a / 1000)}.${String(a % 1000).padStart(3, '0')}`;
  return neg ? `-${s}` : s;
}

const LIT_G = /[\\'\t\n\r\0\b\f]/g;
/** a quoted string inside a composite TSV value: the Map reader unescapes it once */
function literal(s: string): string {
  return `'${s.replace(LIT_G, (c) => (c === "'" ? "\\'" : ESC[c]!))}'`;
}

/** Map(String, String) value: a ClickHouse map literal (its strings escaped once, inside quotes) */
export function tsvMap(m: Record<string, string | number | bigint>): string {
  const parts: string[] = [];
  for (const k in m) parts.push(`${literal(k)}:${typeof m[k] === 'string' ? literal(m[k] as string) : String(m[k])}`);
  return `{${parts.join(',')}}`;
}

/** Build `INSERT INTO t (cols) FORMAT TabSeparated\n<rows>` */
export function insertTsv(table: string, columns: readonly string[], rows: string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) FORMAT TabSeparated\n${rows.join('\n')}\n`;
}
