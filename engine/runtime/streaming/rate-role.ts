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
 * Switching from the fused stage (fused-role.ts) to the roles apart: a udr partition whose offset the fused stage's
 * group committed further than the rate group continues from there (with its intent metadata), as the fused stage
 * does the other way round.
 *
 * Billing state: every service-state log row of the batch (as the embedded mode writes it: stateRowToStore) and, per
 * pool the batch touched, one pool-balance row (poolBalanceOf: version = used; as-of = the latest usage time among the
 * UDRs rated with it in this batch) go to `billing-state` in the same transaction, so the sink writes them exactly
 * once (offset-range dedup tokens) — replays of an aborted batch never reach it.
 */
import type { CompiledCatalog } from '../../rating/catalog.ts';
import type { ConsumedMessage, ProducerRecord, TopicPartition, TransactionalProducer } from '../kafka/port.ts';
import { DEDUP_PREFIX } from './dedup-window.ts';
import type { RoleContext } from './context.ts';
import { barrierRecord } from './kafka-util.ts';
import type { BatchCounts } from './batch-counts.ts';
import { cutAtIntent, type DirectStore, intentOf, newRatingSlot, RatingBatch, ratedOutput, rateUdrMessages, type RatingSlot, restoreRatingSlots, stateForAccount } from './rating-stage.ts';
import { TxnRole, type TxnOutput, type TxnPartition } from './txn-role.ts';

export { RATE_INTENT_PREFIX, type DirectStore } from './rating-stage.ts';

interface RatePartition extends TxnPartition {
  slot: RatingSlot;
  /** direct store: the end offset of a batch an earlier owner announced (it may have reached ClickHouse): cut there */
  intentEnd?: bigint;
  /** messages held back until the announced batch is complete */
  held: ConsumedMessage[];
}

export class RateRole extends TxnRole<RatePartition> {
  readonly role = 'rate' as const;
  private readonly catalogByFeed = new Map<string, CompiledCatalog>();
  private readonly barriers = new Map<number, string>();

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
    const barriers = new Map<number, string>();
    // a udr partition the fused stage (group <name>.mediate) committed further than this group: the deployment ran the
    // fused stage since this group last did — start where it stopped (the layouts never run side by side: layout-guard.ts)
    const fusedGroup = `${this.ctx.name}.mediate`;
    const fused = new Map((await this.ctx.admin.committedOffsets(fusedGroup, this.ctx.topics.udr)).map((o) => [o.partition, o] as const));
    for (const o of opened) {
      const { tp, producer } = o;
      const { next, metadata } = this.continueFromOther(fused, 'the fused stage', fusedGroup, tp, o.next, o.metadata);
      const intentEnd = intentOf(metadata, next);
      if (intentEnd !== undefined && !this.direct) {
        this.log.error({ role: 'rate', partition: tp.partition, metadata }, 'a rate process with rate.store: direct owned this partition; every process of a deployment must use the same rate.store. '
          + 'This one uses topics: the charges it rates go to the rated topic, which a sink beside a direct rate role does not read. '
          + 'Set rate.store: topics in every process, or run this process without the rate role (--roles mediate: the rate role stays beside the sink)');
      }
      parts.set(tp.partition, { ...tp, producer, next, slot: newRatingSlot(this.ctx, tp.partition), held: [],
        ...(this.direct && intentEnd !== undefined && { intentEnd }) });
      barriers.set(tp.partition, this.barriers.get(tp.partition)!);
    }
    await restoreRatingSlots(this.ctx, new Map([...parts].map(([p, part]) => [p, part.slot] as const)), barriers, { groupPrefix: this.groupId, log: this.log, role: 'rate' });
    return [...parts.values()];
  }

  protected override cut(part: RatePartition, msgs: ConsumedMessage[]): ConsumedMessage[][] {
    return cutAtIntent(part, msgs, this.log, 'rate');
  }

  protected async transform(part: RatePartition, msgs: ConsumedMessage[], m: BatchCounts, _b: unknown, stillOwned: () => boolean): Promise<TxnOutput> {
    const out: ProducerRecord[] = [];
    const batch = new RatingBatch(this.ctx, part.slot, this.catalogByFeed, this.direct, m, out);
    await rateUdrMessages(this.ctx, batch, msgs, `${DEDUP_PREFIX}${msgs[0]!.offset}`);
    return ratedOutput(this.ctx, this.direct, part, batch, out, msgs, {
      announce: (offset, metadata) => this.consumer.commitOffsets([{ topic: part.topic, partition: part.partition, offset, metadata }]),
      stillOwned, log: this.log, role: 'rate',
    });
  }

  /**
   * The rating state an authorize call for `account` reads (authorize-http.ts): of the partition of this process
   * whose state holds the account's balances or pools (the account's rating-key partition), else — nothing of the
   * account rated here yet, or its partition is owned by another process — the first partition's (opening balances).
   */
  stateFor(account: string, catalog?: string) {
    return stateForAccount([...this.parts.values()].map((p) => p.slot), account, catalog);
  }
}
