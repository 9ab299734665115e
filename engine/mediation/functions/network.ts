/**
 * Carrier and network from MCC-MNC tables: an IMSI (or an MCC-MNC code) is matched against a reference table keyed
 * by 5- or 6-digit MCC-MNC (the MNC is 2 or 3 digits depending on the country, so the longer key wins).
 * Carrier from a number prefix is `prefix_lookup` on a prefix table.
 */
import { literalString, type FunctionSpec, type ReferenceTable } from '../expr/compile.ts';
import { str, type Value } from '../expr/runtime.ts';

export const mccMnc: FunctionSpec = {
  name: 'mcc_mnc', description: "mcc_mnc('table', imsiOrCode, 'column'?): the row of the MCC-MNC table for an IMSI or MCC-MNC (6 digits tried before 5), e.g. network or carrier.",
  minArgs: 2, maxArgs: 3, examples: [],
  prepare: (args, ctx) => {
    const name = literalString(args[0], 'mcc_mnc() table name');
    const t = ctx.tables.get(name);
    if (!t) throw new Error(`unknown reference table ${JSON.stringify(name)} (declared: ${[...ctx.tables.keys()].join(', ') || 'none'})`);
    const col = args[2] ? literalString(args[2], 'mcc_mnc() column') : undefined;
    if (col && !t.columns.includes(col)) throw new Error(`table ${name} has no column ${JSON.stringify(col)} (columns: ${t.columns.join(', ')})`);
    return t;
  },
  fn: (t: ReferenceTable, _n: Value, key: Value, col?: Value) => {
    const s = str(key).replace(/[^0-9]/g, '');
    const row = t.rows.get(s.slice(0, 6)) ?? t.rows.get(s.slice(0, 5));
    if (!row) return null;
    return row[col == null ? t.columns[1]! : str(col)] ?? null;
  },
};
