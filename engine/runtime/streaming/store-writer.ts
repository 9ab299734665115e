/**
 * Streaming rows → ClickHouse, the one place serve inserts them (the sink for what it reads from the topics, the rate
 * role in `rate.store: direct` for what it rated): one insert per table through the store's own writers
 * (engine/store/ledger-native.ts writeNative for UDRs and charges into the in-process engine, engine/store/ledger.ts
 * writeBatch for the rest and for servers, engine/store/finance.ts), each with a deterministic dedup token
 * `<token>:<table>` (Native blocks of a batch that spans months: `<token>:<table>:<yyyymm>`; charges of several feeds:
 * `<token>:<feed>:charges`; billing state: `<token>:states` /
 * `<token>:pools`, the embedded mode's scheme), retried with the same token until ClickHouse acknowledges — a retried or
 * re-cut-identically batch is dropped by the tables' dedup window (non_replicated_deduplication_window).
 */
import type { Charge, Reject, Udr } from '../../core/types.ts';
import type { StoreClient } from '../../store/client.ts';
import { type PoolBalance, type ServiceStateChange, writePoolBalances, writeStateChanges } from '../../store/finance.ts';
import { writeBatch } from '../../store/ledger.ts';
import { ChargeBlock, chargeBlockOf, insertFormatOf, UdrBlock, udrBlockOf, writeNative } from '../../store/ledger-native.ts';
import type { Logger } from 'pino';
import type { StreamMetrics } from '../../telemetry/metrics.ts';

export interface StreamRows {
  udrs: Udr[];
  /** charges per feed (the ledger's `feed` column) */
  charges: Map<string, Charge[]>;
  /**
   * UDRs and charges already written into Native blocks as they were rated (the rate stage with the in-process engine:
   * no object of a batch waits for its insert); stored after `udrs` and `charges`, which then stay empty
   */
  native?: NativeRows;
  /** an insert attempt of these rows timed out (it may still be reading their blocks: they are not reused) */
  timedOut?: boolean;
  mediationRejects: Reject[];
  ratingRejects: Reject[];
  states: ServiceStateChange[];
  pools: PoolBalance[];
}

export const emptyRows = (): StreamRows => ({ udrs: [], charges: new Map(), mediationRejects: [], ratingRejects: [], states: [], pools: [] });

/**
 * A batch's UDR and charge rows as Native blocks, gathered row by row (the embedded run's way, file-processor.ts):
 * one charge block per feed. Reused from batch to batch (`reset`): its buffers keep their size, so a batch allocates
 * no column memory once they have grown.
 */
export class NativeRows {
  readonly udrs = new UdrBlock();
  private readonly byFeed = new Map<string, ChargeBlock>();

  charge(c: Charge, feed: string): void {
    let b = this.byFeed.get(feed);
    if (!b) this.byFeed.set(feed, (b = new ChargeBlock()));
    b.put(c, feed);
  }

  /** the feeds with charges in this batch, and their blocks */
  charges(): [string, ChargeBlock][] {
    return [...this.byFeed].filter(([, b]) => b.rows > 0);
  }

  chargeRows(): number {
    let n = 0;
    for (const b of this.byFeed.values()) n += b.rows;
    return n;
  }

  reset(): void {
    this.udrs.reset();
    for (const b of this.byFeed.values()) b.reset();
  }
}

/** rows per table, for metrics */
export function rowsByTable(r: StreamRows): [string, number][] {
  let charges = r.native?.chargeRows() ?? 0;
  for (const l of r.charges.values()) charges += l.length;
  return [['udrs', r.udrs.length + (r.native?.udrs.rows ?? 0)], ['charges', charges], ['rejects', r.mediationRejects.length + r.ratingRejects.length], ['service_states', r.states.length], ['pool_balances', r.pools.length]];
}

/**
 * One insert per non-empty table, all with `token`-derived dedup tokens. The in-process engine gets UDRs and charges as
 * Native blocks through a file (engine/store/ledger-native.ts writeNative: same `<token>:<table>` tokens as the TSV
 * path) and rejects as TSV — `passthrough`: the ledger's TSV bytes handed over as they are (no SQL string built or
 * copied); a server (CLICKHOUSE_URL) gets TSV INSERT commands for every table, and RATESTREAM_INSERT_FORMAT=tsv keeps
 * the in-process engine on TSV too (as in `run`).
 */
