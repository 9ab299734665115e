/**
 * Role `sink`: udr, rated, billing-state, dlq.<feed>, dlq.mediation (service events), dlq.rating (read_committed) →
 * ClickHouse (udrs, charges, service_states + pool_balances, rejects).
 *
 * Exactly-once into ClickHouse without a distributed transaction:
 *  - batches are cut per partition by offsets and inserted with `insert_deduplication_token =
 *    sink:<topic>:<partition>:<first>-<last>[:<table>]`; the tables keep a dedup window (non_replicated_deduplication_
 *    window), so the same batch inserted twice is stored once;
 *  - before inserting [first, last], the sink commits the unchanged offset with metadata `rs-sink-end:<last>` (intent);
 *    a process that takes the partition over (after a crash, a kill, a rebalance) reads that intent and cuts exactly
 *    the same batch again → same token → dropped by ClickHouse if it had landed;
 *  - the offset after `last` is committed only once ClickHouse acknowledged the insert.
 * Backpressure: consumed rows wait in per-partition buffers; a partition whose buffer is full is paused until its
 * rows are acknowledged (ClickHouse slow or down → partitions stay paused; memory stays bounded).
 */
import type { Reject, Udr } from '../../core/types.ts';
import type { StoreClient } from '../../store/client.ts';
import type { BatchContext, ConsumedBatch, KafkaConsumer, TopicPartition } from '../kafka/port.ts';
import { type BillingStateRow, type ChargeRecord, decodeBillingState, isServiceEvent, KIND_HEADER } from './codecs.ts';
import type { RoleContext, StreamRole } from './context.ts';
import { emptyRows, insertUntilAcked, rowsByTable } from './store-writer.ts';

type Entry = { offset: bigint; udr?: Udr; charge?: ChargeRecord; reject?: Reject; state?: BillingStateRow };

interface Buffer_ {
  tp: TopicPartition;
  kind: 'udr' | 'charge' | 'state' | 'reject-mediation' | 'reject-rating';
  entries: Entry[];
  /** next offset to accept (dedups redelivered batches) */
  next: bigint;
  /** oldest buffered entry arrival (ms) */
  since: number;
  /** end offset of a batch that an earlier owner announced (must be cut there) */
  intentEnd?: bigint;
  paused: boolean;
  gen: number;
}

export const INTENT_PREFIX = 'rs-sink-end:';
const key = (t: string, p: number) => `${t}\u0000${p}`;

export interface SinkOptions {
  /** insert timeout (ms); an insert that does not answer in time is retried with the same token */
  insertTimeoutMs: number;
  batchRows: number;
  lingerMs: number;
  maxBufferedRows: number;
  retryMaxMs: number;
  /**
   * `rate.store: direct`: the rate roles store UDRs, charges, rating rejects and billing state themselves, so the sink
   * reads only the mediation DLQs (dlq.<feed>, dlq.mediation)
   */
  direct?: boolean;
}

export class SinkRole implements StreamRole {
  readonly role = 'sink';
  private consumer!: KafkaConsumer;
  private readonly buffers = new Map<string, Buffer_>();
  private running = false;
  private stopping = false;
  private opening = 0;
  private gen = 0;
  private wake?: () => void;
  private loop?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private buffered = 0;
  /** for tests and metrics: acknowledged batches */
  acked = 0;

  constructor(private readonly ctx: RoleContext, private readonly store: StoreClient, private readonly opts: SinkOptions) {}

  get groupId(): string {
    return `${this.ctx.name}.sink`;
  }

  private kindOf(topic: string): Buffer_['kind'] {
    const t = this.ctx.topics;
    if (topic === t.udr) return 'udr';
    if (topic === t.rated) return 'charge';
    if (topic === t.billingState) return 'state';
    return topic === t.dlqRating ? 'reject-rating' : 'reject-mediation';
  }

  async start(): Promise<void> {
    const t = this.ctx.topics;
    this.consumer = this.ctx.port.consumer({ groupId: this.groupId, maxWaitTimeMs: 250, maxBytesPerPartition: 1 << 20, partitionsConsumedConcurrently: 4,
      sessionTimeoutMs: this.ctx.config.kafka['session-timeout-ms'], heartbeatIntervalMs: Math.max(500, Math.floor(this.ctx.config.kafka['session-timeout-ms'] / 10)) });
    this.consumer.onPartitionsAssigned((tps) => this.open(tps));
    this.consumer.onPartitionsRevoked((tps) => this.close(tps));
    this.consumer.onCrash((err, restart) => this.ctx.log.error({ role: 'sink', err, restart }, 'consumer crashed'));
    await this.consumer.connect();
    const feedDlqs = [...this.ctx.pipelines.byFeed.keys()].map((f) => t.dlq(f));
    await this.consumer.subscribe(this.opts.direct ? [...feedDlqs, t.dlqMediation] : [t.udr, t.rated, t.billingState, ...feedDlqs, t.dlqMediation, t.dlqRating]);
    this.loop = this.flushLoop();
    this.timer = setInterval(() => this.wake?.(), Math.max(20, Math.min(this.opts.lingerMs, 250)));
    await this.consumer.run((b, c) => this.handle(b, c));
    this.running = true;
    this.ctx.log.info({ role: 'sink', group: this.groupId, store: this.store.mode }, 'role started');
  }

