/**
 * Role `rate`: udr (UDRs and service events, keyed by rating key) → dlq.rating + rating-events + the rating-state
 * changelog, in one transaction per udr partition, and the rated rows:
 *  - `rate.store: direct`: UDRs, charges, rating rejects, service-state rows and pool balances go straight to
 *    ClickHouse before the transaction (store-writer.ts; offset-range dedup tokens, the batch end announced in the
 *    committed offset's metadata — see store() and cut()); `rated` only when `rate.rated-topic` asks for it;
 *  - `rate.store: topics`: rated (Avro charges) + billing-state (for the sink) in the transaction.
 *
 * Per-partition state (per catalog: pools, service states, bill-on-first-use counters, period tiers, contract
 * counters — the Rater's serialisable RatingState — plus the dedup window of rated ids) is written to the compacted
 * `rating-state` topic, partition = the udr partition, in the same transaction as the charges and the offsets. On
 * assignment the fencing transaction writes a barrier to that changelog partition; the state is rebuilt by reading
 * the partition up to the barrier, i.e. exactly what the previous owner committed.
 *
 * Billing state: every service-state log row of the batch (as the embedded mode writes it: stateRowToStore) and, per
 * pool the batch touched, one pool-balance row (poolBalanceOf: version = used; as-of = the latest usage time among the
 * UDRs rated with it in this batch) go to `billing-state` in the same transaction, so the sink writes them exactly
 * once (offset-range dedup tokens) — replays of an aborted batch never reach it.
 */
import type { Charge, Udr } from '../../core/types.ts';
import type { CompiledCatalog } from '../../rating/catalog.ts';
import { poolBalanceOf, stateRowToStore } from '../../billing/rating-adapter.ts';
import { Rater, type RateBatchResult, type ServiceEvent } from '../../rating/rater.ts';
import { applyChanges, emptyState } from '../../rating/state.ts';
import type { StoreClient } from '../../store/client.ts';
import type { PoolBalance } from '../../store/finance.ts';
import type { ConsumedMessage, ProducerRecord, TopicPartition, TransactionalProducer } from '../kafka/port.ts';
import { decodeUdrs, encodePoolBalance, encodeServiceState, KIND_HEADER, KIND_POOL_BALANCE, KIND_SERVICE_STATE } from './codecs.ts';
import type { RoleContext } from './context.ts';
import { DEDUP_PREFIX, DedupWindow, idHash } from './dedup-window.ts';
import { barrierRecord, readUntilBarriers } from './kafka-util.ts';
import { dlqRecord } from '../sinks/dlq-codec.ts';
import type { BatchCounts } from './batch-counts.ts';
import { emptyRows, insertUntilAcked, rowsByTable, type StreamRows } from './store-writer.ts';
import { TxnRole, type TxnOutput, type TxnPartition } from './txn-role.ts';

/** the end offset an intent metadata announces, when it is at or past the committed offset (else a stale one) */
function intentOf(metadata: string | undefined, next: bigint): bigint | undefined {
  if (!metadata?.startsWith(RATE_INTENT_PREFIX)) return undefined;
  const end = BigInt(metadata.slice(RATE_INTENT_PREFIX.length));
  return next >= 0n && end >= next ? end : undefined;
}

interface RatePartition extends TxnPartition {
  raters: Map<string, Rater>;
  dedup: DedupWindow;
  /** direct store: the end offset of a batch an earlier owner announced (it may have reached ClickHouse): cut there */
  intentEnd?: bigint;
  /** messages held back until the announced batch is complete */
  held: ConsumedMessage[];
}

/** tests only: SIGKILL this process after the n-th acknowledged direct insert, before its transaction commits */
const KILL_AFTER_STORE = Number(process.env.RATESTREAM_FAULT_KILL_AFTER_STORE ?? 0);

/** committed-offset metadata of the rate group in direct mode: the batch [offset, end] is being stored */
export const RATE_INTENT_PREFIX = 'rs-rate-end:';

