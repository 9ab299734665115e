/**
 * The rating half of a streaming batch, shared by the rate role (UDRs and service events read from the udr topic) and
 * the fused stage (UDRs mediated in the same batch, fused-role.ts): a partition's rating slot (its Raters per catalog
 * and its dedup window of rated ids), how the slot is restored from the `rating-state` changelog, and `RatingBatch`,
 * which rates one batch into the records of its transaction (rating-state changes, dedup entries, dlq.rating,
 * rating-events, billing state or rated charges) and, with `rate.store: direct`, the rows for ClickHouse.
 *
 * Direct store: the batch end is announced in the committed offset's metadata before the rows are inserted with an
 * offset-range dedup token (storeDirect); a new owner that finds an announcement cuts its first batch exactly there
 * (cutAtIntent), so a crash between the insert and the commit replays the very same rows under the same tokens.
 */
import type { Logger } from 'pino';
import type { Charge, Udr } from '../../core/types.ts';
import type { CompiledCatalog } from '../../rating/catalog.ts';
import { poolBalanceOf, stateRowToStore } from '../../billing/rating-adapter.ts';
import { Rater, type RateBatchResult, type ServiceEvent } from '../../rating/rater.ts';
import { applyChanges, emptyState } from '../../rating/state.ts';
import type { StoreClient } from '../../store/client.ts';
import type { PoolBalance } from '../../store/finance.ts';
import type { ConsumedMessage, ProducerRecord } from '../kafka/port.ts';
import type { TxnOutput } from './txn-role.ts';
import { decodeUdrs, encodePoolBalance, encodeServiceState, KIND_HEADER, KIND_POOL_BALANCE, KIND_SERVICE_STATE } from './codecs.ts';
import type { RoleContext } from './context.ts';
import { DEDUP_PREFIX, DedupWindow } from './dedup-window.ts';
import { readUntilBarriers } from './kafka-util.ts';
import { dlqRecord } from '../sinks/dlq-codec.ts';
import type { BatchCounts } from './batch-counts.ts';
import { emptyRows, insertUntilAcked, NativeRows, rowsByTable, type StreamRows } from './store-writer.ts';
import { insertFormatOf } from '../../store/ledger-native.ts';

/** committed-offset metadata of a rating group in direct mode: the batch [offset, end] is being stored */
export const RATE_INTENT_PREFIX = 'rs-rate-end:';

/** the end offset an intent metadata announces, when it is at or past the committed offset (else a stale one) */
export function intentOf(metadata: string | undefined, next: bigint): bigint | undefined {
  if (!metadata?.startsWith(RATE_INTENT_PREFIX)) return undefined;
  const end = BigInt(metadata.slice(RATE_INTENT_PREFIX.length));
  return next >= 0n && end >= next ? end : undefined;
}

/** Direct store (`rate.store: direct`): where rated rows go and how inserts are retried. */
export interface DirectStore {
  store: StoreClient;
  insertTimeoutMs: number;
  retryMaxMs: number;
  /** also produce the charges to the rated topic */
  ratedTopic: boolean;
}

/** changelog key of a rating state entry: `<catalog>|<area>/<key>` */
const SEP = '|';

/** A partition's rating state: one Rater per catalog and the window of rated ids. */
export interface RatingSlot {
  partition: number;
  raters: Map<string, Rater>;
  dedup: DedupWindow;
  /** direct store into the in-process engine: the Native blocks of its last committed batch, for the next one */
  spare?: NativeRows;
}

/**
 * UDRs rated per Rater call: a batch is rated in parts of this many (as the embedded run's steps, file-processor.ts),
 * and each part's charges go into the batch's Native blocks at once, so they die young instead of waiting for the
 * insert. Rating in parts gives what rating whole gives (test/unit/streaming/rating-batch-parts.test.ts); state changes
 * are merged per batch.
 */
export const RATE_STEP = 2048;

export function newRatingSlot(ctx: RoleContext, partition: number): RatingSlot {
  return { partition, raters: new Map(), dedup: new DedupWindow(ctx.config.rate['dedup-window']) };
}

/**
 * Rebuilds slots from the rating-state changelog: each partition is read up to the barrier its fencing transaction
 * wrote (exactly what earlier owners committed), then every catalog gets its Rater.
 */
