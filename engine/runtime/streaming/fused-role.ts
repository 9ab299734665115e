/**
 * The fused stage (`rate.with-mediation`: serve's default `auto` runs it when the process has both the mediate and the
 * rate role, rate.store resolves to direct and the raw topics are partitioned like udr — mediation-layout.ts; `true`
 * insists on it): the mediate and rate roles in one consumer group and one transaction per input partition, for
 * deployments whose raw topics are keyed by the rating key's account (the demo gateway, and any gateway that keys by
 * subscriber): a UDR mediated from raw partition k whose key also hashes to k is rated right
 * there — no Avro encode, udr-topic produce, fetch, decode and second transaction for it.
 *
 * Inputs, one consumer group (`<name>.mediate`) with a co-partitioned assignment (partition k of every input topic
 * goes to the same member):
 *  - raw.<feed> k: mediated (mediation-stage.ts); UDRs whose rating-key partition is k are rated in slot k in the same
 *    batch (rating-stage.ts), the others are produced to the udr topic on their key, as the mediate role would;
 *  - udr k: what other raw partitions (or an HTTP / drop-directory ingest, keyed by file) and the service-event
 *    forwarding put there — rated in slot k as the rate role would;
 *  - service-events-in: checked and forwarded to the udr topic on the service's rating key (as the mediate role does).
 * Slot k (Raters per catalog, dedup window) is shared by raw.<feed> k and udr k: it is restored from `rating-state`
 * partition k once every input of the slot is fenced, its batches run one at a time, and a failed batch rebuilds the
 * whole slot. Rating state, dedup entries, direct-store tokens (`rate:<input topic>:<k>:<first>-<last>`) and intent
 * metadata (on the input's committed offset) are those of the rate role, so the same exactly-once argument holds per
 * input partition; udr inputs keep the rate role's dedup keys, raw inputs use `__dedup/<topic>@<offset>`.
 *
 * Every process of a deployment must run it alike (like `rate.store`): a separate rate role elsewhere would own the
 * same rating-state partitions and rate the udr topic a second time; serve refuses to start a process of the other
 * layout while one runs (layout-guard.ts). The udr offsets are committed in the `<name>.mediate` group; when the rate
 * group committed a udr partition further (a deployment switched to the fused stage, or back to it), its committed
 * offset is taken — and the rate role takes this group's the other way round.
 */
import type { Udr } from '../../core/types.ts';
import type { CompiledCatalog } from '../../rating/catalog.ts';
import { partitionOfKey } from '../kafka/record-batch.ts';
import type { ConsumedMessage, ConsumerOptions, ProducerRecord, TopicPartition, TransactionalProducer } from '../kafka/port.ts';
import type { BatchCounts } from './batch-counts.ts';
import type { RoleContext } from './context.ts';
import { DEDUP_PREFIX } from './dedup-window.ts';
import { barrierRecord } from './kafka-util.ts';
import { type MediationPart, MediationStage } from './mediation-stage.ts';
import { cutAtIntent, type DirectStore, intentOf, newRatingSlot, RatingBatch, ratedOutput, rateUdrMessages, type RatingSlot, restoreRatingSlots, stateForAccount } from './rating-stage.ts';
import { TxnRole, type TxnOutput, type TxnPartition } from './txn-role.ts';

interface FusedPartition extends TxnPartition, MediationPart {
  kind: 'raw' | 'udr' | 'events';
  /** raw and udr inputs: the rating slot of their partition number */
  slot?: RatingSlot;
  intentEnd?: bigint;
  held: ConsumedMessage[];
  /** raw inputs: rating key → its udr partition is this one (keys repeat; bounded like the key cache) */
  home: Map<string, boolean>;
}

const MAX_HOME_KEYS = 50_000;

