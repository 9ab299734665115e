/**
 * Carrier and network from MCC-MNC tables: an IMSI (or an MCC-MNC code) is matched against a reference table keyed
 * by 5- or 6-digit MCC-MNC (the MNC is 2 or 3 digits depending on the country, so the longer key wins).
 * Carrier from a number prefix is `prefix_lookup` on a prefix table.
 */
import { literalString, type FunctionSpec, type ReferenceTable } from '../../expr/compile.ts';
import { str, type Value } from '../../expr/runtime.ts';

/** column values of an MCC-MNC table, with the 5- and 6-digit keys also by number (no substring per lookup) */
interface Prepared {
  t: ReferenceTable;
  /** key → the row's value of the prepared column (null when the row has none) */
  values: Map<string, string | null>;
  /** the all-digit 6- and 5-character keys, by numeric value → value */
  by6: Map<number, string | null>;
  by5: Map<number, string | null>;
}

function prepared(t: ReferenceTable, col: string): Prepared {
  const values = new Map<string, string | null>();
  for (const [k, row] of t.rows) values.set(k, row[col] ?? null);
  const by6 = new Map<number, string | null>(), by5 = new Map<number, string | null>();
  for (const [k, v] of values) {
    if (/^[0-9]{6}$/.test(k)) by6.set(Number(k), v);
    else if (/^[0-9]{5}$/.test(k)) by5.set(Number(k), v);
  }
  return { t, values, by6, by5 };
}

/** the first n characters of s (all digits) as a number */
function digitsValue(s: string, n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x = x * 10 + (s.charCodeAt(i) - 48);
  return x;
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export const mccMnc: FunctionSpec = {
  name: 'mcc_mnc', description: "mcc_mnc('table', imsiOrCode, 'column'?): the row of the MCC-MNC table for an IMSI or MCC-MNC (6 digits tried before 5), e.g. network or carrier.",
  minArgs: 2, maxArgs: 3, examples: [],
  prepare: (args, ctx) => {
    const name = literalString(args[0], 'mcc_mnc() table name');
    const t = ctx.tables.get(name);
    if (!t) throw new Error(`unknown reference table ${JSON.stringify(name)} (declared: ${[...ctx.tables.keys()].join(', ') || 'none'})`);
    const col = args[2] ? literalString(args[2], 'mcc_mnc() column') : undefined;
    if (col && !t.columns.includes(col)) throw new Error(`table ${name} has no column ${JSON.stringify(col)} (columns: ${t.columns.join(', ')})`);
    return prepared(t, col ?? t.columns[1]!);
  },
  // the row for the first 6 digits, else for the first 5 (non-digits dropped first); its column's value or null
  fn: (p: Prepared, _n: Value, key: Value) => {
    let s = typeof key === 'string' ? key : str(key);
    if (!allDigits(s)) s = s.replace(/[^0-9]/g, '');
    let v = s.length >= 6 ? p.by6.get(digitsValue(s, 6)) : p.values.get(s);
    if (v === undefined) v = s.length >= 5 ? p.by5.get(digitsValue(s, 5)) : p.values.get(s);
    return v === undefined ? null : v;
  },
};