/** Direct store (`rate.store: direct`): where the rate role writes its rows and how it retries. */
export interface DirectStore {
  store: StoreClient;
  insertTimeoutMs: number;
  retryMaxMs: number;
  /** also produce the charges to the rated topic */
  ratedTopic: boolean;
}

/** changelog key of a rating state entry: `<catalog>|<area>/<key>` */
const SEP = '|';

export class RateRole extends TxnRole<RatePartition> {
  readonly role = 'rate' as const;
  private readonly catalogByFeed = new Map<string, CompiledCatalog>();
  private readonly barriers = new Map<number, string>();
  private storedBatches = 0;

  constructor(ctx: RoleContext, private readonly direct?: DirectStore) {
    super(ctx);
    for (const p of ctx.pipelines.byFeed.values()) if (p.catalog) this.catalogByFeed.set(p.feed, p.catalog);
  }

  protected inputTopics(): string[] {
    return [this.ctx.topics.udr];
  }

  protected maxBytesPerPartition(): number {
    return this.ctx.config.rate['max-bytes-per-partition'];
  }

  protected override fenceRecords(tp: TopicPartition): ProducerRecord[] {
    const b = barrierRecord(this.ctx.topics.ratingState, tp.partition);
    this.barriers.set(tp.partition, b.id);
    return [b.record];
  }

  protected async createPartitions(opened: Array<{ tp: TopicPartition; producer: TransactionalProducer; next: bigint; metadata?: string }>): Promise<RatePartition[]> {
    const parts = new Map<number, RatePartition>();
    const states = new Map<number, Map<string, ReturnType<typeof emptyState>>>();
    const barriers = new Map<number, string>();
    for (const { tp, producer, next, metadata } of opened) {
      const intentEnd = intentOf(metadata, next);
      if (intentEnd !== undefined && !this.direct) {
        this.log.error({ role: 'rate', partition: tp.partition, metadata }, 'a rate process with rate.store: direct owned this partition; every process of a deployment must use the same rate.store');
      }
      parts.set(tp.partition, { ...tp, producer, next, raters: new Map(), dedup: new DedupWindow(this.ctx.config.rate['dedup-window']), held: [],
        ...(this.direct && intentEnd !== undefined && { intentEnd }) });
      states.set(tp.partition, new Map());
      barriers.set(tp.partition, this.barriers.get(tp.partition)!);
    }
    let n = 0;
    await readUntilBarriers(this.ctx.port, this.ctx.topics.ratingState, barriers, (partition, m) => {
      n++;
      const k = m.key?.toString() ?? '';
      const part = parts.get(partition)!;
      if (k.startsWith(DEDUP_PREFIX)) return part.dedup.restore(k, m.value?.toString() ?? null);
      const i = k.indexOf(SEP);
      if (i < 0) return;
      const cat = k.slice(0, i);
      const byCat = states.get(partition)!;
      let st = byCat.get(cat);
      if (!st) byCat.set(cat, (st = emptyState()));
      applyChanges(st, [{ key: k.slice(i + 1), value: m.value === null ? null : JSON.parse(m.value.toString()) }]);
    }, { groupPrefix: this.groupId, log: this.log });
    this.ctx.metrics.restoredKeys.inc({ role: 'rate' }, n);
    for (const [p, part] of parts) {
      const byCat = states.get(p)!;
      for (const c of this.ctx.pipelines.catalogs.values()) part.raters.set(c.name, new Rater(c, byCat.get(c.name) ?? emptyState()));
    }
    return [...parts.values()];
  }

  /** after a restart in direct mode: the first batch is exactly the one an earlier owner announced (same dedup tokens) */
  protected override cut(part: RatePartition, msgs: ConsumedMessage[]): ConsumedMessage[][] {
    const end = part.intentEnd;
    if (end === undefined) return [msgs];
    const all = part.held.length ? part.held.concat(msgs) : msgs;
    if (BigInt(all[all.length - 1]!.offset) < end) {
      part.held = all;
      return [];
    }
    part.held = [];
    this.log.info({ role: 'rate', partition: part.partition, from: all[0]!.offset, end: end.toString() }, 'cutting the batch an earlier owner announced (same dedup tokens)');
    let i = 0;
    while (i < all.length && BigInt(all[i]!.offset) <= end) i++;
    return i < all.length ? [all.slice(0, i), all.slice(i)] : [all];
  }