export class FusedRole extends TxnRole<FusedPartition> {
  readonly role = 'mediate' as const;
  private readonly stage: MediationStage;
  private readonly catalogByFeed = new Map<string, CompiledCatalog>();
  private readonly slots = new Map<number, RatingSlot>();
  /** rating-state barrier ids of the fencing transactions, by partition */
  private readonly barriers = new Map<number, string>();
  /** udr partitions (= raw partitions: checked at start) */
  private partitions = 0;

  constructor(ctx: RoleContext, private readonly direct?: DirectStore) {
    super(ctx);
    this.stage = new MediationStage(ctx, this.groupId);
    for (const p of ctx.pipelines.byFeed.values()) if (p.catalog) this.catalogByFeed.set(p.feed, p.catalog);
  }

  override async start(): Promise<void> {
    const t = this.ctx.topics;
    this.partitions = (await this.ctx.admin.endOffsets(t.udr)).length;
    for (const topic of this.stage.feedByTopic.keys()) {
      const n = (await this.ctx.admin.endOffsets(topic)).length;
      if (n !== this.partitions) {
        throw new Error(`rate.with-mediation needs ${topic} and ${t.udr} to have the same number of partitions (${n} and ${this.partitions}): `
          + 'a raw partition is rated in the slot of the same number. Repartition the topics, or set rate.with-mediation: false');
      }
    }
    await this.stage.start();
    await super.start();
  }

  override async stop(): Promise<void> {
    this.stage.stop();
    await super.stop();
  }

  protected inputTopics(): string[] {
    return [...this.stage.feedByTopic.keys(), this.ctx.topics.udr, this.ctx.topics.serviceEventsIn];
  }

  protected override consumerOptions(): Partial<ConsumerOptions> {
    return { coPartitioned: true };
  }

  protected maxBytesPerPartition(): number {
    return this.ctx.config.mediate['max-bytes-per-partition'];
  }

  protected override batching(): { minBytes: number; maxAgeMs: number } | undefined {
    const c = this.ctx.config.mediate;
    return c['batch-bytes'] > 0 ? { minBytes: c['batch-bytes'], maxAgeMs: c['linger-ms'] } : undefined;
  }

  private kindOf(topic: string): FusedPartition['kind'] {
    return topic === this.ctx.topics.udr ? 'udr' : topic === this.ctx.topics.serviceEventsIn ? 'events' : 'raw';
  }

  protected override sharesState(): boolean {
    return true;
  }

  protected override stateKey(tp: TopicPartition): string | undefined {
    return this.kindOf(tp.topic) === 'events' ? undefined : String(tp.partition);
  }

