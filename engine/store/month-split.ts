/**
 * The rows of one insert gathered per month partition: the ledger's `udrs` and `charges` are
 * `PARTITION BY toYYYYMM(<time>)` (UTC), and each month's rows go into their own Native block, inserted on their own
 * (engine/store/ledger-native.ts writeNative). ClickHouse makes one part per partition either way, but an insert whose
 * block spans two months is first scattered into a copy per partition: measured on the in-process engine, 23k demo
 * charges spanning two months need ≈ 45 MiB of working memory to insert, the same rows as a September block and an
 * October block inserted one after the other at most 29 MiB, for slightly less CPU (`npx tsx bench/insert-memory.ts`,
 * bench/RESULTS.md). Batches span months
 * at every month boundary and whenever late records of the previous month arrive (in every demo batch too: the demo
 * day starts in September in UTC).
 *
 * Which month a row goes to only matters for memory: a row put in another month's block (a time ClickHouse maps to
 * another partition than this code, e.g. outside DateTime64's range) is still stored right, ClickHouse scatters it.
 */
import type { NativeBlock, NativeBlockWriter } from './native.ts';

/** a gatherer of one table's rows into its own Native block writer */
export interface BlockColumns {
  readonly block: NativeBlockWriter;
}

/** a Native block of one month partition (`partition`: yyyymm, UTC) */
export interface PartitionBlock extends NativeBlock {
  partition: string;
}

export class MonthSplit<C extends BlockColumns> {
  private readonly byMonth = new Map<number, C>();
  /** the month of the last row, and its [lo, hi) range in ms (empty until the first row: looked up then) */
  private cur: C | undefined;
  private lo = 1;
  private hi = 0;

  /** `make(rows)`: a month's columns, sized for `rows` (the first month only: the others grow as they fill) */
  constructor(private readonly make: (rows?: number) => C, private readonly rowsHint?: number) {}

  /** the columns for a row at `ms` (epoch milliseconds, UTC) */
  at(ms: number): C {
    return ms >= this.lo && ms < this.hi ? this.cur! : this.switchTo(ms);
  }

  private switchTo(ms: number): C {
    const d = new Date(ms);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const key = y * 100 + m + 1;
    let c = this.byMonth.get(key);
    if (!c) this.byMonth.set(key, (c = this.make(this.byMonth.size ? undefined : this.rowsHint)));
    this.cur = c;
    this.lo = Date.UTC(y, m, 1);
    this.hi = Date.UTC(y, m + 1, 1);
    return c;
  }

  get rows(): number {
    let n = 0;
    for (const c of this.byMonth.values()) n += c.block.rows;
    return n;
  }

  /** the months' blocks with rows, oldest first (views into the writers: gather no more rows until they are written) */
  finish(): PartitionBlock[] {
    const out: PartitionBlock[] = [];
    for (const [k, c] of [...this.byMonth].sort((a, b) => a[0] - b[0])) if (c.block.rows) out.push({ ...c.block.finish(), partition: String(k) });
    return out;
  }

  /**
   * empty every month for the next insert; a month that gathered no rows since the last reset is dropped, its buffers
   * freed. (Keeping idle months' columns for later batches was measured: serve's bench feed runs through seven months
   * in 2M records, and the kept buffers added up to ≈ 300 MiB of external memory. Handing an idle month's columns to
   * the next new month was measured too: less garbage, but V8's full GCs then came later and serve's peak RSS rose 9 %.)
   */
  reset(): void {
    for (const [k, c] of this.byMonth) {
      if (c.block.rows) c.block.reset();
      else this.byMonth.delete(k);
    }
    this.cur = undefined;
    this.lo = 1;
    this.hi = 0;
  }
}