export async function restoreRatingSlots(ctx: RoleContext, slots: ReadonlyMap<number, RatingSlot>, barriers: ReadonlyMap<number, string>, opts: { groupPrefix: string; log: Logger; role: string }): Promise<void> {
  const states = new Map<number, Map<string, ReturnType<typeof emptyState>>>();
  for (const p of slots.keys()) states.set(p, new Map());
  let n = 0;
  await readUntilBarriers(ctx.port, ctx.topics.ratingState, barriers, (partition, m) => {
    n++;
    const k = m.key?.toString() ?? '';
    const slot = slots.get(partition);
    if (!slot) return;
    if (k.startsWith(DEDUP_PREFIX)) return slot.dedup.restore(k, m.value?.toString() ?? null);
    const i = k.indexOf(SEP);
    if (i < 0) return;
    const cat = k.slice(0, i);
    const byCat = states.get(partition)!;
    let st = byCat.get(cat);
    if (!st) byCat.set(cat, (st = emptyState()));
    applyChanges(st, [{ key: k.slice(i + 1), value: m.value === null ? null : JSON.parse(m.value.toString()) }]);
  }, { groupPrefix: opts.groupPrefix, log: opts.log });
  ctx.metrics.restoredKeys.inc({ role: opts.role }, n);
  for (const [p, slot] of slots) {
    const byCat = states.get(p)!;
    for (const c of ctx.pipelines.catalogs.values()) slot.raters.set(c.name, new Rater(c, byCat.get(c.name) ?? emptyState()));
  }
}

/** the catalog a service event belongs to: the one that knows its service (or plan), else the first */
function catalogForEvent(slot: RatingSlot, ev: ServiceEvent): string {
  for (const [name, r] of slot.raters) if (r.catalog.services.has(ev.service) || r.state.services[ev.service] || (ev.plan && r.catalog.plans.has(ev.plan))) return name;
  return slot.raters.keys().next().value!;
}

/**
 * One batch's rating: UDRs (`udr`) and service events (`event`) in their order; consecutive UDRs of one catalog are
 * rated together, a service event is applied where it stands. `finish` writes the batch's pool balances and its dedup
 * entry (`dedupKey`, unique per input partition and batch). The records of the transaction are pushed to `out`; the
 * ClickHouse rows (direct store) gather in `rows`. The slot's in-memory state holds the batch from then on: if the
 * transaction fails, the slot is rebuilt from the changelog, which does not.
 */
export class RatingBatch {
  readonly rows: StreamRows = emptyRows();
  private run: Udr[] = [];
  private runCat: string | undefined;
  private keys: (Buffer | null)[] = [];
  /** the batch's rating-state changes, the last value per key (written at the end: parts of a run change a key once) */
  private readonly changes = new Map<string, Buffer | null>();
  /** the run's state changes so far (key → last value) and its newest UDR: its pool balances are taken at its end */
  private readonly runChanges = new Map<string, unknown>();
  private runAsOf = 0;
  /** the batch's latest balance per pool (`<catalog>|pools/<plan>|<owner>|<period>`), written once at the end */
  private readonly pools = new Map<string, PoolBalance>();
  /** UDRs in, counted per run of one feed (one increment per batch, mostly), not one labels object per record */
  private inFeed: string | undefined;
  private inN = 0;

  constructor(
    private readonly ctx: RoleContext,
    private readonly slot: RatingSlot,
    private readonly catalogByFeed: ReadonlyMap<string, CompiledCatalog>,
    private readonly direct: DirectStore | undefined,
    private readonly m: BatchCounts,
    private readonly out: ProducerRecord[],
    /** UDRs per Rater call (tests: Infinity rates each run whole) */
    private readonly step = RATE_STEP,
  ) {
    // the batch's ids are admitted to the slot's window as pending until finish commits them: nothing left over from
    // a batch that threw (its slot is rebuilt anyway)
    slot.dedup.discard();
    if (direct && insertFormatOf(direct.store) === 'native') {
      const n = slot.spare ?? new NativeRows();
      slot.spare = undefined;
      n.reset();
      this.rows.native = n;
    }
  }

  /**
   * after the batch's transaction committed: its Native blocks (written) serve the slot's next batch — unless an insert
   * attempt timed out, which may still be reading them
   */
  release(): void {
    if (this.rows.native && !this.rows.timedOut) this.slot.spare = this.rows.native;
  }

