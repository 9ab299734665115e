/**
 * Reading CGRateS TP CSV files: comment lines (#) skipped — the first one, when it names the columns, is kept as the
 * header so a column can be found by name (CGRateS versions order some files differently); fields may be quoted
 * ("..." with "" for a quote, as in Actions' JSON ExtraParameters); every field is trimmed. Also the CGRateS value
 * texts shared by the importers: decimals and durations/units.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CsvFile {
  /** data rows (comment and blank lines left out) */
  rows: string[][];
  /** column names from a leading `#` header line (without the `#` and `[n]` suffixes), lower-cased; empty when none */
  header: string[];
}

/** split one CSV line, honouring double quotes */
export function splitCsvLine(line: string, sep = ','): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) { out.push(cur.trim()); cur = ''; }
    else cur += c;
  }
  out.push(cur.trim());
  return out;
}

export function readCsvFile(dir: string, name: string): CsvFile {
  const f = join(dir, `${name}.csv`);
  if (!existsSync(f)) return { rows: [], header: [] };
  const lines = readFileSync(f, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const first = lines[0]?.startsWith('#') ? splitCsvLine(lines[0].slice(1)) : [];
  const header = first.length > 1 ? first.map((h) => h.replace(/\[\d+\]$/, '').trim().toLowerCase()) : [];
  return { rows: lines.filter((l) => !l.startsWith('#')).map((l) => splitCsvLine(l)), header };
}

export function readCsv(dir: string, name: string): string[][] {
  return readCsvFile(dir, name).rows;
}

/** a column accessor: by header name when the file has a header naming it, else by position */
export function columnOf(file: CsvFile, names: readonly string[], position: number): (row: string[]) => string {
  const i = file.header.length ? file.header.findIndex((h) => names.includes(h)) : -1;
  const at = i >= 0 ? i : position;
  return (row) => row[at] ?? '';
}

/** a CGRateS decimal text → our decimal text (exact) */
export function dec(s: string | undefined): string {
  const t = (s ?? '').trim();
  if (t === '') return '0';
  if (!/^-?\d*(\.\d+)?$/.test(t)) throw new Error(`not a decimal: ${JSON.stringify(s)}`);
  const v = t.startsWith('.') ? `0${t}` : t.startsWith('-.') ? `-0${t.slice(1)}` : t;
  return v;
}

/** usage unit of a CGRateS category (else ms) */
export const CATEGORY_UNITS: Record<string, string> = { data: 'byte', sms: 'event', mms: 'event', generic: 'event' };

/** CGRateS duration text → quantity text in our unit ("60s" stays time, "1024" is units) */
export function qty(text: string, unit: string, what: string, dflt: string): string {
  const t = text.trim();
  if (t === '' || /^0+(s|ms|m|h|ns)?$/.test(t)) return dflt;
  const m = /^(\d+)(ns|us|ms|s|m|h)?$/.exec(t);
  if (!m) throw new Error(`${what}: unsupported duration ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const u = m[2];
  if (unit === 'ms') {
    if (!u || u === 'ns') {
      if (n % 1_000_000) throw new Error(`${what}: ${text} is ${n} ns, not a whole number of milliseconds`);
      return `${n / 1_000_000}ms`;
    }
    return u === 'm' ? `${n}min` : u === 'us' ? (() => { if (n % 1000) throw new Error(`${what}: ${text} is not whole ms`); return `${n / 1000}ms`; })() : `${n}${u}`;
  }
  // data / sms: CGRateS counts units as nanoseconds of a Duration: bare numbers are units
  if (!u || u === 'ns') return `${n}`;
  const f = { us: 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 }[u]!;
  return `${n * f}`;
}
