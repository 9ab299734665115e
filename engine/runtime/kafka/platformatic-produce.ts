/**
 * The platformatic adapter's produce path (issue 10, Kafka-client per-record costs): Produce requests built from
 * record batches encoded in one Buffer each (record-batch.ts), sent on the library producer's own connections.
 * @platformatic/kafka 1.35 turns every record into a message object, a header Map, a chain of one-Buffer-per-varint
 * writers and two full copies per request, and hashes keys with BigInt murmur2; that was ≈ 20 % of the CPU of a
 * consume → produce → commit loop. The library still does everything else: metadata, connections (TLS/SASL),
 * InitProducerId, AddPartitionsToTxn (through its Transaction), EndTxn and TxnOffsetCommit.
 *
 * Idempotence: this sender keeps the producer's per-partition sequence numbers itself (the library's are advanced by
 * its own send only, which is no longer used for records). A sequence advances when the partition's batch is
 * acknowledged; a retried request carries the same batches with the same sequences, so the broker drops duplicates.
 * Callers must not have two requests of one idempotent producer in flight (the adapter queues them).
 */
import {
  type Producer,
  ProduceAcks,
  crc32c,
  kGetApi,
  kGetConnection,
  produceV9,
  produceV10,
  produceV11,
  Writer,
} from '@platformatic/kafka';
import type { Broker, ClusterMetadata, Connection } from '@platformatic/kafka';
import type { ProducerRecord, RecordMetadata } from './port.ts';
import { encodeRecordBatch, partitionOfKey } from './record-batch.ts';

type ProduceResponse = ReturnType<typeof produceV11.parseResponse>;
type ResponseParser = typeof produceV11.parseResponse;
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;
type ApiFn = ((...args: unknown[]) => void) & { version: number };
const PARSERS: Record<number, ResponseParser> = { 9: produceV9.parseResponse, 10: produceV10.parseResponse, 11: produceV11.parseResponse };
const PRODUCE_API_KEY = 0;

/** Broker errors worth sending the same batches again for (after a metadata refresh). */
const RETRIABLE_PRODUCE = /NOT_LEADER|LEADER_NOT_AVAILABLE|UNKNOWN_TOPIC_OR_PARTITION|NOT_ENOUGH_REPLICAS|REQUEST_TIMED_OUT|NETWORK_EXCEPTION|KAFKA_STORAGE_ERROR|FENCED_LEADER_EPOCH|UNKNOWN_LEADER_EPOCH|ECONNRESET|EPIPE|Connection closed|timed out/i;

export interface ProduceSendOptions {
  acks: -1 | 0 | 1;
  timeoutMs: number;
  compression: 'none' | 'gzip';
  /** the library transaction the records belong to (AddPartitionsToTxn goes through it) */
  transaction?: Transaction;
  /** (err) → the error's text incl. nested broker codes */
  errorText: (err: unknown) => string;
  /** errors the library marks retriable (connection lost, coordinator loading…), besides RETRIABLE_PRODUCE */
  isRetriable: (err: unknown) => boolean;
  retries: number;
  retryDelayMs: number;
}