  /** a UDR to rate (`key`: its Kafka key when it came from the udr topic, for the rated topic) */
  udr(u: Udr, key: Buffer | null): void {
    if (this.rows.native) this.rows.native.udrs.put(u);
    else if (this.direct) this.rows.udrs.push(u);
    if (u.feed !== this.inFeed) {
      if (this.inN) this.m.recordsIn.inc({ role: 'rate', feed: this.inFeed! }, this.inN);
      this.inFeed = u.feed;
      this.inN = 0;
    }
    this.inN++;
    if (!this.slot.dedup.admitId('', u.id)) { this.m.ignored.inc({ role: 'rate', feed: u.feed, reason: 'duplicate' }); return; }
    const cat = this.catalogByFeed.get(u.feed);
    if (!cat) { this.m.ignored.inc({ role: 'rate', feed: u.feed, reason: 'no-catalog' }); return; }
    if (this.runCat !== cat.name) this.flushRun();
    this.runCat = cat.name;
    this.run.push(u);
    this.keys.push(key);
    if (this.run.length >= this.step) this.flushRun(true);
  }

  /** a service event, applied after the UDRs before it */
  event(ev: ServiceEvent, key: Buffer | null): void {
    this.flushRun();
    if (!this.slot.dedup.admitId('event\u0000', ev.id)) { this.m.ignored.inc({ role: 'rate', feed: 'service-events', reason: 'duplicate' }); return; }
    this.m.recordsIn.inc({ role: 'rate', feed: 'service-events' });
    const catName = catalogForEvent(this.slot, ev);
    const res = this.slot.raters.get(catName)!.applyServiceEvent(ev);
    const at = typeof ev.at === 'number' ? ev.at : Date.parse(ev.at);
    this.emit(catName, res, () => 'service-events', () => key);
    this.stateChanges(catName, res);
    this.poolBalances(catName, res.stateChanges.map((ch) => [ch.key, ch.value] as const), Number.isFinite(at) ? at : 0);
  }

  /** the end of the batch: the last run, pool balances, the dedup entry and its evictions */
  finish(dedupKey: string): void {
    this.flushRun();
    if (this.inN) this.m.recordsIn.inc({ role: 'rate', feed: this.inFeed! }, this.inN);
    this.inN = 0;
    const t = this.ctx.topics;
    for (const b of this.pools.values()) {
      if (this.direct) this.rows.pools.push(b);
      else this.out.push({ topic: t.billingState, key: b.poolId, value: encodePoolBalance(b), headers: { [KIND_HEADER]: KIND_POOL_BALANCE } });
    }
    if (this.pools.size) this.m.recordsOut.inc({ role: 'rate', topic: t.billingState }, this.pools.size);
    for (const [key, value] of this.changes) this.out.push({ topic: t.ratingState, partition: this.slot.partition, key, value });
    this.changes.clear();
    for (const d of this.slot.dedup.commit(dedupKey)) this.out.push({ topic: t.ratingState, partition: this.slot.partition, key: d.key, value: d.value });
  }

  /** rate the run's UDRs so far; `part`: the run goes on (its pool balances wait for its end, as of its newest UDR) */
  private flushRun(part = false): void {
    if (this.run.length) this.rateRun();
    if (part || !this.runChanges.size) return;
    this.poolBalances(this.runCat!, this.runChanges, this.runAsOf);
    this.runChanges.clear();
    this.runAsOf = 0;
  }

  private rateRun(): void {
    const catName = this.runCat!;
    const rater = this.slot.raters.get(catName)!;
    const udrs = this.run;
    const udrKeys = this.keys;
    this.run = [];
    this.keys = [];
    const res = rater.rate(udrs);
    let asOf = this.runAsOf;
    let oneFeed: string | undefined = udrs[0]!.feed;
    for (const u of udrs) {
      if (u.startTime > asOf) asOf = u.startTime;
      if (u.feed !== oneFeed) oneFeed = undefined;
    }
    this.runAsOf = asOf;
    // a charge's feed and key are its UDR's (the charge ids root at the UDR id); the maps only when they are asked
    // for: one feed per run is the rule, and keys only matter for the rated topic
    let feedByUdr: Map<string, string> | undefined;
    let keyByUdr: Map<string, Buffer | null> | undefined;
    const feedOf = oneFeed !== undefined ? () => oneFeed! : (c: Charge) => {
      feedByUdr ??= new Map(udrs.map((u) => [u.id, u.feed] as const));
      return feedByUdr.get(c.udrId) ?? udrs[0]!.feed;
    };
    this.emit(catName, res, feedOf, (c) => {
      if (!keyByUdr) {
        keyByUdr = new Map();
        for (let i = 0; i < udrs.length; i++) keyByUdr.set(udrs[i]!.id, udrKeys[i] ?? null);
      }
      return keyByUdr.get(c.udrId) ?? c.ratingKey;
    });
    this.stateChanges(catName, res);
    for (const ch of res.stateChanges) this.runChanges.set(ch.key, ch.value);
  }