  protected async transform(part: RatePartition, msgs: ConsumedMessage[], m: BatchCounts, _b: unknown, stillOwned: () => boolean): Promise<TxnOutput> {
    const t = this.ctx.topics;
    const codecs = this.ctx.codecs;
    const direct = this.direct;
    const rows = emptyRows();
    const out: ProducerRecord[] = [];
    const hashes: string[] = [];
    const batchSeen = new Set<string>();
    // consecutive UDRs of one catalog are rated together; a service event is applied where it stands in the order
    let run: Udr[] = [];
    let runCat: string | undefined;
    let keys: (Buffer | null)[] = [];
    // the batch's latest balance per pool (`<catalog>|pools/<plan>|<owner>|<period>`), written once at the end
    const pools = new Map<string, PoolBalance>();
    const emit = (catName: string, res: RateBatchResult, asOf: number, feedOf: (c: Charge) => string, keyOf: (i: number, c: Charge) => Buffer | string | null) => {
      if (direct) {
        for (const c of res.charges) {
          const f = feedOf(c);
          const l = rows.charges.get(f);
          if (l) l.push(c);
          else rows.charges.set(f, [c]);
        }
        for (const r of res.rejects) rows.ratingRejects.push(r);
      }
      if (!direct || direct.ratedTopic) res.charges.forEach((c, i) => out.push({ topic: t.rated, key: keyOf(i, c), value: codecs.charge.encode({ ...c, feed: feedOf(c) }) }));
      for (const r of res.rejects) {
        // the DLQ topic keeps the reject for replay tools in both modes (in direct mode the sink does not store it)
        out.push(dlqRecord(t.dlqRating, r, 'rating'));
        m.rejected.inc({ stage: 'rating', feed: r.feed, reason: r.reason });
      }
      for (const e of res.events) out.push({ topic: t.ratingEvents, key: e.key, value: Buffer.from(JSON.stringify({ catalog: catName, ...e })) });
      m.recordsOut.inc({ role: 'rate', topic: t.rated }, res.charges.length);
      // billing state: the service-state timeline and pool balances (what the embedded mode writes per batch)
      const catalog = part.raters.get(catName)!.catalog;
      for (const r of res.stateLog) {
        const row = stateRowToStore(r, catalog.version);
        if (direct) rows.states.push(row);
        else out.push({ topic: t.billingState, key: r.service, value: encodeServiceState(row), headers: { [KIND_HEADER]: KIND_SERVICE_STATE } });
      }
      if (res.stateLog.length) m.recordsOut.inc({ role: 'rate', topic: t.billingState }, res.stateLog.length);
      for (const ch of res.stateChanges) {
        const b = poolBalanceOf(catalog, ch.key, ch.value, asOf);
        if (!b) continue;
        const k = `${catName}${SEP}${ch.key}`;
        const prev = pools.get(k);
        if (prev && prev.asOf > b.asOf) b.asOf = prev.asOf;
        pools.set(k, b);
      }
    };
    const flushRun = () => {
      if (!run.length) return;
      const rater = part.raters.get(runCat!)!;
      const udrs = run;
      const udrKeys = keys;
      run = [];
      keys = [];
      const res = rater.rate(udrs);
      let asOf = 0;
      let oneFeed: string | undefined = udrs[0]!.feed;
      for (const u of udrs) {
        if (u.startTime > asOf) asOf = u.startTime;
        if (u.feed !== oneFeed) oneFeed = undefined;
      }
      // a charge's feed and key are its UDR's (the charge ids root at the UDR id); the maps only when they are asked
      // for: one feed per run is the rule, and keys only matter for the rated topic
      let feedByUdr: Map<string, string> | undefined;
      let keyByUdr: Map<string, Buffer | null> | undefined;
      const feedOf = oneFeed !== undefined ? () => oneFeed! : (c: Charge) => {
        feedByUdr ??= new Map(udrs.map((u) => [u.id, u.feed] as const));
        return feedByUdr.get(c.udrId) ?? udrs[0]!.feed;
      };
      emit(runCat!, res, asOf, feedOf, (_i, c) => {
        if (!keyByUdr) {
          keyByUdr = new Map();
          for (let i = 0; i < udrs.length; i++) keyByUdr.set(udrs[i]!.id, udrKeys[i] ?? null);
        }
        return keyByUdr.get(c.udrId) ?? c.ratingKey;
      });
      applyStateChanges(runCat!, res);
    };
    const applyStateChanges = (catName: string, res: RateBatchResult) => {
      for (const ch of res.stateChanges) {
        out.push({ topic: t.ratingState, partition: part.partition, key: `${catName}${SEP}${ch.key}`, value: ch.value === null ? null : Buffer.from(JSON.stringify(ch.value)) });
      }
    };
    // every UDR decoded up front: no promise per record (a writer schema not seen yet is the only await)
    const decoded = await decodeUdrs(codecs.udr, msgs);
    // UDRs in, counted per run of one feed (one increment per batch, mostly), not one labels object per record
    let inFeed: string | undefined;
    let inN = 0;
    for (let mi = 0; mi < msgs.length; mi++) {
      const msg = msgs[mi]!;
      const u = decoded[mi];
      if (u === undefined) {
        flushRun();
        const ev = JSON.parse(msg.value!.toString()) as ServiceEvent;
        const h = idHash(`event\u0000${ev.id}`);
        if (part.dedup.has(h) || batchSeen.has(h)) { m.ignored.inc({ role: 'rate', feed: 'service-events', reason: 'duplicate' }); continue; }
        batchSeen.add(h);
        hashes.push(h);
        m.recordsIn.inc({ role: 'rate', feed: 'service-events' });
        const catName = this.catalogForEvent(part, ev);
        const rater = part.raters.get(catName)!;
        const res = rater.applyServiceEvent(ev);
        const at = typeof ev.at === 'number' ? ev.at : Date.parse(ev.at);
        emit(catName, res, Number.isFinite(at) ? at : 0, () => 'service-events', () => msg.key);
        applyStateChanges(catName, res);
        continue;
      }
      if (direct) rows.udrs.push(u);
      if (u.feed !== inFeed) {
        if (inN) m.recordsIn.inc({ role: 'rate', feed: inFeed! }, inN);
        inFeed = u.feed;
        inN = 0;
      }
      inN++;
      const h = idHash(u.id);
      if (part.dedup.has(h) || batchSeen.has(h)) { m.ignored.inc({ role: 'rate', feed: u.feed, reason: 'duplicate' }); continue; }
      batchSeen.add(h);
      hashes.push(h);
      const cat = this.catalogByFeed.get(u.feed);
      if (!cat) { m.ignored.inc({ role: 'rate', feed: u.feed, reason: 'no-catalog' }); continue; }
      if (runCat !== cat.name) flushRun();
      runCat = cat.name;
      run.push(u);
      keys.push(msg.key);
    }
    flushRun();
    if (inN) m.recordsIn.inc({ role: 'rate', feed: inFeed! }, inN);
    for (const b of pools.values()) {
      if (direct) rows.pools.push(b);
      else out.push({ topic: t.billingState, key: b.poolId, value: encodePoolBalance(b), headers: { [KIND_HEADER]: KIND_POOL_BALANCE } });
    }
    if (pools.size) m.recordsOut.inc({ role: 'rate', topic: t.billingState }, pools.size);
    const dedupKey = `${DEDUP_PREFIX}${msgs[0]!.offset}`;
    // the in-memory window (like the raters' state) already holds this batch; if the transaction fails, the partition
    // is rebuilt from the changelog, which does not
    const dedupRecords = part.dedup.add(dedupKey, hashes);
    for (const d of dedupRecords) out.push({ topic: t.ratingState, partition: part.partition, key: d.key, value: d.value === null ? null : Buffer.from(d.value) });
    if (!direct) return { records: out };
    const first = msgs[0]!.offset;
    const last = msgs[msgs.length - 1]!.offset;
    return {
      records: out,
      beforeCommit: () => this.store(part, rows, first, last, stillOwned),
      onCommitted: () => { part.intentEnd = undefined; },
    };
  }

