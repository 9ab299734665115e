/**
 * Role `mediate`: raw.<feed> → udr (Avro, key = rating key's account-tree root) + dlq.<feed> (JSON), and
 * service-events-in → udr (JSON with header rs-kind=service-event, same key), in one transaction per raw partition.
 * The Mediator lives per raw partition. Its start/stop pairing state (pending halves, the window clock) is persisted:
 * the changes of a batch go to the compacted `mediation-state.<feed>` topic in the batch's transaction, and a new owner
 * of the partition reads them back (up to a barrier written when it fenced the previous owner) before consuming — so
 * a half held when a process stops, is killed or loses the partition is still there to pair (pairing-state.ts).
 * The in-run dedup window (`dedup.window` of the rules) is persisted the same way, in the same changelog topic
 * (mediation-dedup.ts: the ids each batch added): a gateway resend after a restart or a handover is still dropped at
 * mediation as `duplicate` (ignored), before it becomes a UDR. The rate role's own persisted window
 * (`rate.dedup-window`) stays as the second line.
 */
import type { ConsumedMessage, ProducerRecord, TopicPartition, TransactionalProducer } from '../kafka/port.ts';
import type { RoleContext } from './context.ts';
import type { BatchCounts } from './batch-counts.ts';
import { type MediationPart, MediationStage } from './mediation-stage.ts';
import { TxnRole, type TxnPartition } from './txn-role.ts';

type MediatePartition = TxnPartition & MediationPart;

export class MediateRole extends TxnRole<MediatePartition> {
  readonly role = 'mediate' as const;
  private readonly stage: MediationStage;

  constructor(ctx: RoleContext) {
    super(ctx);
    this.stage = new MediationStage(ctx, this.groupId);
  }

  override async start(): Promise<void> {
    await this.stage.start();
    await super.start();
  }

  override async stop(): Promise<void> {
    this.stage.stop();
    await super.stop();
  }

  protected override fenceRecords(tp: TopicPartition): ProducerRecord[] {
    return this.stage.fenceRecords(tp);
  }

  protected inputTopics(): string[] {
    return [...this.stage.feedByTopic.keys(), this.ctx.topics.serviceEventsIn];
  }

  protected maxBytesPerPartition(): number {
    return this.ctx.config.mediate['max-bytes-per-partition'];
  }

  /** fewer, bigger transactions when raw records trickle in: batch-bytes per raw partition, at most linger-ms late */
  protected override batching(): { minBytes: number; maxAgeMs: number } | undefined {
    const c = this.ctx.config.mediate;
    return c['batch-bytes'] > 0 ? { minBytes: c['batch-bytes'], maxAgeMs: c['linger-ms'] } : undefined;
  }

  protected createPartitions(opened: Array<{ tp: TopicPartition; producer: TransactionalProducer; next: bigint; fence: ProducerRecord[] }>): Promise<MediatePartition[]> {
    return this.stage.open(opened, (i, m) => ({ ...m, producer: opened[i]!.producer, next: opened[i]!.next }));
  }

  protected async transform(part: MediatePartition, msgs: ConsumedMessage[], m: BatchCounts): Promise<{ records: ProducerRecord[] }> {
    if (!part.pipeline) return { records: this.stage.forwardEvents(part, msgs, m) };
    const out: ProducerRecord[] = [];
    const res = await this.stage.mediate(part, msgs, m, out);
    this.stage.udrRecords(part, res.udrs, m, out);
    return { records: out };
  }
}