  ready(): boolean {
    return this.running && !this.stopping && this.opening === 0;
  }

  /** rows waiting for ClickHouse (all partitions) */
  get bufferedRows(): number {
    return this.buffered;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const all = [...this.buffers.values()].map((b) => b.tp);
    if (all.length) this.consumer.pause(all);
    this.wake?.();
    await this.loop;
    clearInterval(this.timer);
    await this.consumer?.disconnect();
    this.running = false;
  }

  private async open(tps: TopicPartition[]): Promise<void> {
    this.opening++;
    try {
      const byTopic = new Map<string, TopicPartition[]>();
      for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp]);
      for (const [topic, list] of byTopic) {
        const committed = new Map((await this.ctx.admin.committedOffsets(this.groupId, topic)).map((o) => [o.partition, o]));
        for (const tp of list) {
          const c = committed.get(tp.partition);
          const off = c && c.offset !== '-1' ? BigInt(c.offset) : -1n;
          if (off >= 0n) this.consumer.seek({ ...tp, offset: off.toString() });
          const intent = c?.metadata?.startsWith(INTENT_PREFIX) ? BigInt(c.metadata.slice(INTENT_PREFIX.length)) : undefined;
          this.buffers.set(key(tp.topic, tp.partition), { tp, kind: this.kindOf(tp.topic), entries: [], next: off, since: 0, intentEnd: intent, paused: false, gen: ++this.gen });
        }
      }
      this.ctx.metrics.assigned.set({ role: 'sink' }, this.buffers.size);
    } finally {
      this.opening--;
    }
  }

  private close(tps: TopicPartition[]): void {
    for (const tp of tps) {
      const b = this.buffers.get(key(tp.topic, tp.partition));
      if (!b) continue;
      this.buffered -= b.entries.length;
      this.buffers.delete(key(tp.topic, tp.partition));
      this.ctx.metrics.lag.remove({ role: 'sink', topic: tp.topic, partition: String(tp.partition) });
    }
    this.ctx.metrics.sinkBuffered.set(this.buffered);
    this.ctx.metrics.assigned.set({ role: 'sink' }, this.buffers.size);
    this.ctx.metrics.paused.set({ role: 'sink' }, [...this.buffers.values()].filter((b) => b.paused).length);
  }

  private perPartitionLimit(): number {
    return Math.max(1, Math.floor(this.opts.maxBufferedRows / Math.max(1, this.buffers.size)));
  }

  private async handle(batch: ConsumedBatch, c: BatchContext): Promise<void> {
    const b = this.buffers.get(key(batch.topic, batch.partition));
    if (!b) throw new Error(`sink: batch for unassigned partition ${batch.topic}/${batch.partition}`);
    if (c.isStale()) return;
    const last = batch.messages[batch.messages.length - 1]!;
    this.ctx.metrics.lag.set({ role: 'sink', topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n)));
    const codecs = this.ctx.codecs;
    const m = this.ctx.metrics;
    let added = 0;
    for (const msg of batch.messages) {
      const off = BigInt(msg.offset);
      if (off < b.next) continue;
      const e: Entry = { offset: off };
      if (msg.value !== null) {
        if (b.kind === 'udr') {
          if (!isServiceEvent(msg)) e.udr = codecs.udr.decodeSync(msg.value) ?? await codecs.udr.decode(msg.value);
        } else if (b.kind === 'charge') e.charge = await codecs.charge.decode(msg.value);
        else if (b.kind === 'state') {
          const st = decodeBillingState(msg.headers[KIND_HEADER]?.toString(), msg.value);
          if (st) e.state = st;
          else this.ctx.log.warn({ role: 'sink', topic: batch.topic, partition: batch.partition, offset: msg.offset }, 'billing-state record of an unknown kind: skipped');
        } else e.reject = JSON.parse(msg.value.toString()) as Reject;
      }
      if (b.entries.length === 0) b.since = Date.now();
      b.entries.push(e);
      b.next = off + 1n;
      added++;
    }
    if (added === 0) return;
    m.recordsIn.inc({ role: 'sink', feed: batch.topic }, added);
    this.buffered += added;
    m.sinkBuffered.set(this.buffered);
    if (!b.paused && b.entries.length >= this.perPartitionLimit()) {
      b.paused = true;
      this.consumer.pause([b.tp]);
      m.paused.set({ role: 'sink' }, [...this.buffers.values()].filter((x) => x.paused).length);
    }
    this.wake?.();
  }

  /** one batch in flight at a time: the engine (chDB) serialises inserts anyway, a server gets large batches */
  private async flushLoop(): Promise<void> {
    for (;;) {
      let did = false;
      for (const b of [...this.buffers.values()]) {
        if (this.buffers.get(key(b.tp.topic, b.tp.partition)) !== b) continue;
        const cut = this.cut(b);
        if (cut > 0) {
          await this.flush(b, cut);
          did = true;
        }
      }
      if (this.stopping && !did) return;
      if (!did) await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  /** how many entries to write now (0 = not yet) */
  private cut(b: Buffer_): number {
    const n = b.entries.length;
    if (n === 0) return 0;
    if (b.intentEnd !== undefined) {
      // an earlier owner announced [committed, intentEnd]: cut exactly there, whatever our batch size says
      const lastOff = b.entries[n - 1]!.offset;
      if (lastOff < b.intentEnd) return 0;
      let i = 0;
      while (i < n && b.entries[i]!.offset <= b.intentEnd) i++;
      return i;
    }
    if (n >= this.opts.batchRows) return this.opts.batchRows;
    if (this.stopping || b.paused || Date.now() - b.since >= this.opts.lingerMs) return n;
    return 0;
  }

  private async flush(b: Buffer_, n: number): Promise<void> {
    const m = this.ctx.metrics;
    const entries = b.entries.slice(0, n);
    const first = entries[0]!.offset;
    const last = entries[n - 1]!.offset;
    const token = `sink:${b.tp.topic}:${b.tp.partition}:${first}-${last}`;
    const gen = b.gen;
    const t0 = performance.now();
    const stillOwned = () => this.buffers.get(key(b.tp.topic, b.tp.partition))?.gen === gen;
    try {
      // 1. intent: the batch end, with the offset unchanged (the start of this batch)
      if (b.intentEnd === undefined) {
        await this.consumer.commitOffsets([{ ...b.tp, offset: first.toString(), metadata: `${INTENT_PREFIX}${last}` }]);
      }
      // 2. insert until ClickHouse acknowledges (same token every attempt)
      const rows = emptyRows();
      for (const e of entries) {
        if (e.udr) rows.udrs.push(e.udr);
        else if (e.state) {
          if (e.state.kind === 'service-state') rows.states.push(e.state.row);
          else rows.pools.push(e.state.row);
        } else if (e.charge) {
          const l = rows.charges.get(e.charge.feed);
          if (l) l.push(e.charge);
          else rows.charges.set(e.charge.feed, [e.charge]);
        } else if (e.reject) (b.kind === 'reject-mediation' ? rows.mediationRejects : rows.ratingRejects).push(e.reject);
      }
      // while ClickHouse is down every partition with rows waits (paused once its buffer is full)
      if (!(await insertUntilAcked(this.store, rows, token, stillOwned, { insertTimeoutMs: this.opts.insertTimeoutMs, retryMaxMs: this.opts.retryMaxMs, role: 'sink', log: this.ctx.log, metrics: m }))) return;
      // 3. acknowledged: commit the offset after the batch
      if (!stillOwned()) return;
      await this.consumer.commitOffsets([{ ...b.tp, offset: (last + 1n).toString(), metadata: '' }]);
      this.acked++;
      b.entries.splice(0, n);
      b.intentEnd = undefined;
      if (b.entries.length) b.since = Date.now();
      this.buffered -= n;
      m.sinkBuffered.set(this.buffered);
      for (const [tb, n] of rowsByTable(rows)) if (n) m.recordsOut.inc({ role: 'sink', topic: tb }, n);
      m.batchSeconds.observe({ role: 'sink' }, (performance.now() - t0) / 1000);
      if (b.paused && b.entries.length < this.perPartitionLimit() / 2 && !this.stopping) {
        b.paused = false;
        this.consumer.resume([b.tp]);
        m.paused.set({ role: 'sink' }, [...this.buffers.values()].filter((x) => x.paused).length);
      }
    } catch (err) {
      // offset commit failed: the partition is being reassigned; its new owner re-reads from the committed offset
      this.ctx.log.warn({ role: 'sink', err: (err as Error).message, token }, 'offset commit failed; dropping the partition buffer');
      if (stillOwned()) {
        this.close([b.tp]);
        // still ours (a transient coordinator error): start over from the committed offset and intent. The member's
        // position is already past the dropped rows: until a reopen succeeds (it seeks back) they would never be read
        // again, so a failed reopen (e.g. the broker still down) is retried while the partition stays assigned
        void this.reopen(b.tp);
      }
    }
  }

  private async reopen(tp: TopicPartition): Promise<void> {
    const assigned = () => this.consumer.assignment().some((t) => t.topic === tp.topic && t.partition === tp.partition);
    for (let delay = 500; !this.stopping && assigned() && !this.buffers.has(key(tp.topic, tp.partition)); delay = Math.min(delay * 2, this.opts.retryMaxMs)) {
      try {
        await this.open([tp]);
        return;
      } catch (err) {
        this.ctx.log.error({ role: 'sink', err, topic: tp.topic, partition: tp.partition }, 'reopening the partition failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