  /**
   * Direct store, before the batch's transaction: announce the batch end in the committed offset's metadata (offset
   * unchanged; unless an earlier owner announced this very batch), then insert its rows with the offset-range dedup token
   * `rate:<topic>:<partition>:<first>-<last>` until ClickHouse acknowledges. A crash after the insert and before the
   * commit re-reads the same offsets, cuts the same batch (the announcement), rates it from the same restored state and
   * inserts the same rows with the same tokens: ClickHouse drops them.
   */
  private async store(part: RatePartition, rows: StreamRows, first: string, last: string, stillOwned: () => boolean): Promise<void> {
    const d = this.direct!;
    if (part.intentEnd === undefined) {
      await this.consumer.commitOffsets([{ topic: part.topic, partition: part.partition, offset: first, metadata: `${RATE_INTENT_PREFIX}${last}` }]);
    }
    const token = `rate:${part.topic}:${part.partition}:${first}-${last}`;
    const ok = await insertUntilAcked(d.store, rows, token, stillOwned, { insertTimeoutMs: d.insertTimeoutMs, retryMaxMs: d.retryMaxMs, role: 'rate', log: this.log, metrics: this.ctx.metrics, passthrough: true });
    if (!ok) throw new Error(`rate: partition ${part.topic}/${part.partition} moved while storing ${token}`);
    // fault injection for the crash test (test/integration/streaming-direct-store.test.ts): die between the insert and the commit
    if (KILL_AFTER_STORE > 0 && ++this.storedBatches >= KILL_AFTER_STORE) process.kill(process.pid, 'SIGKILL');
    for (const [tb, n] of rowsByTable(rows)) if (n) this.ctx.metrics.recordsOut.inc({ role: 'rate', topic: tb }, n);
  }

