/**
 * Consume → transform → produce → commit in one Kafka transaction, per input partition (the base of the mediate and
 * rate roles). The input offsets go to the transaction with the member's group metadata (generation + member id): on
 * a client with KIP-447 (platformatic) a member rebalanced out cannot commit them. kafkajs cannot fence by generation,
 * and it stays selectable, so every input partition keeps its own transactional id `<name>.<role>.<topic>.<partition>`
 * (fencing the previous owner on assignment also settles its open transaction and writes the rate role's barrier):
 *  - on assignment the new owner initialises that id (fencing the previous owner and settling its open transaction),
 *    optionally writes fence records (the rate role's changelog barrier) in a first transaction, restores its state,
 *    reads the committed offset and seeks to it;
 *  - per batch: transform, send the output, sendOffsets(next offset), commit;
 *  - on failure: the transaction is aborted (or was fenced), the partition's in-memory state is thrown away and
 *    rebuilt as on assignment, and the batch is delivered again; records below the committed offset are skipped, so a
 *    commit whose acknowledgement was lost is not applied twice.
 */
import type { Logger } from 'pino';
import type { BatchContext, ConsumedBatch, ConsumedMessage, ConsumerOptions, KafkaConsumer, PartitionOffset, ProducerRecord, TopicPartition, TransactionalProducer } from '../kafka/port.ts';
import type { RoleContext, StreamRole } from './context.ts';
import { BatchCounts } from './batch-counts.ts';
import { sendChunked } from './kafka-util.ts';

export interface TxnPartition {
  topic: string;
  partition: number;
  producer: TransactionalProducer;
  /** next offset to process: records below it were committed already */
  next: bigint;
}

/** What a transform returns: the records of the batch's transaction, and hooks around its commit. */
export interface TxnOutput {
  records: ProducerRecord[];
  /** runs before the transaction begins (e.g. a ClickHouse insert with an offset-range token); throwing aborts the batch */
  beforeCommit?: () => Promise<void>;
  onCommitted?: () => void;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The messages at or after `next` (records below it were committed already). Offsets ascend within a batch, so
 * usually the first one decides (one BigInt per batch, not one per record); after a retry the batch is cut once.
 */
export function uncommitted(messages: ConsumedMessage[], next: bigint): ConsumedMessage[] {
  if (next < 0n || messages.length === 0 || BigInt(messages[0]!.offset) >= next) return messages;
  let i = 1;
  while (i < messages.length && BigInt(messages[i]!.offset) < next) i++;
  return messages.slice(i);
}

export abstract class TxnRole<P extends TxnPartition> implements StreamRole {
  abstract readonly role: 'mediate' | 'rate';
  protected consumer!: KafkaConsumer;
  protected readonly parts = new Map<string, P>();
  private opening = 0;
  private running = false;
  private stopping = false;
  protected readonly log: Logger;

  constructor(protected readonly ctx: RoleContext) {
    this.log = ctx.log;
  }

  get groupId(): string {
    return `${this.ctx.name}.${this.role}`;
  }

  protected abstract inputTopics(): string[];
  protected abstract maxBytesPerPartition(): number;
  /** gather a partition's fetches into batches of at least `minBytes` or `maxAgeMs` old (none: every fetch is a batch) */
  protected batching(): { minBytes: number; maxAgeMs: number } | undefined {
    return undefined;
  }
  /** further consumer options of the role's group (e.g. a co-partitioned assignment) */
  protected consumerOptions(): Partial<ConsumerOptions> {
    return {};
  }
  /** records to write in the fencing transaction (e.g. a changelog barrier); none = the fence transaction is aborted */
  protected fenceRecords(_tp: TopicPartition): ProducerRecord[] {
    return [];
  }
  /** build the partition's in-memory state (after fencing); `fenced` holds what fenceRecords returned per partition */
  protected abstract createPartitions(opened: Array<{ tp: TopicPartition; producer: TransactionalProducer; next: bigint; metadata?: string; fence: ProducerRecord[] }>): Promise<P[]>;
  /**
   * transform a batch: the records to produce (state changes included) and a commit hook for in-memory bookkeeping;
   * record counts go to `counts`, applied only when the batch's transaction commits (a retried batch counts once)
   */
  protected abstract transform(part: P, messages: ConsumedMessage[], counts: BatchCounts, batch: ConsumedBatch, stillOwned: () => boolean): Promise<TxnOutput>;
  protected dropPartition(_part: P): void {}

