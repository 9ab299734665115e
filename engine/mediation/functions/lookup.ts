/** Enrichment from reference tables (CSV files declared on the pipeline): exact key and longest-prefix lookups. */
import { literalString, type FunctionSpec, type ReferenceTable } from '../../expr/compile.ts';
import { str, type Value } from '../../expr/runtime.ts';
import { numHash } from './num-hash.ts';

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
 *
 * Keys made of an optional '+' and 1–15 digits (MSISDNs, IMSIs' prefixes, numeric ids: the common case) are
 * indexed in an open-addressing table on a typed array instead of the Map (linear probing, load ≤ 0.75): per
 * position [digits value, row * 64 + form] side by side (form = (has '+') * 32 + digit count, 1–47, so 0 = empty),
 * so a probe is one memory access and no string comparison. Two such texts are equal exactly when value and form are (the value is exact below 2^53).
 * Every other key is in `rows`. A key is in exactly one of the two, so the lookup is the same exact match.
 */
interface RowIndex {
  rows: Map<string, number>;
  /** [value, row * 64 + form] per position (0 = empty) */
  num: Float64Array;
  numMask: number;
  lastKey: string | undefined;
  lastRow: number | undefined;
}

/** form of the last numericKey() call */
let keyForm = 0;

/** value of a key made of an optional '+' and 1–15 digits, else -1 (then `keyForm` is not set) */
function numericKey(t: string): number {
  const len = t.length;
  let i = 0;
  let plus = 0;
  if (len > 0 && t.charCodeAt(0) === 43 /* + */) { plus = 1; i = 1; }
  const n = len - i;
  if (n < 1 || n > 15) return -1;
  let v = 0;
  for (; i < len; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  keyForm = plus * 32 + n;
  return v;
}

function numHome(v: number, form: number, mask: number): number {
  return numHash(v, form) & mask;
}

/** the row of key `k`, or undefined */
function findRow(ix: RowIndex, k: string): number | undefined {
  const v = numericKey(k);
  if (v < 0) return ix.rows.get(k);
  const form = keyForm;
  const t = ix.num;
  const mask = ix.numMask;
  let i = numHome(v, form, mask);
  while (true) {
    const rf = t[i * 2 + 1]!;
    if (rf === 0) return undefined;
    if (rf % 64 === form && t[i * 2] === v) return (rf - form) / 64;
    i = (i + 1) & mask;
  }
}

const rowIndexes = new WeakMap<ReferenceTable, RowIndex>();
function rowIndex(t: ReferenceTable): RowIndex {
  let ix = rowIndexes.get(t);
  if (!ix) {
    const rows = new Map<string, number>();
    const numeric: [number, number, number][] = [];
    let i = 0;
    for (const k of t.rows.keys()) {
      const v = numericKey(k);
      if (v < 0) rows.set(k, i);
      else numeric.push([v, keyForm, i]);
      i++;
    }
    let cap = 16;
    while (cap * 3 < numeric.length * 4) cap <<= 1;
    const num = new Float64Array(cap * 2);
    const numMask = cap - 1;
    for (const [v, form, row] of numeric) {
      let p = numHome(v, form, numMask);
      while (num[p * 2 + 1] !== 0) p = (p + 1) & numMask;
      num[p * 2] = v;
      num[p * 2 + 1] = row * 64 + form;
    }
    rowIndexes.set(t, (ix = { rows, num, numMask, lastKey: undefined, lastRow: undefined }));
  }
  return ix;
}

/**
 * The values of a table row-major (row * columns + column, each `row[column]`): several lookups of one row (account,
 * then service of a subscriber) read neighbouring entries instead of one array per column.
 */
const rowMajors = new WeakMap<ReferenceTable, (string | undefined)[]>();
function rowMajor(t: ReferenceTable): (string | undefined)[] {
  let all = rowMajors.get(t);
  if (!all) {
    all = [];
    for (const row of t.rows.values()) for (const c of t.columns) all.push(row[c]);
    rowMajors.set(t, all);
  }
  return all;
}

/** one column of a table by row number (see rowIndex): values[row * stride + offset] */
interface ColumnLookup {
  ix: RowIndex;
  values: (string | undefined)[];
  stride: number;
  offset: number;
}

export const lookup: FunctionSpec = {
  name: 'lookup', description: "lookup('table', key, 'column'?): the row's column (default: the table's second column) for an exact key, or null.",
  minArgs: 2, maxArgs: 3, examples: [],
  prepare: (args, ctx): ColumnLookup => {
    const t = table(args, ctx, 'lookup');
    const col = args[2] ? literalString(args[2] as never, 'lookup() column') : t.columns[1]!;
    const ci = t.columns.indexOf(col);
    if (ci >= 0) return { ix: rowIndex(t), values: rowMajor(t), stride: t.columns.length, offset: ci };
    // a column the table does not declare (the default second column of a one-column table): its own array
    const values: (string | undefined)[] = [];
    for (const row of t.rows.values()) values.push(row[col]);
    return { ix: rowIndex(t), values, stride: 1, offset: 0 };
  },
  fn: (p: ColumnLookup, _n: Value, key: Value) => {
    const k = typeof key === 'string' ? key : str(key);
    const ix = p.ix;
    let row: number | undefined;
    if (k === ix.lastKey) row = ix.lastRow;
    else {
      row = findRow(ix, k);
      ix.lastKey = k;
      ix.lastRow = row;
    }
    if (row === undefined) return null;
    const v = p.values[row * p.stride + p.offset];
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