  /**
   * The rating state an authorize call for `account` reads (authorize-http.ts): of the partition of this process
   * whose state holds the account's balances or pools (the account's rating-key partition), else — nothing of the
   * account rated here yet, or its partition is owned by another process — the first partition's (opening balances).
   */
  stateFor(account: string, catalog?: string): { rater: Rater; partition: number; found: boolean } | undefined {
    let first: { rater: Rater; partition: number } | undefined;
    for (const part of this.parts.values()) {
      for (const [name, rater] of part.raters) {
        if (catalog !== undefined && name !== catalog) continue;
        first ??= { rater, partition: part.partition };
        const st = rater.state;
        const bal = rater.catalog.balances;
        const keys = [bal.accounts.get(account)?.key, bal.groupOf.get(account)?.own?.key, ...(bal.groupOf.get(account)?.members ?? []).map((m) => bal.accounts.get(m)?.key)];
        if (keys.some((k) => k !== undefined && st.balances?.[k])) return { rater, partition: part.partition, found: true };
        for (const k in st.pools) if (k.includes(`|${account}|`)) return { rater, partition: part.partition, found: true };
      }
    }
    return first && { ...first, found: false };
  }

  private catalogForEvent(part: RatePartition, ev: ServiceEvent): string {
    for (const [name, r] of part.raters) if (r.catalog.services.has(ev.service) || r.state.services[ev.service] || (ev.plan && r.catalog.plans.has(ev.plan))) return name;
    return part.raters.keys().next().value!;
  }
}