  private stateChanges(catName: string, res: RateBatchResult): void {
    for (const ch of res.stateChanges) {
      const key = `${catName}${SEP}${ch.key}`;
      // a key changed again keeps its place (the order in which keys first changed, as one Rater call over the run gives)
      this.changes.set(key, ch.value === null ? null : Buffer.from(JSON.stringify(ch.value)));
    }
  }

  private emit(catName: string, res: RateBatchResult, feedOf: (c: Charge) => string, keyOf: (c: Charge) => Buffer | string | null): void {
    const { direct, rows, out, m } = this;
    const t = this.ctx.topics;
    const codecs = this.ctx.codecs;
    if (rows.native) for (const c of res.charges) rows.native.charge(c, feedOf(c));
    else if (direct) {
      for (const c of res.charges) {
        const f = feedOf(c);
        const l = rows.charges.get(f);
        if (l) l.push(c);
        else rows.charges.set(f, [c]);
      }
    }
    if (direct) for (const r of res.rejects) rows.ratingRejects.push(r);
    if (!direct || direct.ratedTopic) for (const c of res.charges) out.push({ topic: t.rated, key: keyOf(c), value: codecs.charge.encode({ ...c, feed: feedOf(c) }) });
    for (const r of res.rejects) {
      // the DLQ topic keeps the reject for replay tools in both modes (in direct mode the sink does not store it)
      out.push(dlqRecord(t.dlqRating, r, 'rating'));
      m.rejected.inc({ stage: 'rating', feed: r.feed, reason: r.reason });
    }
    for (const e of res.events) out.push({ topic: t.ratingEvents, key: e.key, value: Buffer.from(JSON.stringify({ catalog: catName, ...e })) });
    m.recordsOut.inc({ role: 'rate', topic: t.rated }, res.charges.length);
    // billing state: the service-state timeline and pool balances (what the embedded mode writes per batch)
    const catalog = this.slot.raters.get(catName)!.catalog;
    for (const r of res.stateLog) {
      const row = stateRowToStore(r, catalog.version);
      if (direct) rows.states.push(row);
      else out.push({ topic: t.billingState, key: r.service, value: encodeServiceState(row), headers: { [KIND_HEADER]: KIND_SERVICE_STATE } });
    }
    if (res.stateLog.length) m.recordsOut.inc({ role: 'rate', topic: t.billingState }, res.stateLog.length);
  }

  /** the pool balances among state changes (key → value), as of `asOf`: the batch keeps each pool's latest */
  private poolBalances(catName: string, changes: Iterable<readonly [string, unknown]>, asOf: number): void {
    const catalog = this.slot.raters.get(catName)!.catalog;
    for (const [key, value] of changes) {
      const b = poolBalanceOf(catalog, key, value, asOf);
      if (!b) continue;
      const k = `${catName}${SEP}${key}`;
      const prev = this.pools.get(k);
      if (prev && prev.asOf > b.asOf) b.asOf = prev.asOf;
      this.pools.set(k, b);
    }
  }
}

/** An input partition whose first batch after a restart may have to be cut where an earlier owner announced it. */
export interface IntentHolder {
  topic: string;
  partition: number;
  /** direct store: the end offset of a batch an earlier owner announced (it may have reached ClickHouse): cut there */
  intentEnd?: bigint;
  /** messages held back until the announced batch is complete */
  held: ConsumedMessage[];
}

/** after a restart in direct mode: the first batch is exactly the one an earlier owner announced (same dedup tokens) */
export function cutAtIntent(part: IntentHolder, msgs: ConsumedMessage[], log: Logger, role: string): ConsumedMessage[][] {
  const end = part.intentEnd;
  if (end === undefined) return [msgs];
  const all = part.held.length ? part.held.concat(msgs) : msgs;
  if (BigInt(all[all.length - 1]!.offset) < end) {
    part.held = all;
    return [];
  }
  part.held = [];
  log.info({ role, partition: `${part.topic}/${part.partition}`, from: all[0]!.offset, end: end.toString() }, 'cutting the batch an earlier owner announced (same dedup tokens)');
  let i = 0;
  while (i < all.length && BigInt(all[i]!.offset) <= end) i++;
  return i < all.length ? [all.slice(0, i), all.slice(i)] : [all];
}

