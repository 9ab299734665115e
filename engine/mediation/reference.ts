/** Reference tables for enrichment: CSV files with a header line, keyed by one column. */
import { readFileSync } from 'node:fs';
import type { ReferenceTable } from '../expr/compile.ts';
import { splitDelimited } from './parsers/csv.ts';

export function loadReferenceTable(name: string, file: string, key: string): ReferenceTable {
  const text = readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.length && !l.startsWith('#'));
  if (!lines.length) throw new Error(`reference table ${name}: ${file} is empty`);
  const columns = splitDelimited(lines[0]!, ',', '"', false).map((c) => c.trim());
  const ki = columns.indexOf(key);
  if (ki < 0) throw new Error(`reference table ${name}: key column ${JSON.stringify(key)} not in header (${columns.join(', ')})`);
  const ordered = [key, ...columns.filter((c) => c !== key)];
  const rows = new Map<string, Record<string, string>>();
  for (let i = 1; i < lines.length; i++) {
    const f = splitDelimited(lines[i]!, ',', '"', false);
    const row: Record<string, string> = Object.create(null);
    columns.forEach((c, j) => (row[c] = (f[j] ?? '').trim()));
    rows.set(row[key]!, row);
  }
  return { name, columns: ordered, rows };
}