  /**
   * Switching layouts (layout-guard.ts: they never run side by side): where the other layout's udr consumer group
   * (`otherGroup`, its committed offsets of the udr topic in `other`) got further on partition `tp` than this group's
   * `next`, continue from there — seek, and its offset and intent metadata; else `next` and `metadata` as they are.
   */
  protected continueFromOther(other: ReadonlyMap<number, PartitionOffset> | undefined, label: string, otherGroup: string, tp: TopicPartition, next: bigint, metadata: string | undefined): { next: bigint; metadata?: string } {
    const later = other?.get(tp.partition);
    if (!later || later.offset === '-1' || BigInt(later.offset) <= next) return { next, metadata };
    this.consumer.seek({ ...tp, offset: later.offset });
    this.log.info({ role: this.role, partition: `${tp.topic}/${tp.partition}`, offset: later.offset }, `udr partition continues from ${label}'s committed offset (group ${otherGroup})`);
    return { next: BigInt(later.offset), metadata: later.metadata };
  }
  /**
   * true when input partitions share in-memory state (the fused stage: a raw partition and the udr partition of the
   * same number rate into one slot): fence records are written after every partition of an assignment is fenced, a
   * failed batch rebuilds every partition of its state (`stateGroup`), and batches of one state run one at a time
   */
  protected sharesState(): boolean {
    return false;
  }
  /** the open input partitions whose state a batch of `part` touches (itself included) */
  protected stateGroup(part: P): TopicPartition[] {
    return [{ topic: part.topic, partition: part.partition }];
  }
  /** batches of partitions that share state run one after another: the key of that state (by topic-partition: known
   * while the partition is being rebuilt too) */
  protected stateKey(_tp: TopicPartition): string | undefined {
    return undefined;
  }
  /**
   * the batches to process now, in order, from the fetched messages (default: all of them as one); a role that must
   * cut its batches at given offsets (the rate role after a restart) may hold messages back until the next fetch
   */
  protected cut(_part: P, messages: ConsumedMessage[]): ConsumedMessage[][] {
    return [messages];
  }

  async start(): Promise<void> {
    const lg = this.log.child({ role: this.role });
    const batching = this.batching();
    this.consumer = this.ctx.port.consumer({
      groupId: this.groupId,
      maxBytesPerPartition: this.maxBytesPerPartition(),
      // bigger batches = fewer transactions (each costs several broker round trips), within a latency bound
      maxWaitTimeMs: this.ctx.config.kafka['fetch-linger-ms'],
      minBytes: this.ctx.config.kafka['fetch-min-bytes'],
      partitionsConsumedConcurrently: 2,
      ...(batching ? { batchMinBytes: batching.minBytes, batchMaxAgeMs: batching.maxAgeMs } : {}),
      ...this.consumerOptions(),
      sessionTimeoutMs: this.ctx.config.kafka['session-timeout-ms'],
      heartbeatIntervalMs: Math.max(500, Math.floor(this.ctx.config.kafka['session-timeout-ms'] / 10)),
    });
    this.consumer.onPartitionsAssigned((tps) => this.open(tps));
    this.consumer.onPartitionsRevoked((tps) => this.close(tps, 'revoked'));
    this.consumer.onCrash((error, restart) => lg.error({ err: error, restart }, 'consumer crashed'));
    for (const reason of ['fenced', 'error']) this.ctx.metrics.txAborts.inc({ role: this.role, reason }, 0);
    await this.consumer.connect();
    await this.consumer.subscribe(this.inputTopics());
    await this.consumer.run((b, c) => this.handle(b, c));
    this.running = true;
    lg.info({ topics: this.inputTopics(), group: this.groupId }, 'role started');
  }

  ready(): boolean {
    return this.running && !this.stopping && this.opening === 0;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // kafkajs lets the batch in hand finish (its transaction commits), then leaves the group; revocation closes producers
    await this.consumer?.disconnect();
    this.running = false;
  }

  private async open(tps: TopicPartition[]): Promise<void> {
    this.opening++;
    const t0 = performance.now();
    try {
      // initialising each transactional id fences its previous owner and settles its open transaction; the fence
      // records (changelog barriers) are written only once every partition of the call is fenced: a state shared by
      // several input partitions (the fused stage's slot) sees no commit of a previous owner after its barrier
      const fenced = await Promise.all(tps.map(async (tp) => {
        const producer = this.ctx.port.transactionalProducer({ transactionalId: `${this.ctx.name}.${this.role}.${tp.topic}.${tp.partition}`, transactionTimeoutMs: 60_000 });
        await producer.connect();
        const fence = this.fenceRecords(tp);
        const tx = await producer.begin();
        if (fence.length && !this.sharesState()) {
          await tx.send(fence);
          await tx.commit();
        } else await tx.abort();
        return { tp, producer, fence };
      }));
      const opened = this.sharesState()
        ? await Promise.all(fenced.map(async (o) => {
          if (o.fence.length) {
            const tx = await o.producer.begin();
            await tx.send(o.fence);
            await tx.commit();
          }
          return o;
        }))
        : fenced;
      // committed offsets are read after the fence: they include everything the previous owner committed
      const byTopic = new Map<string, Map<number, PartitionOffset>>();
      for (const t of new Set(tps.map((x) => x.topic))) {
        byTopic.set(t, new Map((await this.ctx.admin.committedOffsets(this.groupId, t)).map((o) => [o.partition, o])));
      }
      const withOffsets = opened.map((o) => {
        const po = byTopic.get(o.tp.topic)?.get(o.tp.partition);
        const c = po?.offset ?? '-1';
        if (c !== '-1') this.consumer.seek({ ...o.tp, offset: c });
        return { ...o, next: c === '-1' ? -1n : BigInt(c), ...(po?.metadata && { metadata: po.metadata }) };
      });
      const parts = await this.createPartitions(withOffsets);
      for (const p of parts) this.parts.set(key(p.topic, p.partition), p);
      this.ctx.metrics.assigned.set({ role: this.role }, this.parts.size);
      this.ctx.metrics.restoreSeconds.observe({ role: this.role }, (performance.now() - t0) / 1000);
      this.log.info({ role: this.role, partitions: tps.map((t) => `${t.topic}/${t.partition}`), ms: Math.round(performance.now() - t0) }, 'partitions assigned');
    } finally {
      this.opening--;
    }
  }