/** a batch of the udr topic (UDRs and service events, in order) into `batch`, then its end (`dedupKey`) */
export async function rateUdrMessages(ctx: RoleContext, batch: RatingBatch, msgs: ConsumedMessage[], dedupKey: string): Promise<void> {
  // every UDR decoded up front: no promise per record (a writer schema not seen yet is the only await)
  const decoded = await decodeUdrs(ctx.codecs.udr, msgs);
  for (let i = 0; i < msgs.length; i++) {
    const msg = msgs[i]!;
    const u = decoded[i];
    if (u === undefined) batch.event(JSON.parse(msg.value!.toString()) as ServiceEvent, msg.key);
    else batch.udr(u, msg.key);
  }
  batch.finish(dedupKey);
}

/**
 * What a rated batch's transaction carries: its records and, with a direct store, the insert of its rows before the
 * commit (storeDirect; the announcement goes to the input partition's committed offset through `announce`).
 */
export function ratedOutput(
  ctx: RoleContext,
  direct: DirectStore | undefined,
  part: IntentHolder,
  batch: RatingBatch,
  out: ProducerRecord[],
  msgs: ConsumedMessage[],
  io: { announce: (offset: string, metadata: string) => Promise<void>; stillOwned: () => boolean; log: Logger; role: string },
): TxnOutput {
  if (!direct) return { records: out };
  const range = { first: msgs[0]!.offset, last: msgs[msgs.length - 1]!.offset };
  return {
    records: out,
    beforeCommit: () => storeDirect(ctx, direct, part, batch.rows, range, io),
    onCommitted: () => {
      part.intentEnd = undefined;
      batch.release();
    },
  };
}

/** tests only: SIGKILL this process after the n-th acknowledged direct insert, before its transaction commits */
const KILL_AFTER_STORE = Number(process.env.RATESTREAM_FAULT_KILL_AFTER_STORE ?? 0);
let storedBatches = 0;

/**
 * Direct store, before the batch's transaction: announce the batch end in the committed offset's metadata (offset
 * unchanged; unless an earlier owner announced this very batch), then insert its rows with the offset-range dedup token
 * `rate:<topic>:<partition>:<first>-<last>` until ClickHouse acknowledges. A crash after the insert and before the
 * commit re-reads the same offsets, cuts the same batch (the announcement), rates it from the same restored state and
 * inserts the same rows with the same tokens: ClickHouse drops them.
 */
export async function storeDirect(
  ctx: RoleContext,
  d: DirectStore,
  part: IntentHolder,
  rows: StreamRows,
  range: { first: string; last: string },
  io: { announce: (offset: string, metadata: string) => Promise<void>; stillOwned: () => boolean; log: Logger; role: string },
): Promise<void> {
  if (part.intentEnd === undefined) await io.announce(range.first, `${RATE_INTENT_PREFIX}${range.last}`);
  const token = `rate:${part.topic}:${part.partition}:${range.first}-${range.last}`;
  const ok = await insertUntilAcked(d.store, rows, token, io.stillOwned, { insertTimeoutMs: d.insertTimeoutMs, retryMaxMs: d.retryMaxMs, role: io.role, log: io.log, metrics: ctx.metrics, passthrough: true });
  if (!ok) throw new Error(`${io.role}: partition ${part.topic}/${part.partition} moved while storing ${token}`);
  // fault injection for the crash test (test/integration/streaming-direct-store.test.ts): die between the insert and the commit
  if (KILL_AFTER_STORE > 0 && ++storedBatches >= KILL_AFTER_STORE) process.kill(process.pid, 'SIGKILL');
  for (const [tb, n] of rowsByTable(rows)) if (n) ctx.metrics.recordsOut.inc({ role: 'rate', topic: tb }, n);
}

/** the account's rating state among slots (authorize): the slot whose state holds its balances or pools, else the first */
export function stateForAccount(slots: Iterable<RatingSlot>, account: string, catalog?: string): { rater: Rater; partition: number; found: boolean } | undefined {
  let first: { rater: Rater; partition: number } | undefined;
  for (const slot of slots) {
    for (const [name, rater] of slot.raters) {
      if (catalog !== undefined && name !== catalog) continue;
      first ??= { rater, partition: slot.partition };
      const st = rater.state;
      const bal = rater.catalog.balances;
      const keys = [bal.accounts.get(account)?.key, bal.groupOf.get(account)?.own?.key, ...(bal.groupOf.get(account)?.members ?? []).map((m) => bal.accounts.get(m)?.key)];
      if (keys.some((k) => k !== undefined && st.balances?.[k])) return { rater, partition: slot.partition, found: true };
      for (const k in st.pools) if (k.includes(`|${account}|`)) return { rater, partition: slot.partition, found: true };
    }
  }
  return first && { ...first, found: false };
}