export async function writeStreamRows(store: StoreClient, r: StreamRows, token: string, passthrough = false): Promise<void> {
  const jobs: Promise<void>[] = [];
  const native = insertFormatOf(store) === 'native';
  if (r.native && !native) throw new Error('Native rows need the in-process engine with Native inserts');
  if (r.native && (r.udrs.length || r.charges.size)) throw new Error('a batch gathers its UDRs and charges either as Native blocks or as rows, not both');
  const udrsAsRows = native ? [] : r.udrs;
  if (udrsAsRows.length || r.mediationRejects.length || r.ratingRejects.length) {
    jobs.push(writeBatch(store, { udrs: udrsAsRows, charges: [], mediationRejects: r.mediationRejects, ratingRejects: r.ratingRejects, feed: '' }, token, passthrough));
  }
  if (r.native) {
    // gathered as Native blocks while rated: the same tables and tokens as the arrays below
    if (r.native.udrs.rows) jobs.push(writeNative(store, 'udrs', r.native.udrs.finish(), token));
    const byFeed = r.native.charges();
    for (const [feed, b] of byFeed) jobs.push(writeNative(store, 'charges', b.finish(), byFeed.length === 1 ? token : `${token}:${feed}`));
  } else if (native && r.udrs.length) jobs.push(writeNative(store, 'udrs', udrBlockOf(r.udrs), token));
  for (const [feed, charges] of r.charges) {
    if (!charges.length) continue;
    const t = r.charges.size === 1 ? token : `${token}:${feed}`;
    jobs.push(native ? writeNative(store, 'charges', chargeBlockOf(charges, feed), t) : writeBatch(store, { udrs: [], charges, mediationRejects: [], ratingRejects: [], feed }, t, passthrough));
  }
  // pool rows keep their order within the insert, so of two balances with the same version (used) the later one wins
  if (r.states.length) jobs.push(writeStateChanges(store, r.states, `${token}:states`));
  if (r.pools.length) jobs.push(writePoolBalances(store, r.pools, `${token}:pools`));
  await Promise.all(jobs);
}

export interface RetryOptions {
  insertTimeoutMs: number;
  retryMaxMs: number;
  role: string;
  log: Logger;
  metrics: StreamMetrics;
  /** see writeStreamRows */
  passthrough?: boolean;
}

/**
 * Insert until ClickHouse acknowledges (same token every attempt; an insert that does not answer in time is retried).
 * Returns false when `stillOwned()` turned false before an acknowledgement (the partition moved: its new owner inserts).
 */
export async function insertUntilAcked(store: StoreClient, r: StreamRows, token: string, stillOwned: () => boolean, o: RetryOptions): Promise<boolean> {
  const counts = rowsByTable(r);
  const main = counts.find(([, n]) => n > 0)?.[0] ?? 'udrs';
  for (let attempt = 1, delay = 100; ; attempt++, delay = Math.min(delay * 2, o.retryMaxMs)) {
    if (!stillOwned()) return false;
    try {
      const t1 = performance.now();
      await withTimeout(() => writeStreamRows(store, r, token, o.passthrough), o.insertTimeoutMs);
      for (const [tb, n] of counts) {
        if (!n) continue;
        o.metrics.chInsertSeconds.observe({ table: tb }, (performance.now() - t1) / 1000);
        o.metrics.chRows.inc({ table: tb }, n);
      }
      return true;
    } catch (err) {
      const timeout = (err as Error).message.startsWith('insert timed out');
      if (timeout) r.timedOut = true;
      o.metrics.chErrors.inc({ table: main, kind: timeout ? 'timeout' : 'error' });
      if (attempt === 1 || attempt % 10 === 0) o.log.warn({ role: o.role, err: (err as Error).message, token, attempt }, 'ClickHouse insert failed; retrying with the same dedup token');
      await new Promise((res) => setTimeout(res, delay));
    }
  }
}

function withTimeout(fn: () => Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`insert timed out after ${ms} ms`)), ms);
    fn().then(() => { clearTimeout(t); resolve(); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}