interface PartitionBatch {
  topic: string;
  partition: number;
  records: ProducerRecord[];
  /** encoded once with its sequence; resent as is */
  encoded?: Buffer;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class PlatformaticProduceSender {
  private readonly sequences = new Map<string, number>();
  private sequencesOf = '';
  private api?: ApiFn;

  constructor(
    private readonly producer: Producer,
    private readonly idempotent: boolean,
    private readonly transactionalId: string | undefined,
  ) {}

  /** The Produce version the library negotiated; undefined when it is older than v9 (the library path is used). */
  async version(): Promise<number | undefined> {
    this.api ??= await new Promise<ApiFn>((res, rej) => this.producer[kGetApi]('Produce', (e, a) => (e ? rej(e) : res(a as unknown as ApiFn))));
    return PARSERS[this.api.version] ? this.api.version : undefined;
  }

  async send(records: readonly ProducerRecord[], options: ProduceSendOptions): Promise<RecordMetadata[]> {
    const version = await this.version();
    if (version === undefined) throw new Error('kafka: the broker offers no Produce version ≥ 9');
    const topicSet = new Set<string>();
    for (const r of records) topicSet.add(r.topic);
    const topics = [...topicSet];
    let metadata = await this.producer.metadata({ topics });
    // partition of every record, grouped per topic-partition in input order; a key's partition is hashed once per send
    // (keys repeat: the accounts of a batch), a topic looked up once per run of records of that topic
    const groups: PartitionBatch[] = [];
    let topic = '';
    let count = 0;
    let byPartition: PartitionBatch[] = [];
    let partitionOf = new Map<Buffer | string, number>();
    const perTopic = new Map<string, { count: number; byPartition: PartitionBatch[]; partitionOf: Map<Buffer | string, number> }>();
    for (const r of records) {
      if (r.topic !== topic) {
        topic = r.topic;
        let t = perTopic.get(topic);
        if (!t) {
          const n = metadata.topics.get(topic)?.partitionsCount;
          if (!n) throw new Error(`kafka: unknown topic ${topic}`);
          perTopic.set(topic, (t = { count: n, byPartition: [], partitionOf: new Map() }));
        }
        ({ count, byPartition, partitionOf } = t);
      }
      let partition: number;
      if (r.partition !== undefined) partition = r.partition % count;
      else if (r.key === null) partition = 0;
      else {
        const known = partitionOf.get(r.key);
        if (known !== undefined) partition = known;
        else partitionOf.set(r.key, (partition = partitionOfKey(typeof r.key === 'string' ? Buffer.from(r.key) : r.key, count)));
      }
      let g = byPartition[partition];
      if (!g) groups.push((g = byPartition[partition] = { topic, partition, records: [] }));
      g.records.push(r);
    }
    const batches = groups;
    if (options.transaction) {
      const added = batches.map((b) => ({ topic: b.topic, partition: b.partition }));
      await options.transaction.addPartitions(metadata, added as unknown as Parameters<Transaction['addPartitions']>[1]);
    }
    // producer id, epoch and the sequences that go with them
    let producerId = -1n;
    let producerEpoch = -1;
    if (this.idempotent || this.transactionalId) {
      if (this.producer.producerId === undefined) {
        // a transactional producer gets its id from begin() (InitProducerId with -1/-1, see the adapter)
        if (this.transactionalId) throw new Error(`kafka: transactional producer ${this.transactionalId} sends outside a transaction`);
        await this.producer.initIdempotentProducer({});
      }
      producerId = this.producer.producerId!;
      producerEpoch = this.producer.producerEpoch!;
      const owner = `${producerId}:${producerEpoch}`;
      if (owner !== this.sequencesOf) {
        this.sequences.clear();
        this.sequencesOf = owner;
      }
    }
    const now = Date.now();
    for (const b of batches) {
      b.encoded = encodeRecordBatch(b.records, {
        producerId,
        producerEpoch,
        baseSequence: producerId >= 0n ? (this.sequences.get(`${b.topic}:${b.partition}`) ?? 0) : -1,
        transactional: this.transactionalId !== undefined,
        compression: options.compression,
        now,
        crc32c: (data) => crc32c(data),
      });
    }
    const out: RecordMetadata[] = [];
    let pending = batches;
    for (let attempt = 0; ; attempt++) {
      const failed: Array<{ batch: PartitionBatch; error: unknown }> = [];
      const byLeader = new Map<number, PartitionBatch[]>();
      for (const b of pending) {
        const leader = metadata.topics.get(b.topic)?.partitions[b.partition]?.leader;
        if (leader === undefined || leader < 0) {
          failed.push({ batch: b, error: new Error(`LEADER_NOT_AVAILABLE for ${b.topic}/${b.partition}`) });
          continue;
        }
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(b);
      }
      await Promise.all(
        [...byLeader].map(async ([leader, list]) => {
          try {
            const response = await this.request(metadata, leader, list, version, options);
            for (const b of list) this.acknowledged(b, response, out);
          } catch (err) {
            const response = (err as { response?: ProduceResponse }).response;
            for (const b of list) {
              const p = response?.responses.find((t) => t.name === b.topic)?.partitionResponses.find((x) => x.index === b.partition);
              if (p && p.errorCode === 0) this.acknowledged(b, response!, out);
              else failed.push({ batch: b, error: err });
            }
          }
        }),
      );
      if (failed.length === 0) return out;
      const fatal = failed.find((f) => !RETRIABLE_PRODUCE.test(options.errorText(f.error)) && !options.isRetriable(f.error));
      if (fatal || attempt >= options.retries) throw fatal?.error ?? failed[0]!.error;
      await sleep(options.retryDelayMs);
      metadata = await this.producer.metadata({ topics, forceUpdate: true });
      pending = failed.map((f) => f.batch);
    }
  }

  private acknowledged(b: PartitionBatch, response: ProduceResponse | undefined, out: RecordMetadata[]): void {
    const k = `${b.topic}:${b.partition}`;
    if (this.sequencesOf) this.sequences.set(k, (this.sequences.get(k) ?? 0) + b.records.length);
    const p = response?.responses.find((t) => t.name === b.topic)?.partitionResponses.find((x) => x.index === b.partition);
    out.push(p ? { topic: b.topic, partition: b.partition, baseOffset: p.baseOffset.toString() } : { topic: b.topic, partition: b.partition });
  }

  private async request(metadata: ClusterMetadata, leader: number, list: PartitionBatch[], version: number, options: ProduceSendOptions): Promise<ProduceResponse | undefined> {
    const broker = metadata.brokers.get(leader);
    if (!broker) throw new Error(`LEADER_NOT_AVAILABLE: broker ${leader} unknown`);
    const connection = await new Promise<Connection>((res, rej) => this.producer[kGetConnection](broker as Broker, (e, c) => (e ? rej(e) : res(c!))));
    const byTopic = new Map<string, PartitionBatch[]>();
    for (const b of list) {
      let t = byTopic.get(b.topic);
      if (!t) byTopic.set(b.topic, (t = []));
      t.push(b);
    }
    const createPayload = () => {
      const w = Writer.create()
        .appendString(this.transactionalId ?? null)
        .appendInt16(options.acks)
        .appendInt32(options.timeoutMs)
        .appendArray([...byTopic], (w, [topic, parts]) => {
          w.appendString(topic).appendArray(parts, (w, p) => {
            w.appendInt32(p.partition).appendUnsignedVarInt(p.encoded!.length + 1).append(p.encoded!);
          });
        })
        .appendTaggedFields();
      if (options.acks === ProduceAcks.NO_RESPONSE) w.context.noResponse = true;
      return w;
    };
    return new Promise<ProduceResponse | undefined>((res, rej) =>
      connection.send(PRODUCE_API_KEY, version, createPayload, PARSERS[version]!, true, true, (e: Error | null, r: unknown) =>
        e ? rej(e) : res(r as ProduceResponse | undefined),
      ),
    );
  }
}
