/**
 * ClickHouse Native format blocks, written column by column into off-heap buffers (engine/store/bytes.ts), for
 * `INSERT … SELECT … FROM file(path, 'Native', structure)` into the in-process engine: no text to parse, no escaping.
 *
 * Layout of one block (as clickhouse-local writes and reads it in files: no block info, no serialization kinds):
 * VarUInt columns, VarUInt rows, then per column its name and type (Strings) and its data — String: VarUInt length +
 * UTF-8 per row; (U)Int*, Bool, DateTime64(3) (Int64 ms), Decimal(38, s) (Int128 of the scaled value): little-endian
 * fixed width; Map(String, String): UInt64 cumulative offsets per row, then all keys, then all values.
 *
 * A column whose every value in the block is the same (feed, versions, currency, run, …) is not written at all: it
 * goes into the SELECT as a literal. Columns built with `constant: false` are always written (a block keeps at least
 * one column in the file).
 */
import type { LineageSource } from '../core/types.ts';
import { ByteWriter } from './bytes.ts';

/** one block ready to insert: file bytes (in parts, written in order), the file's structure and the SELECT list */
export interface NativeBlock {
  /** the block's bytes in order (header, then each column's header and data) */
  parts: Uint8Array[];
  /** `name Type, …` of the columns in the file */
  structure: string;
  /** the table's columns, in insert order */
  columns: string[];
  /** one expression per entry of `columns`: the file's column or a constant literal */
  select: string[];
  rows: number;
}

/**
 * Whether a column's values so far are all the same. One class for every column type, so the per-row check stays
 * monomorphic (the columns' own `put` methods are each monomorphic too: no shared hot method sees seven classes).
 */
export class ConstTracker {
  n = 0;
  first: unknown;
  on: boolean;

  constructor(readonly allowed: boolean) {
    this.on = allowed;
  }

  /** -1: `v` is absorbed (still constant); else how many copies of `first` to write before `v` (once, at the break) */
  track(v: unknown): number {
    if (!this.on) return 0;
    if (this.n === 0) {
      this.first = v;
      this.n = 1;
      return -1;
    }
    if (v === this.first) {
      this.n++;
      return -1;
    }
    this.on = false;
    return this.n;
  }

  reset(): void {
    this.n = 0;
    this.on = this.allowed;
  }
}

export interface ColumnOptions {
  /** false: always written to the file (default true: a literal when constant) */
  constant?: boolean;
  /** bytes expected per row, for reserve() (default: the type's width; 16 for text) */
  bytesPerRow?: number;
}

export abstract class NativeColumn<T> {
  protected readonly w = new ByteWriter();
  protected readonly c: ConstTracker;
  protected readonly bytesPerRow: number;

  constructor(readonly name: string, readonly type: string, opts: ColumnOptions, width: number) {
    this.c = new ConstTracker(opts.constant ?? true);
    this.bytesPerRow = opts.bytesPerRow ?? width;
  }

  /**
   * size the buffers for `rows` rows once, instead of growing them by copies (a column that stays constant never
   * touches its buffer: no resident memory)
   */
  reserve(rows: number): void {
    this.w.room(Math.min(rows * this.bytesPerRow, 1 << 27));
  }

  abstract put(v: T): void;

  /** true when every value so far was the same (and the column may be a literal) */
  get constant(): boolean {
    return this.c.on && this.c.n > 0;
  }

  /** the SQL literal of the constant value */
  literal(): string {
    return this.lit(this.c.first as T);
  }

  /** the column's data bytes (views into its writers) */
  data(): Uint8Array[] {
    return [this.w.take()];
  }

  reset(): void {
    this.c.reset();
    this.w.reset();
  }

  protected abstract lit(v: T): string;
}

