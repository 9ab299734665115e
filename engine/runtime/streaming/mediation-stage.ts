/**
 * The mediation half of a streaming batch, shared by the mediate role and the fused stage (fused-role.ts): per raw
 * partition a BatchDriver whose Mediator holds the start/stop pairing state and the in-run dedup window. Both are
 * persisted: the changes of a batch go to the compacted `mediation-state.<feed>` topic in the batch's transaction, and a
 * new owner of the partition reads them back (up to a barrier written when it fenced the previous owner) before
 * consuming — so a half held when a process stops, is killed or loses the partition is still there to pair
 * (pairing-state.ts), and a gateway resend after a restart or a handover is still dropped as `duplicate`
 * (mediation-dedup.ts). Rules are hot-reloaded between batches. Service events (service-events-in, JSON) are checked
 * and keyed by the service's rating key here.
 */
import type { Logger } from 'pino';
import type { Reject, Udr } from '../../core/types.ts';
import { RuleWatcher } from '../../mediation/hot-reload.ts';
import { heldRaw, type MediationBatchResult } from '../../mediation/mediator.ts';
import type { ServiceEvent } from '../../rating/rater.ts';
import type { ConsumedMessage, ProducerRecord, TopicPartition } from '../kafka/port.ts';
import { KIND_HEADER, KIND_SERVICE_EVENT } from './codecs.ts';
import type { RoleContext } from './context.ts';
import { barrierRecord, readUntilBarriers } from './kafka-util.ts';
import { MediationDedupLog } from './mediation-dedup.ts';
import { PairingStateReader, pairingStateRecords, pairingStateSpec, pairingStateTopic } from './pairing-state.ts';
import { partitionKey, type StreamPipeline } from './pipelines.ts';
import type { BatchCounts } from './batch-counts.ts';
import { BatchDriver } from '../driver.ts';
import { dlqRecord } from '../sinks/dlq-codec.ts';
import { dlqRecords } from '../sinks/dlq-topic.ts';
import { udrRecords } from '../sinks/kafka-topic.ts';
import { rawBatch } from '../sources/kafka.ts';

/** a raw (or service-events-in) partition's mediation state */
export interface MediationPart {
  topic: string;
  partition: number;
  pipeline?: StreamPipeline;
  /** the batch driver of this partition (mediation only: rating is the rate role's); its Mediator holds the state */
  driver?: BatchDriver;
  binary: boolean;
  /** the persisted dedup window's changelog entries (feeds with `dedup.window`) */
  dedup?: MediationDedupLog;
  /** the udr topic's key bytes by rating key (keys repeat: each is encoded once, not once per UDR) */
  keys: Map<string, Buffer>;
}

/** rating keys whose key bytes a partition keeps (past it the cache starts again: memory stays bounded) */
const MAX_CACHED_KEYS = 50_000;

/** feeds whose Mediator state is persisted: start/stop pairing, the dedup window */
export const persisted = (p: StreamPipeline) => p.mediation.pairing !== undefined || p.mediation.dedupWindow > 0;

export class MediationStage {
  readonly feedByTopic = new Map<string, StreamPipeline>();
  private readonly watchers: RuleWatcher[] = [];
  /** feeds whose pairing-state changelog topic exists */
  private readonly stateTopics = new Set<string>();
  /** barrier ids written by the fencing transactions, by `<changelog topic>/<partition>` */
  private readonly barriers = new Map<string, string>();
  private readonly log: Logger;

  constructor(private readonly ctx: RoleContext, private readonly groupId: string) {
    this.log = ctx.log;
    for (const p of ctx.pipelines.byFeed.values()) this.feedByTopic.set(ctx.topics.raw(p.feed), p);
  }

  /** hot reload watchers and the pairing-state changelog topics (before the role joins its group) */
  async start(): Promise<void> {
    if (this.ctx.config.mediate['hot-reload']) for (const p of this.ctx.pipelines.byFeed.values()) this.watch(p);
    for (const p of this.ctx.pipelines.byFeed.values()) if (persisted(p)) await this.ensureStateTopic(p.feed);
  }

  private stateTopic(feed: string): string {
    return pairingStateTopic(this.ctx.config.topics.prefix, feed);
  }

  /** the feed's pairing-state changelog: compacted, as many partitions as its raw topic */
  private async ensureStateTopic(feed: string): Promise<void> {
    if (this.stateTopics.has(feed)) return;
    const partitions = (await this.ctx.admin.endOffsets(this.ctx.topics.raw(feed))).length;
    const topic = this.stateTopic(feed);
    const r = await this.ctx.admin.ensureTopics([pairingStateSpec(topic, Math.max(1, partitions), this.ctx.config.topics['replication-factor'])]);
    if (r.created.length) this.log.info({ created: r.created }, 'topics created');
    this.stateTopics.add(feed);
  }

