/**
 * Role `mediate`: raw.<feed> → udr (Avro, key = rating key's account-tree root) + dlq.mediation (JSON), and
 * service-events-in → udr (JSON with header rs-kind=service-event, same key), in one transaction per raw partition.
 * The Mediator (in-run dedup and start/stop pairing) lives per raw partition in memory; a duplicate that slips past it
 * after a restart is caught by the rate role's persisted dedup window.
 */
import type { RawRecord, Reject } from '../../core/types.ts';
import { Mediator } from '../../mediation/mediator.ts';
import type { ServiceEvent } from '../../rating/rater.ts';
import type { ConsumedMessage, ProducerRecord, TopicPartition, TransactionalProducer } from '../kafka/port.ts';
import { KIND_HEADER, KIND_SERVICE_EVENT } from './codecs.ts';
import type { RoleContext } from './context.ts';
import { partitionKey, type StreamPipeline } from './pipelines.ts';
import { TxnRole, type TxnPartition } from './txn-role.ts';

interface MediatePartition extends TxnPartition {
  pipeline?: StreamPipeline;
  mediator?: Mediator;
  binary: boolean;
}

export class MediateRole extends TxnRole<MediatePartition> {
  readonly role = 'mediate' as const;
  private readonly feedByTopic = new Map<string, StreamPipeline>();

  constructor(ctx: RoleContext) {
    super(ctx);
    for (const p of ctx.pipelines.byFeed.values()) this.feedByTopic.set(ctx.topics.raw(p.feed), p);
  }

  protected inputTopics(): string[] {
    return [...this.feedByTopic.keys(), this.ctx.topics.serviceEventsIn];
  }

  protected maxBytesPerPartition(): number {
    return this.ctx.config.mediate['max-bytes-per-partition'];
  }

  protected async createPartitions(opened: Array<{ tp: TopicPartition; producer: TransactionalProducer; next: bigint }>): Promise<MediatePartition[]> {
    return opened.map(({ tp, producer, next }) => {
      const pipeline = this.feedByTopic.get(tp.topic);
      return {
        ...tp, producer, next, pipeline,
        mediator: pipeline ? new Mediator(pipeline.mediation) : undefined,
        binary: pipeline?.mediation.config.parser.type === 'avro',
      };
    });
  }

  protected async transform(part: MediatePartition, msgs: ConsumedMessage[]): Promise<{ records: ProducerRecord[] }> {
    if (!part.pipeline) return { records: this.forwardEvents(part, msgs) };
    const { feed, mediation, catalog } = part.pipeline;
    const m = this.ctx.metrics;
    const raws: RawRecord[] = [];
    let empty = 0;
    for (const msg of msgs) {
      if (msg.value === null || msg.value.length === 0) { empty++; continue; }
      const source = `${part.topic}/${part.partition}/${msg.offset}`;
      raws.push(part.binary ? { feed, source, text: '', binary: msg.value } : { feed, source, text: msg.value.toString('utf8') });
    }
    m.recordsIn.inc({ role: 'mediate', feed }, msgs.length);
    if (empty) m.ignored.inc({ role: 'mediate', feed, reason: 'empty' }, empty);
    await mediation.parser.prepare?.(raws);
    const res = part.mediator!.mediate(raws);
    const t = this.ctx.topics;
    const out: ProducerRecord[] = [];
    for (const u of res.udrs) out.push({ topic: t.udr, key: partitionKey(catalog, u.ratingKey), value: this.ctx.codecs.udr.encode(u) });
    for (const r of res.rejects) out.push(dlqRecord(t.dlqMediation, r));
    for (const [reason, n] of res.ignored) m.ignored.inc({ role: 'mediate', feed, reason }, n);
    for (const r of res.rejects) m.rejected.inc({ stage: 'mediation', feed, reason: r.reason });
    m.recordsOut.inc({ role: 'mediate', topic: t.udr }, res.udrs.length);
    if (res.rejects.length) m.recordsOut.inc({ role: 'mediate', topic: t.dlqMediation }, res.rejects.length);
    return { records: out };
  }

  /** service-events-in (JSON) → the udr topic on the service's rating key, so it meets that service's usage in order */
  private forwardEvents(part: MediatePartition, msgs: ConsumedMessage[]): ProducerRecord[] {
    const t = this.ctx.topics;
    const out: ProducerRecord[] = [];
    const m = this.ctx.metrics;
    m.recordsIn.inc({ role: 'mediate', feed: 'service-events' }, msgs.length);
    for (const msg of msgs) {
      const source = `${part.topic}/${part.partition}/${msg.offset}`;
      const text = msg.value?.toString('utf8') ?? '';
      let ev: ServiceEvent;
      try {
        ev = JSON.parse(text) as ServiceEvent;
        if (!ev || typeof ev.id !== 'string' || typeof ev.service !== 'string' || typeof ev.to !== 'string') throw new Error('needs id, service, to, at');
      } catch (e) {
        const r: Reject = { feed: 'service-events', source, reason: 'PARSE_ERROR', message: `service event: ${(e as Error).message}`, raw: text, rulesVersion: '' };
        out.push(dlqRecord(t.dlqMediation, r));
        m.rejected.inc({ stage: 'mediation', feed: 'service-events', reason: 'PARSE_ERROR' });
        continue;
      }
      const key = this.eventKey(ev);
      if (key === undefined) {
        const r: Reject = { feed: 'service-events', source, reason: 'UNKNOWN_ACCOUNT', message: `service event ${ev.id}: service ${ev.service} is not in any catalog and the event names no account`, raw: text, rulesVersion: '' };
        out.push(dlqRecord(t.dlqMediation, r));
        m.rejected.inc({ stage: 'mediation', feed: 'service-events', reason: 'UNKNOWN_ACCOUNT' });
        continue;
      }
      out.push({ topic: t.udr, key, value: Buffer.from(JSON.stringify(ev)), headers: { [KIND_HEADER]: KIND_SERVICE_EVENT, 'rs-source': source } });
    }
    m.recordsOut.inc({ role: 'mediate', topic: t.udr }, out.length);
    return out;
  }

  private eventKey(ev: ServiceEvent): string | undefined {
    for (const c of this.ctx.pipelines.catalogs.values()) {
      const account = ev.account ?? c.services.get(ev.service)?.account;
      if (account) return partitionKey(c, account);
    }
    return ev.account;
  }
}

export function dlqRecord(topic: string, r: Reject): ProducerRecord {
  return { topic, key: r.feed, value: Buffer.from(JSON.stringify(r)) };
}