/** a SQL string literal */
export function sqlString(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

export class StringColumn extends NativeColumn<string> {
  constructor(name: string, opts: ColumnOptions = {}) {
    super(name, 'String', opts, 16);
  }
  put(v: string): void {
    const k = this.c.track(v);
    if (k < 0) return;
    for (let i = 0; i < k; i++) this.w.string(this.c.first as string);
    this.w.string(v);
  }
  /**
   * a value given as text or as a source that writes it in pieces (a charge's lineage): in a column built with
   * `constant: false` the source writes straight into the buffer (no string of the value); else its text is put
   */
  putText(v: string | LineageSource): void {
    if (typeof v === 'string') this.put(v);
    else if (v.writeTo === undefined || this.c.allowed) this.put(v.text());
    else this.w.stringFrom(v as Required<LineageSource>);
  }
  protected lit(v: string): string {
    return sqlString(v);
  }
}

export class UInt32Column extends NativeColumn<number> {
  constructor(name: string, opts: ColumnOptions = {}) {
    super(name, 'UInt32', opts, 4);
  }
  put(v: number): void {
    const k = this.c.track(v);
    if (k < 0) return;
    for (let i = 0; i < k; i++) this.w.u32(this.c.first as number);
    this.w.u32(v);
  }
  protected lit(v: number): string {
    return `toUInt32(${v})`;
  }
}

/** UInt64 from a safe JS integer */
export class UInt64Column extends NativeColumn<number> {
  constructor(name: string, opts: ColumnOptions = {}) {
    super(name, 'UInt64', opts, 8);
  }
  put(v: number): void {
    if (!(v >= 0) || !Number.isSafeInteger(v)) throw new Error(`${this.name}: ${v} is not a UInt64 held exactly`);
    const k = this.c.track(v);
    if (k < 0) return;
    for (let i = 0; i < k; i++) this.w.i64(this.c.first as number);
    this.w.i64(v);
  }
  protected lit(v: number): string {
    return `toUInt64(${v})`;
  }
}

export class BoolColumn extends NativeColumn<boolean> {
  constructor(name: string, opts: ColumnOptions = {}) {
    super(name, 'Bool', opts, 1);
  }
  put(v: boolean): void {
    const k = this.c.track(v);
    if (k < 0) return;
    for (let i = 0; i < k; i++) this.w.u8(this.c.first ? 1 : 0);
    this.w.u8(v ? 1 : 0);
  }
  protected lit(v: boolean): string {
    return v ? 'true' : 'false';
  }
}

/** DateTime64(3, 'UTC') from epoch milliseconds */
export class DateTime64Column extends NativeColumn<number> {
  constructor(name: string, opts: ColumnOptions = {}) {
    super(name, "DateTime64(3, 'UTC')", opts, 8);
  }
  put(v: number): void {
    const k = this.c.track(v);
    if (k < 0) return;
    for (let i = 0; i < k; i++) this.w.i64(Math.trunc(this.c.first as number));
    this.w.i64(Math.trunc(v));
  }
  protected lit(v: number): string {
    return `fromUnixTimestamp64Milli(toInt64(${Math.trunc(v)}), 'UTC')`;
  }
}

/** Decimal(38, scale) from a bigint scaled by 10^scale (stored as Int128) */
export class DecimalColumn extends NativeColumn<bigint> {
  constructor(name: string, readonly scale: number, opts: ColumnOptions = {}) {
    super(name, `Decimal(38, ${scale})`, opts, 16);
  }
  put(v: bigint): void {
    const k = this.c.track(v);
    if (k < 0) return;
    for (let i = 0; i < k; i++) this.w.i128(this.c.first as bigint);
    this.w.i128(v);
  }
  protected lit(v: bigint): string {
    const neg = v < 0n;
    const digits = (neg ? -v : v).toString().padStart(this.scale + 1, '0');
    const text = `${neg ? '-' : ''}${digits.slice(0, digits.length - this.scale)}${this.scale ? `.${digits.slice(digits.length - this.scale)}` : ''}`;
    return `toDecimal128('${text}', ${this.scale})`;
  }
}

/** Map(String, String) from a record (number and bigint values as their decimal text); always written */
export class StringMapColumn extends NativeColumn<Record<string, string | number | bigint>> {
  private readonly keys = new ByteWriter();
  private readonly values = new ByteWriter();
  private entries = 0;

  /** `bytesPerRow`: of keys (and again of values) per row */
  constructor(name: string, opts: Omit<ColumnOptions, 'constant'> = {}) {
    super(name, 'Map(String, String)', { ...opts, constant: false }, 16);
  }
  override reserve(rows: number): void {
    const n = Math.min(rows * this.bytesPerRow, 1 << 27);
    this.w.room(rows * 8);
    this.keys.room(n);
    this.values.room(n);
  }
  put(m: Record<string, string | number | bigint>): void {
    for (const k in m) {
      const v = m[k]!;
      this.keys.string(k);
      this.values.string(typeof v === 'string' ? v : String(v));
      this.entries++;
    }
    this.w.i64(this.entries);
  }
  protected lit(): string {
    throw new Error('a map column is always written');
  }
  override data(): Uint8Array[] {
    return [this.w.take(), this.keys.take(), this.values.take()];
  }
  override reset(): void {
    super.reset();
    this.keys.reset();
    this.values.reset();
    this.entries = 0;
  }
}

/** A block being gathered: its columns in the table's insert order; `row()` after each row's puts. */
export class NativeBlockWriter {
  rows = 0;
  private readonly header = new ByteWriter(1 << 10);

  constructor(readonly columns: readonly NativeColumn<never>[]) {}

  row(): void {
    this.rows++;
  }

  /** size every column's buffers for `rows` rows */
  reserve(rows: number): void {
    for (const c of this.columns) c.reserve(rows);
  }

  /** the block as it stands (views into the writers: gather no more rows until it has been written) */
  finish(): NativeBlock {
    const inFile = this.columns.filter((c) => !c.constant);
    if (!inFile.length) throw new Error('a Native block needs at least one column written (constant: false)');
    const h = this.header;
    h.reset();
    h.varUInt(inFile.length);
    h.varUInt(this.rows);
    // offsets first, views after: the header writer may move to a larger buffer while it is written
    const bounds: number[] = [0];
    for (const c of inFile) {
      h.string(c.name);
      h.string(c.type);
      bounds.push(h.pos);
    }
    const parts: Uint8Array[] = [];
    inFile.forEach((c, i) => parts.push(h.buf.subarray(i === 0 ? 0 : bounds[i]!, bounds[i + 1]!), ...c.data()));
    return {
      parts,
      rows: this.rows,
      structure: inFile.map((c) => `${c.name} ${c.type}`).join(', '),
      columns: this.columns.map((c) => c.name),
      select: this.columns.map((c) => (c.constant ? `${c.literal()} AS ${c.name}` : c.name)),
    };
  }

  reset(): void {
    this.rows = 0;
    for (const c of this.columns) c.reset();
  }
}
