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

/**
 * key → row number of a table, plus the last key looked up: rules often read several columns of the same row in a
 * row (account, then service of one subscriber), and the second read then needs no hash lookup.
 */
interface RowIndex {
  rows: Map<string, number>;
  lastKey: string | undefined;
  lastRow: number | undefined;
}
const rowIndexes = new WeakMap<ReferenceTable, RowIndex>();
function rowIndex(t: ReferenceTable): RowIndex {
  let ix = rowIndexes.get(t);
  if (!ix) {
    const rows = new Map<string, number>();
    let i = 0;
    for (const k of t.rows.keys()) rows.set(k, i++);
    rowIndexes.set(t, (ix = { rows, lastKey: undefined, lastRow: undefined }));
  }
  return ix;
}

/** one column of a table by row number (see rowIndex) */
interface ColumnLookup {
  ix: RowIndex;
  values: (string | undefined)[];
}

export const lookup: FunctionSpec = {
  name: 'lookup', description: "lookup('table', key, 'column'?): the row's column (default: the table's second column) for an exact key, or null.",
  minArgs: 2, maxArgs: 3, examples: [],
  prepare: (args, ctx): ColumnLookup => {
    const t = table(args, ctx, 'lookup');
    const col = args[2] ? literalString(args[2] as never, 'lookup() column') : t.columns[1]!;
    const values: (string | undefined)[] = [];
    for (const row of t.rows.values()) values.push(row[col]);
    return { ix: rowIndex(t), values };
  },
  fn: (p: ColumnLookup, _n: Value, key: Value) => {
    const k = typeof key === 'string' ? key : str(key);
    const ix = p.ix;
    let row: number | undefined;
    if (k === ix.lastKey) row = ix.lastRow;
    else {
      row = ix.rows.get(k);
      ix.lastKey = k;
      ix.lastRow = row;
    }
    if (row === undefined) return null;
    const v = p.values[row];
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
