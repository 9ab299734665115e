/** Enrichment from reference tables (CSV files declared on the pipeline): exact key and longest-prefix lookups. */
import { literalString, type FunctionSpec, type ReferenceTable } from '../expr/compile.ts';
import { str, type Value } from '../expr/runtime.ts';

function table(args: readonly { k: string }[], ctx: { tables: ReadonlyMap<string, ReferenceTable> }, fname: string): ReferenceTable {
  const name = literalString(args[0] as never, `${fname}() table name`);
  const t = ctx.tables.get(name);
  if (!t) throw new Error(`unknown reference table ${JSON.stringify(name)} (declared: ${[...ctx.tables.keys()].join(', ') || 'none'})`);
  const col = args[2] ? literalString(args[2] as never, `${fname}() column`) : undefined;
  if (col && !t.columns.includes(col)) throw new Error(`table ${name} has no column ${JSON.stringify(col)} (columns: ${t.columns.join(', ')})`);
  return t;
}

/** key → value of one column, built once per (table, column) at compile time (no row object on the hot path) */
const columnMaps = new WeakMap<ReferenceTable, Map<string, Map<string, string>>>();
export function columnMap(t: ReferenceTable, col: string): Map<string, string> {
  let byCol = columnMaps.get(t);
  if (!byCol) columnMaps.set(t, (byCol = new Map()));
  let m = byCol.get(col);
  if (!m) {
    m = new Map();
    for (const [k, row] of t.rows) if (row[col] !== undefined) m.set(k, row[col]!);
    byCol.set(col, m);
  }
  return m;
}

export const lookup: FunctionSpec = {
  name: 'lookup', description: "lookup('table', key, 'column'?): the row's column (default: the table's second column) for an exact key, or null.",
  minArgs: 2, maxArgs: 3, examples: [],
  prepare: (args, ctx) => {
    const t = table(args, ctx, 'lookup');
    const col = args[2] ? literalString(args[2] as never, 'lookup() column') : t.columns[1]!;
    return columnMap(t, col);
  },
  fn: (m: Map<string, string>, _n: Value, key: Value) => {
    const v = m.get(typeof key === 'string' ? key : str(key));
    return v === undefined ? null : v;
  },
};

export const prefixLookup: FunctionSpec = {
  name: 'prefix_lookup', description: "prefix_lookup('table', number, 'column'?): longest-prefix match of the key column (carrier, network, destination).",
  minArgs: 2, maxArgs: 3, examples: [],
  prepare: (args, ctx) => {
    const t = table(args, ctx, 'prefix_lookup');
    let max = 0;
    for (const k of t.rows.keys()) max = Math.max(max, k.length);
    return { t, max };
  },
  fn: (p: { t: ReferenceTable; max: number }, _n: Value, key: Value, col?: Value) => {
    const s = str(key);
    for (let n = Math.min(p.max, s.length); n > 0; n--) {
      const row = p.t.rows.get(s.slice(0, n));
      if (row) return row[col == null ? p.t.columns[1]! : str(col)] ?? null;
    }
    return null;
  },
};