  protected override stateGroup(part: FusedPartition): TopicPartition[] {
    if (part.kind === 'events') return [{ topic: part.topic, partition: part.partition }];
    return [...this.parts.values()].filter((p) => p.kind !== 'events' && p.partition === part.partition).map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /** raw inputs: the mediation barrier; raw and udr inputs: one rating-state barrier per slot */
  protected override fenceRecords(tp: TopicPartition): ProducerRecord[] {
    const out = this.kindOf(tp.topic) === 'raw' ? this.stage.fenceRecords(tp) : [];
    if (this.kindOf(tp.topic) !== 'events') {
      const b = barrierRecord(this.ctx.topics.ratingState, tp.partition);
      this.barriers.set(tp.partition, b.id);
      out.push(b.record);
    }
    return out;
  }

  protected async createPartitions(opened: Array<{ tp: TopicPartition; producer: TransactionalProducer; next: bigint; metadata?: string; fence: ProducerRecord[] }>): Promise<FusedPartition[]> {
    const udr = this.ctx.topics.udr;
    // a udr partition the rate group committed further than this group (or this group has none yet): the deployment ran
    // the rate role apart since — start where it stopped (the layouts never run side by side: layout-guard.ts)
    const fromRate = opened.some((o) => o.tp.topic === udr)
      ? new Map((await this.ctx.admin.committedOffsets(`${this.ctx.name}.rate`, udr)).map((o) => [o.partition, o] as const))
      : undefined;
    const fresh = new Map<number, RatingSlot>();
    const barriers = new Map<number, string>();
    const parts = await this.stage.open(opened, (i, m): FusedPartition => {
      const o = opened[i]!;
      const kind = this.kindOf(o.tp.topic);
      const { next, metadata } = kind === 'udr'
        ? this.continueFromOther(fromRate, 'the rate group', `${this.ctx.name}.rate`, o.tp, o.next, o.metadata)
        : o;
      let slot: RatingSlot | undefined;
      if (kind !== 'events') {
        if (this.slots.has(o.tp.partition) && !fresh.has(o.tp.partition)) {
          throw new Error(`rate.with-mediation: slot ${o.tp.partition} is already open here while ${o.tp.topic}/${o.tp.partition} was assigned alone — the group's assignment is not co-partitioned`);
        }
        slot = fresh.get(o.tp.partition);
        if (!slot) fresh.set(o.tp.partition, (slot = newRatingSlot(this.ctx, o.tp.partition)));
        barriers.set(o.tp.partition, this.barriers.get(o.tp.partition)!);
      }
      const intentEnd = kind === 'events' ? undefined : intentOf(metadata, next);
      return { ...m, producer: o.producer, next, kind, held: [], home: new Map(), ...(slot && { slot }), ...(this.direct && intentEnd !== undefined && { intentEnd }) };
    });
    await restoreRatingSlots(this.ctx, fresh, barriers, { groupPrefix: this.groupId, log: this.log, role: 'rate' });
    for (const [k, slot] of fresh) this.slots.set(k, slot);
    return parts;
  }

  protected override dropPartition(part: FusedPartition): void {
    if (part.slot && ![...this.parts.values()].some((p) => p.slot === part.slot)) this.slots.delete(part.partition);
  }

  protected override cut(part: FusedPartition, msgs: ConsumedMessage[]): ConsumedMessage[][] {
    return part.kind === 'events' ? [msgs] : cutAtIntent(part, msgs, this.log, 'rate');
  }

  /** the UDR's rating key hashes to this raw partition's number (its slot) */
  private isHome(part: FusedPartition, u: Udr): boolean {
    let h = part.home.get(u.ratingKey);
    if (h === undefined) {
      if (part.home.size >= MAX_HOME_KEYS) part.home.clear();
      part.home.set(u.ratingKey, (h = partitionOfKey(this.stage.keyOf(part, u.ratingKey), this.partitions) === part.partition));
    }
    return h;
  }

  protected async transform(part: FusedPartition, msgs: ConsumedMessage[], m: BatchCounts, _b: unknown, stillOwned: () => boolean): Promise<TxnOutput> {
    if (part.kind === 'events') return { records: this.stage.forwardEvents(part, msgs, m) };
    const out: ProducerRecord[] = [];
    const batch = new RatingBatch(this.ctx, part.slot!, this.catalogByFeed, this.direct, m, out);
    if (part.kind === 'raw') {
      const res = await this.stage.mediate(part, msgs, m, out);
      const away: Udr[] = [];
      for (const u of res.udrs) {
        if (this.isHome(part, u)) batch.udr(u, null);
        else away.push(u);
      }
      if (away.length) this.stage.udrRecords(part, away, m, out);
      batch.finish(`${DEDUP_PREFIX}${part.topic}@${msgs[0]!.offset}`);
    } else await rateUdrMessages(this.ctx, batch, msgs, `${DEDUP_PREFIX}${msgs[0]!.offset}`);
    return ratedOutput(this.ctx, this.direct, part, batch, out, msgs, {
      announce: (offset, metadata) => this.consumer.commitOffsets([{ topic: part.topic, partition: part.partition, offset, metadata }]),
      stillOwned, log: this.log, role: 'rate',
    });
  }

  /** the rating state an authorize call reads (as the rate role's stateFor) */
  stateFor(account: string, catalog?: string) {
    return stateForAccount(this.slots.values(), account, catalog);
  }
}