  /** partitions of a feed with pairing or dedup: a barrier in the changelog partition, written in the fencing transaction */
  fenceRecords(tp: TopicPartition): ProducerRecord[] {
    const p = this.feedByTopic.get(tp.topic);
    if (!p || !persisted(p) || !this.stateTopics.has(p.feed)) return [];
    const topic = this.stateTopic(p.feed);
    const b = barrierRecord(topic, tp.partition);
    this.barriers.set(`${topic}/${tp.partition}`, b.id);
    return [b.record];
  }

  stop(): void {
    for (const w of this.watchers.splice(0)) w.close();
  }

  /**
   * Hot reload: the pipeline's mediation rule file and everything its version depends on are watched; rules that
   * compile replace `pipeline.mediation`, and each partition's Mediator swaps to them at its next batch (never inside
   * one). Rules that do not compile (or change the parser type) are reported — log error with every problem, metric
   * ratestream_rules_reload_failing{feed} = 1 — and the last good rules stay in force.
   */
  private watch(p: StreamPipeline): void {
    const m = this.ctx.metrics;
    const log = this.log.child({ role: 'mediate', feed: p.feed });
    m.rulesReloadFailing.set({ feed: p.feed }, 0);
    for (const result of ['swapped', 'failed']) m.rulesReloads.inc({ feed: p.feed, result }, 0);
    const fail = (message: string, problems: readonly unknown[]) => {
      m.rulesReloads.inc({ feed: p.feed, result: 'failed' });
      m.rulesReloadFailing.set({ feed: p.feed }, 1);
      log.error({ file: p.mediation.file, problems, version: p.mediation.version }, `rules reload failed, keeping the last good rules: ${message}`);
    };
    const w = new RuleWatcher(p.mediation.file, {
      schemaResolver: this.ctx.pipelines.schemaResolver,
      debounceMs: this.ctx.config.mediate['reload-debounce-ms'],
      onError: (err, problems) => fail(err.message, problems.map((x) => `${x.file}:${x.line}:${x.col}: ${x.message}`)),
      onSwap: (rules) => {
        if (rules.config.parser.type !== p.mediation.config.parser.type) {
          fail(`the parser type changed (${p.mediation.config.parser.type} → ${rules.config.parser.type}); restart serve for that`, []);
          return;
        }
        const previous = p.mediation.version;
        p.mediation = rules;
        m.rulesReloads.inc({ feed: p.feed, result: 'swapped' });
        m.rulesReloadFailing.set({ feed: p.feed }, 0);
        log.info({ file: rules.file, previous, version: rules.version }, 'rules reloaded');
      },
    });
    this.watchers.push(w.start());
  }

  /** the partitions' mediation state, restored from the changelog (`fence`: what fenceRecords gave each) */
  async open<P extends MediationPart>(opened: Array<{ tp: TopicPartition; fence: ProducerRecord[] }>, make: (i: number, m: MediationPart) => P): Promise<P[]> {
    const parts = opened.map(({ tp }, i): P => {
      const pipeline = this.feedByTopic.get(tp.topic);
      return make(i, {
        ...tp, pipeline,
        driver: pipeline ? new BatchDriver(pipeline, { rate: false }) : undefined,
        binary: pipeline?.mediation.config.parser.type === 'avro',
        keys: new Map(),
      });
    });
    // pairing state and dedup window: read each changelog partition up to the barrier of its fencing transaction, then restore
    const byTopic = new Map<string, Map<number, { part: P; reader: PairingStateReader; dedup: MediationDedupLog; barrier: string }>>();
    for (const [i, o] of opened.entries()) {
      const part = parts[i]!;
      // the mediation barrier among the partition's fence records (a fused stage adds its rating-state one)
      const topic = part.pipeline ? o.fence.find((r) => this.barriers.has(`${r.topic}/${o.tp.partition}`))?.topic : undefined;
      const barrier = topic === undefined ? undefined : this.barriers.get(`${topic}/${o.tp.partition}`);
      if (topic === undefined || barrier === undefined) continue;
      let m = byTopic.get(topic);
      if (!m) byTopic.set(topic, (m = new Map()));
      m.set(o.tp.partition, { part, reader: new PairingStateReader(o.tp.partition), dedup: new MediationDedupLog(topic, o.tp.partition), barrier });
    }
    await Promise.all([...byTopic].map(async ([topic, m]) => {
      const barriers = new Map([...m].map(([p, x]) => [p, x.barrier] as const));
      await readUntilBarriers(this.ctx.port, topic, barriers, (partition, msg) => {
        const x = m.get(partition);
        if (!x) return;
        x.reader.add(msg);
        x.dedup.add(msg);
      }, { groupPrefix: this.groupId, log: this.log });
      for (const { part, reader, dedup } of m.values()) {
        this.ctx.metrics.restoredKeys.inc({ role: 'mediate' }, reader.records + dedup.records);
        if (part.pipeline!.mediation.dedupWindow > 0) {
          const mediator = part.driver!.mediator;
          mediator.trackDedup = true;
          mediator.reserveDedup();
          mediator.restoreDedup(dedup.takeIds());
          part.dedup = dedup;
          if (dedup.ids) this.log.info({ role: 'mediate', partition: `${part.topic}/${part.partition}`, ids: mediator.dedupSize }, 'dedup window restored');
        }
        const snap = reader.snapshot();
        if (snap.entries.length === 0 && snap.clock === null) continue;
        const mediation = part.pipeline!.mediation;
        const raws = snap.entries.flatMap((e) => e.value?.held ?? []).map(heldRaw);
        await mediation.parser.prepare?.(raws);
        part.driver!.mediator.restorePairing(snap);
        this.log.info({ role: 'mediate', partition: `${part.topic}/${part.partition}`, pending: part.driver!.mediator.pending, entries: reader.pending }, 'pairing state restored');
      }
    }));
    return parts;
  }