  private async close(tps: TopicPartition[], why: string): Promise<void> {
    for (const tp of tps) {
      const p = this.parts.get(key(tp.topic, tp.partition));
      if (!p) continue;
      this.parts.delete(key(tp.topic, tp.partition));
      this.dropPartition(p);
      this.ctx.metrics.lag.remove({ role: this.role, topic: tp.topic, partition: String(tp.partition) });
      await p.producer.disconnect().catch(() => undefined);
    }
    this.ctx.metrics.assigned.set({ role: this.role }, this.parts.size);
    if (tps.length) this.log.info({ role: this.role, partitions: tps.map((t) => `${t.topic}/${t.partition}`), why }, 'partitions released');
  }

  /** per shared state: the tail of the chain of its batches */
  private readonly locks = new Map<string, Promise<void>>();

  private handle(batch: ConsumedBatch, c: BatchContext): Promise<void> {
    const sk = this.stateKey({ topic: batch.topic, partition: batch.partition });
    if (sk === undefined) return this.handleBatch(batch, c);
    const prev = this.locks.get(sk) ?? Promise.resolve();
    const run = prev.then(() => this.handleBatch(batch, c));
    const tail = run.then(() => undefined, () => undefined);
    this.locks.set(sk, tail);
    void tail.then(() => { if (this.locks.get(sk) === tail) this.locks.delete(sk); });
    return run;
  }

  private async handleBatch(batch: ConsumedBatch, c: BatchContext): Promise<void> {
    const k = key(batch.topic, batch.partition);
    const part = this.parts.get(k);
    // a batch that waited behind its slot's lock while the partition was revoked or seeked: dropped, as any stale batch
    if (c.isStale()) return;
    if (!part) throw new Error(`${this.role}: batch for unassigned partition ${batch.topic}/${batch.partition}`);
    const t0 = performance.now();
    const msgs = uncommitted(batch.messages, part.next);
    const last = batch.messages[batch.messages.length - 1]!;
    this.ctx.metrics.lag.set({ role: this.role, topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n)));
    if (msgs.length === 0) return;
    const stillOwned = () => !c.isStale() && this.parts.get(k) === part;
    let tx: Awaited<ReturnType<TransactionalProducer['begin']>> | undefined;
    try {
      for (const slice of this.cut(part, msgs)) {
        const nextOffset = (BigInt(slice[slice.length - 1]!.offset) + 1n).toString();
        const counts = new BatchCounts(this.ctx.metrics);
        const { records, beforeCommit, onCommitted } = await this.transform(part, slice, counts, batch, stillOwned);
        if (beforeCommit) await beforeCommit();
        tx = await part.producer.begin();
        await sendChunked(tx, records);
        // with the member's generation and id: a client with KIP-447 (platformatic) has the broker refuse the offsets of
        // a member rebalanced out meanwhile (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID); kafkajs sends the group id only
        await tx.sendOffsets(this.consumer.groupMetadata(), [{ topic: batch.topic, partition: batch.partition, offset: nextOffset }]);
        await tx.commit();
        tx = undefined;
        part.next = BigInt(nextOffset);
        counts.apply();
        onCommitted?.();
        this.ctx.metrics.txCommits.inc({ role: this.role });
        this.ctx.metrics.batchSeconds.observe({ role: this.role }, (performance.now() - t0) / 1000);
      }
    } catch (err) {
      const fenced = /fenc|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/i.test(`${(err as { type?: string }).type ?? ''} ${(err as Error).message}`);
      this.ctx.metrics.txAborts.inc({ role: this.role, reason: fenced ? 'fenced' : 'error' });
      this.log.warn({ role: this.role, err, topic: batch.topic, partition: batch.partition }, 'transaction failed: rebuilding the partition and retrying the batch');
      if (tx?.isActive()) await tx.abort().catch(() => undefined);
      // in-memory state may hold the failed batch: rebuild it exactly as on assignment (fence, restore, committed offset)
      const group = this.stateGroup(part);
      await this.close(group, 'transaction failed');
      if (!this.stopping) {
        const assigned = this.consumer.assignment();
        const again = group.filter((g) => assigned.some((t) => t.topic === g.topic && t.partition === g.partition));
        if (again.length) await this.open(again);
      }
      throw err;
    }
  }
}