  /**
   * Mediates a raw batch: counts, the Mediator's step (rules reloaded since the last batch are swapped in first), the
   * pairing and dedup changelog records and the rejects (dlq.<feed>) pushed to `out`. The UDRs are the caller's.
   */
  async mediate(part: MediationPart, msgs: ConsumedMessage[], m: BatchCounts, out: ProducerRecord[]): Promise<MediationBatchResult> {
    const { feed } = part.pipeline!;
    // the raw wire format back to raw records: origin coordinates, framing faults, the framer's ignored lines
    const batch = rawBatch(msgs, part, feed, part.binary);
    let framed = 0;
    for (const [reason, n] of batch.ignored) { framed += n; m.ignored.inc({ role: 'mediate', feed, reason }, n); }
    m.recordsIn.inc({ role: 'mediate', feed }, batch.records.length + framed);
    const res = (await part.driver!.step(batch)).mediation;
    const t = this.ctx.topics;
    // pairing state changes: in this transaction, with the UDRs, the rejects and the offsets
    if (res.pairingChanges.length || res.pairingClock !== undefined) {
      await this.ensureStateTopic(feed); // pairing added by a hot reload
      for (const r of pairingStateRecords(this.stateTopic(feed), part.partition, res.pairingChanges, res.pairingClock)) out.push(r);
    }
    if (part.dedup && res.dedupAdded?.length) {
      for (const r of part.dedup.append(msgs[0]!.offset, res.dedupAdded, part.pipeline!.mediation.dedupWindow)) out.push(r);
    }
    // rejects go to dlq.<feed> in the same transaction as the UDRs and the input offsets: exactly once, or not at all
    for (const r of dlqRecords(res.rejects, t.dlq)) out.push(r);
    for (const [reason, n] of res.ignored) m.ignored.inc({ role: 'mediate', feed, reason }, n);
    for (const r of res.rejects) m.rejected.inc({ stage: 'mediation', feed, reason: r.reason });
    if (res.rejects.length) m.recordsOut.inc({ role: 'mediate', topic: t.dlq(feed) }, res.rejects.length);
    return res;
  }

  /** the Kafka key bytes of a rating key (keys repeat: each is encoded once per partition, not once per UDR) */
  keyOf(part: MediationPart, ratingKey: string): Buffer {
    let k = part.keys.get(ratingKey);
    if (k === undefined) {
      if (part.keys.size >= MAX_CACHED_KEYS) part.keys.clear();
      part.keys.set(ratingKey, (k = Buffer.from(partitionKey(part.pipeline?.catalog, ratingKey))));
    }
    return k;
  }

  /** UDRs to the udr topic: the batch's UDRs encoded into one Buffer (a view per record), keyed by rating key root */
  udrRecords(part: MediationPart, udrs: Udr[], m: BatchCounts, out: ProducerRecord[]): void {
    const t = this.ctx.topics;
    for (const r of udrRecords(udrs, t.udr, (us) => this.ctx.codecs.udr.encodeBatch(us), (u) => this.keyOf(part, u.ratingKey))) out.push(r);
    m.recordsOut.inc({ role: 'mediate', topic: t.udr }, udrs.length);
  }

  /** service-events-in (JSON) → the udr topic on the service's rating key, so it meets that service's usage in order */
  forwardEvents(part: MediationPart, msgs: ConsumedMessage[], m: BatchCounts): ProducerRecord[] {
    const t = this.ctx.topics;
    const out: ProducerRecord[] = [];
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
        out.push(dlqRecord(t.dlqMediation, r, 'mediation'));
        m.rejected.inc({ stage: 'mediation', feed: 'service-events', reason: 'PARSE_ERROR' });
        continue;
      }
      const key = this.eventKey(ev);
      if (key === undefined) {
        const r: Reject = { feed: 'service-events', source, reason: 'UNKNOWN_ACCOUNT', message: `service event ${ev.id}: service ${ev.service} is not in any catalog and the event names no account`, raw: text, rulesVersion: '' };
        out.push(dlqRecord(t.dlqMediation, r, 'mediation'));
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
