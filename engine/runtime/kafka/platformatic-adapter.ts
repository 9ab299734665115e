/**
 * KafkaPort on @platformatic/kafka 1.35 (pure TypeScript, maintained; 1.x is the last line running on Node 20).
 * Everything platformatic-specific stays in this file.
 *
 * What it uses and what it adds (see port.ts for the contract):
 * - Producer: the library's idempotent and transactional producers (InitProducerId, AddPartitionsToTxn, EndTxn,
 *   TxnOffsetCommit), but records go out through our own produce path (platformatic-produce.ts: record batches encoded
 *   in one Buffer each by record-batch.ts, sequences kept there, Produce v9–v11 on the library's connections; the
 *   library's send only when the broker offers no Produce ≥ v9). Keys are partitioned by the Java-compatible murmur2
 *   (the library's default differs from Java and kafkajs); a record without key or partition goes to partition 0, as
 *   before. A transaction that sent nothing is cancelled locally, not ended on the broker (EndTxn on an empty
 *   transaction is INVALID_TXN_STATE).
 * - TxnOffsetCommit carries the consumer's generation and member id when sendOffsets() is given groupMetadata()
 *   (KIP-447): a member rebalanced out cannot commit its input offsets any more, whatever its transactional id.
 * - Consumer: the library's group membership (join/sync/heartbeat, eager rebalancing, roundrobin assignment, or our
 *   co-partitioning one under its own protocol name with `coPartitioned`), but our own fetch loop sending Fetch
 *   requests on its own connections: the library's message stream has no per-partition
 *   pause, seek or batches, and its Consumer.fetch() crashes the process on some read_committed responses (#391).
 *   read_committed records of aborted transactions are dropped here with the standard algorithm (1.35's own filter
 *   keys aborted ranges by producer id only, so it also misses all but the last aborted transaction of a producer in
 *   one fetch).
 * - Offsets committed outside a transaction go through the OffsetCommit API directly (the library's commit() drops
 *   the offset metadata the sink relies on).
 */
import {
  Admin,
  ConnectionPool,
  Consumer,
  FetchIsolationLevels,
  FindCoordinatorKeyTypes,
  Producer,
  ResponseError,
  compatibilityPartitioner,
  compressionsAlgorithmsByBitmask,
  fetchV13,
  fetchV14,
  fetchV15,
  fetchV16,
  fetchV17,
  kGetApi,
  kGetConnection,
} from '@platformatic/kafka';
import type {
  BaseOptions,
  Broker,
  ClusterMetadata,
  Connection,
  GroupAssignment,
  GroupPartitionsAssigner,
  MessageToProduce,
  ProduceResult,
} from '@platformatic/kafka';
import { pino, type Logger } from 'pino';
import type {
  BatchContext,
  BatchHandler,
  ConsumedMessage,
  ConsumerGroupMetadata,
  ConsumerOptions,
  EnsureTopicsResult,
  GroupDescription,
  KafkaAdmin,
  KafkaConnectionOptions,
  KafkaConsumer,
  KafkaPort,
  KafkaProducer,
  KafkaTransaction,
  PartitionOffset,
  PartitionsListener,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
  SendOptions,
  TopicPartition,
  TopicPartitionOffset,
  TopicSpec,
  TransactionalProducer,
  TransactionalProducerOptions,
} from './port.ts';
import { CO_PARTITION_PROTOCOL, CO_PARTITION_VERSION, coPartitionAssign } from './co-partition.ts';
import { groupState } from './group-state.ts';
import { PlatformaticProduceSender } from './platformatic-produce.ts';
import { decodeRecordBatches } from './record-batch.ts';
import { retrying as retryWhile } from './retry.ts';

/** a Fetch response (v13–v17) whose partitions carry their record batches as the raw bytes the broker sent */
interface FetchResponse {
  responses: Array<{
    topicId: string;
    partitions: Array<{
      partitionIndex: number;
      errorCode: number;
      highWatermark: bigint;
      abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }>;
      records?: Buffer;
    }>;
  }>;
}
type ReaderLike = Parameters<typeof fetchV17.parseResponse>[3];
type FetchRequestTopics = Parameters<Consumer['fetch']>[0]['topics'];
/** the Fetch API as the library's kGetApi hands it out (sessionless: session id 0, epoch -1) */
type FetchApi = (
  connection: Connection,
  maxWaitMs: number,
  minBytes: number,
  maxBytes: number,
  isolationLevel: number,
  sessionId: number,
  sessionEpoch: number,
  topics: FetchRequestTopics,
  forgottenTopics: unknown[],
  rackId: string,
  callback: (error: Error | null, response?: FetchResponse) => void,
) => void;
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

export interface PlatformaticPortDeps {
  /** warnings and errors of the adapter go here (default: pino at warn on stdout). */
  logger?: Logger;
}

export function createPlatformaticPort(options: KafkaConnectionOptions, deps: PlatformaticPortDeps = {}): KafkaPort {
  const logger = (deps.logger ?? pino({ level: 'warn' })).child({ component: 'kafka' });
  const base = toBaseOptions(options);
  const coordinators = new GroupCoordinators(base);
  return {
    client: 'platformatic',
    fencesByGeneration: true,
    admin: () => new PlAdmin(base),
    producer: (opts) => new PlProducer(base, opts),
    transactionalProducer: (opts) => new PlTransactionalProducer(base, opts, coordinators),
    consumer: (opts) => new PlConsumer(base, opts, logger),
  };
}

// ------------------------------------------------------------------------------------------------------------------
// config

export function toBaseOptions(o: KafkaConnectionOptions): BaseOptions {
  if (o.brokers.length === 0) throw new Error('kafka: brokers must not be empty');
  const b: BaseOptions = {
    clientId: o.clientId ?? 'ratestream',
    bootstrapBrokers: [...o.brokers],
    // the library's default is 3 retries 250 ms apart: too few while a new topic's leader or a coordinator loads
    retries: o.retry?.retries ?? 10,
    retryDelay: o.retry?.initialRetryTimeMs ?? 300,
  };
  if (o.connectionTimeoutMs !== undefined) b.connectTimeout = o.connectionTimeoutMs;
  if (o.requestTimeoutMs !== undefined) b.requestTimeout = o.requestTimeoutMs;
  if (o.tls) b.tls = o.tls === true ? {} : { ...o.tls };
  if (o.sasl) {
    const mechanisms = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;
    const mechanism = mechanisms[o.sasl.mechanism];
    b.sasl = { mechanism, username: o.sasl.username, password: o.sasl.password };
  }
  return b;
}

// ------------------------------------------------------------------------------------------------------------------
// conversions

type Out = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

function toMessage(r: ProducerRecord): Out {
  const m: Out = { topic: r.topic, value: r.value as Buffer };
  if (r.key !== null) m.key = typeof r.key === 'string' ? Buffer.from(r.key) : r.key;
  if (r.partition !== undefined) m.partition = r.partition;
  if (r.headers) {
    const h = new Map<Buffer, Buffer>();
    for (const [k, v] of Object.entries(r.headers)) h.set(Buffer.from(k), typeof v === 'string' ? Buffer.from(v) : v);
    m.headers = h;
  }
  if (r.timestamp !== undefined) m.timestamp = BigInt(r.timestamp);
  return m;
}

function toRecordMetadata(res: ProduceResult): RecordMetadata[] {
  return (res.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, baseOffset: o.offset.toString() }));
}

const compression = (c: SendOptions['compression']): 'gzip' | 'none' => (c === 'gzip' ? 'gzip' : 'none');

/** Options of one send on our produce path (platformatic-produce.ts): retries as the library's own. */
function produceOptions(base: BaseOptions, acks: -1 | 0 | 1, c: 'gzip' | 'none', timeoutMs?: number) {
  return { acks, compression: c, timeoutMs: timeoutMs ?? 30_000, errorText, isRetriable, retries: typeof base.retries === 'number' ? base.retries : 10, retryDelayMs: typeof base.retryDelay === 'number' ? base.retryDelay : 300 };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retries errors the library marks retriable (leader not available, coordinator loading…) for a while. */
const retrying = <T>(fn: () => Promise<T>, timeoutMs?: number) => retryWhile(fn, isRetriable, timeoutMs);

function isRetriable(err: unknown): boolean {
  const e = err as { canRetry?: boolean; findBy?: (k: string, v: unknown) => unknown; errors?: unknown[] };
  if (e?.canRetry === true) return true;
  if (typeof e?.findBy === 'function' && e.findBy('canRetry', true)) return true;
  return /LEADER_NOT_AVAILABLE|NOT_LEADER|UNKNOWN_TOPIC_OR_PARTITION|COORDINATOR_LOAD|NOT_COORDINATOR|COORDINATOR_NOT_AVAILABLE/.test(errorText(err));
}

/** The error's message plus the codes of the broker errors it wraps (the library nests them). */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 4) return;
    const x = e as { message?: string; apiId?: string; code?: string; errors?: unknown[]; cause?: unknown };
    if (x.message) parts.push(x.message);
    if (x.apiId) parts.push(x.apiId);
    if (x.code) parts.push(x.code);
    for (const c of x.errors ?? []) walk(c, depth + 1);
    if (x.cause) walk(x.cause, depth + 1);
  };
  walk(err, 0);
  return parts.join(' ');
}

/** Wraps the library's error so the cause codes (e.g. PRODUCER_FENCED, ILLEGAL_GENERATION) are in the message. */
function described(err: unknown): Error {
  const text = errorText(err);
  const e = err instanceof Error ? err : new Error(String(err));
  if (text && text !== e.message) e.message = text;
  return e;
}

// ------------------------------------------------------------------------------------------------------------------
// group coordinators (for TxnOffsetCommit and OffsetCommit)

class GroupCoordinators {
  private admin?: Admin;
  private readonly cache = new Map<string, number>();

  constructor(private readonly base: BaseOptions) {}

  async of(groupId: string, refresh = false): Promise<number> {
    const known = this.cache.get(groupId);
    if (known !== undefined && !refresh) return known;
    this.admin ??= new Admin({ ...this.base, clientId: `${this.base.clientId}-coordinators` });
    const res = await retrying(() => this.admin!.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [groupId] }));
    const id = res.find((r) => r.key === groupId)?.nodeId;
    if (id === undefined || id < 0) throw new Error(`kafka: no coordinator for group ${groupId}`);
    this.cache.set(groupId, id);
    return id;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// admin

class PlAdmin implements KafkaAdmin {
  private readonly admin: Admin;

  constructor(base: BaseOptions) {
    this.admin = new Admin(base);
  }

  async connect(): Promise<void> {
    await this.admin.metadata({ topics: [] });
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<EnsureTopicsResult> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    for (const s of missing) {
      const configs = Object.entries({ ...s.config, ...(s.compact && { 'cleanup.policy': 'compact' }) }).map(([name, value]) => ({ name, value }));
      try {
        await this.admin.createTopics({ topics: [s.topic], partitions: s.partitions, replicas: s.replicationFactor ?? -1, configs });
      } catch (err) {
        // another process may have created it meanwhile (serve processes started together): the broker says so, or
        // lists it; anything else is a real failure. A topic still being created may not be listed yet: its leaders
        // are waited for below.
        if (!/TOPIC_ALREADY_EXISTS/.test(errorText(err)) && !(await this.admin.listTopics()).includes(s.topic)) throw described(err);
      }
    }
    // new partitions are usable once their leader answers ListOffsets for them
    for (const s of missing) await retrying(() => this.endOffsets(s.topic, s.partitions));
    const metadata = await retrying(() => this.admin.metadata({ topics: specs.map((s) => s.topic), forceUpdate: true }));
    for (const s of specs) {
      const n = metadata.topics.get(s.topic)?.partitionsCount ?? 0;
      if (n < s.partitions) throw new Error(`kafka: topic ${s.topic} has ${n} partitions, ${s.partitions} required`);
    }
    return { created: missing.map((s) => s.topic), existing: specs.filter((s) => existing.has(s.topic)).map((s) => s.topic) };
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length) await this.admin.deleteTopics({ topics: [...topics] });
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  private async partitionsOf(topic: string): Promise<number> {
    const md = await retrying(() => this.admin.metadata({ topics: [topic], forceUpdate: true }));
    const n = md.topics.get(topic)?.partitionsCount;
    if (!n) throw new Error(`kafka: unknown topic ${topic}`);
    return n;
  }

  async endOffsets(topic: string, knownPartitions?: number): Promise<PartitionOffset[]> {
    const n = knownPartitions ?? (await this.partitionsOf(topic));
    const res = await retrying(() =>
      this.admin.listOffsets({
        topics: [{ name: topic, partitions: Array.from({ length: n }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
      }),
    );
    return (res.find((t) => t.name === topic)?.partitions ?? [])
      .map((p) => ({ partition: p.partitionIndex, offset: p.offset.toString() }))
      .sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]> {
    const n = await this.partitionsOf(topic);
    const partitionIndexes = Array.from({ length: n }, (_, i) => i);
    // requireStable: wait for offsets of transactions still being completed (KIP-447)
    const res = await retrying(() => this.admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }], requireStable: true }), 30_000);
    const t = res.find((g) => g.groupId === groupId)?.topics.find((x) => x.name === topic);
    const byPartition = new Map((t?.partitions ?? []).map((p) => [p.partitionIndex, p]));
    return partitionIndexes.map((partition) => {
      const p = byPartition.get(partition);
      return { partition, offset: p ? p.committedOffset.toString() : '-1', ...(p?.metadata ? { metadata: p.metadata } : {}) };
    });
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    // the library upper-cases the broker's state name (STABLE, PREPARINGREBALANCE, …); a missing group is Dead
    const res = await retrying(() => this.admin.describeGroups({ groups: [groupId] }));
    const g = res.get(groupId);
    const state = groupState(g?.state ?? 'Dead');
    const members = [...(g?.members.values() ?? [])];
    return {
      groupId, state, ...(state === 'Stable' && g?.protocol && { protocol: g.protocol }), members: members.length,
      ...(members.length && { memberTopics: members.map((m) => m.metadata?.topics ?? []) }),
    };
  }

  disconnect(): Promise<void> {
    return this.admin.close();
  }
}

// ------------------------------------------------------------------------------------------------------------------
// producers

/** Coalesced idempotent sends stop adding calls at this many bytes (below the broker's 1 MiB message.max.bytes). */
const MAX_COALESCED_BYTES = 512 * 1024;

const recordBytes = (r: ProducerRecord) => (r.value?.length ?? 0) + (r.key?.length ?? 0);

interface QueuedSend {
  records: readonly ProducerRecord[];
  compression: 'gzip' | 'none';
  resolve: (m: RecordMetadata[]) => void;
  reject: (e: Error) => void;
}

/**
 * Idempotent producer: one Produce request in flight at a time. @platformatic/kafka 1.35 advances an idempotent
 * producer's sequence numbers only when a Produce is acknowledged, so concurrent sends reuse the same sequence and the
 * broker answers OUT_OF_ORDER_SEQUENCE_NUMBER — from then on for every send (the HTTP ingest's 503s under load). The
 * calls that arrive while a request is in flight are sent together in the next one (up to MAX_COALESCED_BYTES): one
 * request instead of many, each call resolved or failed with it. A failed send replaces the library producer (new
 * producer id, fresh sequences); the callers resend (at-least-once, as the port says for a failed send).
 */
class PlProducer implements KafkaProducer {
  private producer: Producer;
  private sender: PlatformaticProduceSender;
  private readonly idempotent: boolean;
  private readonly queue: QueuedSend[] = [];
  private draining = false;

  constructor(
    private readonly base: BaseOptions,
    opts: ProducerOptions = {},
  ) {
    this.idempotent = opts.idempotent ?? false;
    this.producer = this.create();
    this.sender = new PlatformaticProduceSender(this.producer, this.idempotent, undefined);
  }

  private create(): Producer {
    return new Producer({ ...this.base, idempotent: this.idempotent, partitioner: compatibilityPartitioner, autocreateTopics: false });
  }

  /** Our produce path (pre-encoded record batches) where the broker speaks Produce ≥ v9, else the library's send. */
  private async produce(records: readonly ProducerRecord[], acks: -1 | 0 | 1, c: 'gzip' | 'none', timeoutMs?: number): Promise<RecordMetadata[]> {
    if (await this.sender.version()) return this.sender.send(records, produceOptions(this.base, acks, c, timeoutMs));
    return toRecordMetadata(await this.producer.send({ messages: records.map(toMessage), ...(this.idempotent ? {} : { acks }), compression: c }));
  }

  async connect(): Promise<void> {
    await this.producer.metadata({ topics: [] });
  }

  async send(records: readonly ProducerRecord[], options: SendOptions = {}): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    if (!this.idempotent) {
      try {
        return await this.produce(records, options.acks ?? -1, compression(options.compression), options.timeoutMs);
      } catch (err) {
        throw described(err);
      }
    }
    // an idempotent producer takes acks=all only (it refuses an explicit other value): options.acks is not sent
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      this.queue.push({ records, compression: compression(options.compression), resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const c = this.queue[0]!.compression;
        let n = 0;
        let bytes = 0;
        while (n < this.queue.length && this.queue[n]!.compression === c && (n === 0 || bytes < MAX_COALESCED_BYTES)) {
          for (const r of this.queue[n]!.records) bytes += recordBytes(r);
          n++;
        }
        const calls = this.queue.splice(0, n);
        const records = calls.length === 1 ? calls[0]!.records : calls.flatMap((call) => call.records);
        try {
          const meta = await this.produce(records, -1, c);
          if (calls.length === 1) calls[0]!.resolve(meta);
          else {
            // sent together: the partitions of each call's topics, without a base offset of its own
            for (const call of calls) {
              const topics = new Set(call.records.map((r) => r.topic));
              call.resolve(meta.filter((m) => topics.has(m.topic)).map(({ topic, partition }) => ({ topic, partition })));
            }
          }
        } catch (err) {
          const e = described(err);
          for (const call of calls) call.reject(e);
          // the library's sequences no longer match the broker's: start over under a new producer id
          const old = this.producer;
          this.producer = this.create();
          this.sender = new PlatformaticProduceSender(this.producer, this.idempotent, undefined);
          void old.close().catch(() => undefined);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  async disconnect(): Promise<void> {
    while (this.draining || this.queue.length > 0) await sleep(10);
    await this.producer.close();
  }
}

class PlTransactionalProducer implements TransactionalProducer {
  readonly transactionalId: string;
  private readonly producer: Producer;
  private readonly sender: PlatformaticProduceSender;

  constructor(
    private readonly base: BaseOptions,
    opts: TransactionalProducerOptions,
    private readonly coordinators: GroupCoordinators,
  ) {
    this.transactionalId = opts.transactionalId;
    // the library sends `timeout` as the transaction timeout in InitProducerId (and uses it as its request timeout)
    this.producer = new Producer({
      ...base,
      transactionalId: opts.transactionalId,
      idempotent: true,
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
      timeout: opts.transactionTimeoutMs ?? 60_000,
    });
    this.sender = new PlatformaticProduceSender(this.producer, true, opts.transactionalId);
  }

  async connect(): Promise<void> {
    await this.producer.metadata({ topics: [] });
  }

  async begin(): Promise<KafkaTransaction> {
    // The first beginTransaction() runs InitProducerId: it fences any older producer with the same id.
    try {
      // InitProducerId must say "no current producer id" (-1/-1): the library sends 0/0 by default, which the broker
      // reads as "bump producer 0's epoch" and answers PRODUCER_FENCED once the transactional id has any history (a
      // second instance, e.g. the new owner of a partition, could never initialise it)
      const tx = await this.producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
      const viaSender = (await this.sender.version()) !== undefined;
      return new PlTransaction(tx, this.coordinators, viaSender ? { sender: this.sender, base: this.base } : undefined);
    } catch (err) {
      // the library keeps the transaction it failed to prepare (every later begin() would be refused): drop it
      await this.producer.transaction?.cancel().catch(() => undefined);
      throw described(err);
    }
  }

  disconnect(): Promise<void> {
    return this.producer.close();
  }
}

class PlTransaction implements KafkaTransaction {
  private active = true;
  /** anything added to the transaction on the broker (partitions or a group)? */
  private touched = false;
  private readonly groups = new Set<string>();

  constructor(
    private readonly tx: Transaction,
    private readonly coordinators: GroupCoordinators,
    /** our produce path (absent: the library's send) */
    private readonly fast?: { sender: PlatformaticProduceSender; base: BaseOptions },
  ) {}

  async send(records: readonly ProducerRecord[], options: Omit<SendOptions, 'acks'> = {}): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    this.touched = true;
    try {
      if (this.fast) return await this.fast.sender.send(records, { ...produceOptions(this.fast.base, -1, compression(options.compression), options.timeoutMs), transaction: this.tx });
      return toRecordMetadata(await this.tx.send({ messages: records.map(toMessage), compression: compression(options.compression) }));
    } catch (err) {
      throw described(err);
    }
  }

  async sendOffsets(group: string | ConsumerGroupMetadata, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const member = typeof group === 'string' ? { groupId: group, generationId: -1, memberId: '' } : group;
    this.touched = true;
    try {
      if (!this.groups.has(member.groupId)) {
        // AddOffsetsToTxn; the library only reads the consumer's groupId here
        await this.tx.addConsumer({ groupId: member.groupId } as Parameters<Transaction['addConsumer']>[0]);
        this.groups.add(member.groupId);
      }
      const coordinatorId = await this.coordinators.of(member.groupId);
      // one TxnOffsetCommit per partition, one at a time (the library deduplicates concurrent commits)
      for (const o of offsets) {
        const message = {
          topic: o.topic,
          partition: o.partition,
          offset: BigInt(o.offset) - 1n, // the library commits message.offset + 1
          metadata: { consumer: { groupId: member.groupId, generationId: member.generationId, memberId: member.memberId, coordinatorId } },
        } as unknown as Parameters<Transaction['addOffset']>[0];
        await this.tx.addOffset(message);
      }
    } catch (err) {
      throw described(err);
    }
  }

  async commit(): Promise<void> {
    await this.end(true);
  }

  async abort(): Promise<void> {
    await this.end(false);
  }

  private async end(commit: boolean): Promise<void> {
    try {
      // EndTxn on a transaction that holds nothing is INVALID_TXN_STATE: finish it locally
      if (!this.touched) await this.tx.cancel();
      else if (commit) await this.tx.commit();
      else await this.tx.abort();
      this.active = false;
    } catch (err) {
      // a failed commit or abort leaves the library's transaction open: the port says discard the producer
      this.active = false;
      throw described(err);
    }
  }

  isActive(): boolean {
    return this.active;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// consumer

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** broker answers that mean this member must rejoin the group */
const GROUP_ERROR = /UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|REBALANCE_IN_PROGRESS|FENCED_INSTANCE_ID/;

interface PartitionState {
  tp: TopicPartition;
  /** next offset to fetch; undefined until known (listeners done and committed offset read) */
  position?: bigint;
  paused: boolean;
  /** bumped by seek and revocation: batches fetched before are stale */
  epoch: number;
  /** resolves when the assignment listeners of this partition are done */
  ready: Promise<void>;
  readyDone: boolean;
  failures: number;
  retryAt: number;
  /** fetched, not yet handed over (batchMinBytes): delivered together once big or old enough; dropped on seek/pause */
  held?: HeldBatch;
}

/** a partition's accumulated fetches (see ConsumerOptions.batchMinBytes) */
interface HeldBatch {
  epoch: number;
  messages: ConsumedMessage[];
  bytes: number;
  /** when its first records were fetched (ms) */
  since: number;
  highWatermark: string;
  /** next offset to fetch after them */
  next: bigint;
}

type FetchedItem = { state: PartitionState; epoch: number; batch: Parameters<BatchHandler>[0]; next: bigint };

/**
 * ConsumerOptions.coPartitioned on platformatic: the consumer's `partitionAssigner`, with the group protocol named
 * `rs-copartition` through the consumer's `protocols` option (the name sent in JoinGroup). The leader calls it with every
 * member's decoded subscription and the metadata of all their topics. (A group of one member never reaches it: the
 * library then assigns every partition of the member's topics itself, which is the same plan.)
 */
function coPartitionAssigner(groupId: string, logger: Logger): GroupPartitionsAssigner {
  return (_current, members, _leaderTopics, metadata) => {
    const plan = coPartitionAssign(
      [...members.values()].map((m) => ({ memberId: m.memberId, topics: m.topics ?? [] })),
      (topic) => metadata.topics.get(topic)?.partitionsCount,
    );
    if (plan.unassigned.length > 0) {
      logger.warn({ group: groupId, unassigned: plan.unassigned }, 'co-partitioned group: members subscribe different topics; partitions left unassigned');
    }
    return plan.members.map(({ memberId, assignment }) => ({
      memberId,
      assignments: new Map([...assignment].map(([topic, partitions]) => [topic, { topic, partitions }])),
    }));
  };
}

class PlConsumer implements KafkaConsumer {
  private readonly consumer: Consumer;
  private readonly groupId: string;
  private readonly fromBeginning: boolean;
  private readonly concurrency: number;
  private readonly isolation: 0 | 1;
  private readonly maxWaitTimeMs: number;
  private readonly minBytes: number;
  private readonly maxBytes: number;
  private readonly maxBytesPerPartition: number;
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly batchMinBytes: number;
  private readonly batchMaxAgeMs: number;
  private admin?: Admin;
  private pool?: ConnectionPool;
  private topics: string[] = [];
  private readonly parts = new Map<string, PartitionState>();
  private listenerChain: Promise<void> = Promise.resolve();
  private readonly assignedListeners: PartitionsListener[] = [];
  private readonly revokedListeners: PartitionsListener[] = [];
  private readonly crashListeners: Array<(error: Error, restart: boolean) => void> = [];
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly base: BaseOptions,
    opts: ConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.groupId = opts.groupId;
    this.fromBeginning = opts.fromBeginning ?? true;
    this.concurrency = Math.max(1, opts.partitionsConsumedConcurrently ?? 1);
    this.isolation = (opts.isolation ?? 'read_committed') === 'read_committed' ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
    this.maxWaitTimeMs = opts.maxWaitTimeMs ?? 5000;
    this.minBytes = opts.minBytes ?? 1;
    this.maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    this.maxBytesPerPartition = opts.maxBytesPerPartition ?? 1024 * 1024;
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 30_000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 3000;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 60_000;
    this.batchMinBytes = opts.batchMinBytes ?? 0;
    this.batchMaxAgeMs = opts.batchMaxAgeMs ?? 500;
    this.consumer = new Consumer({
      ...base,
      groupId: opts.groupId,
      autocommit: false,
      isolationLevel: this.isolation,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
      rebalanceTimeout: this.rebalanceTimeoutMs,
      maxWaitTime: this.maxWaitTimeMs,
      minBytes: this.minBytes,
      maxBytes: this.maxBytes,
      ...(opts.coPartitioned && {
        protocols: [{ name: CO_PARTITION_PROTOCOL, version: CO_PARTITION_VERSION }],
        partitionAssigner: coPartitionAssigner(opts.groupId, logger),
      }),
    });
    this.consumer.on('consumer:group:join', (p) => this.onJoin(p.memberId, p.assignments ?? []));
    // a failed rejoin (after the library's retries) is reported as 'error': without a listener it would throw
    this.consumer.on('error', (err: Error) => {
      this.logger.error({ err: described(err), group: this.groupId }, 'kafka consumer error');
      for (const l of this.crashListeners) l(described(err), true);
      this.rejoinSoon('the library gave up rejoining', 1000);
    });
  }

  // -- membership
  //
  // The library heartbeats and rejoins on UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / REBALANCE_IN_PROGRESS answers to its
  // heartbeats, but 1.35 stops heartbeating for good after any other heartbeat error (e.g. the coordinator unreachable
  // while the broker is down: it clears its timer, then "refreshes" the cleared one). The member then stays out of the
  // group and every commit fails with UNKNOWN_MEMBER_ID (bench/chaos broker-crash). So:
  // - a watchdog rejoins when the membership has been inactive (no heartbeat timer) for a while with no join under way;
  // - a commit or a batch failing with a group error rejoins at once (a new member id after UNKNOWN_MEMBER_ID);
  // - a join under a different member id than the last one means the member was out of the group meanwhile (another
  //   member may have owned its partitions): every partition is revoked and assigned again, so the listeners fence,
  //   drop uncommitted in-memory work and re-read the committed offsets before any batch is handled.

  /** member id of the last completed join (undefined before the first) */
  private joinedMemberId?: string;
  private joining = false;
  private rejoinTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private inactiveSince = 0;
  /** batches being handled right now */
  private readonly handling = new Set<Promise<void>>();

  private rejoinSoon(why: string, delayMs = 0): void {
    if (!this.running || this.rejoinTimer) return;
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined;
      void this.rejoin(why);
    }, delayMs);
  }

  private async rejoin(why: string): Promise<void> {
    if (!this.running || this.joining) return;
    this.joining = true;
    try {
      this.logger.warn({ group: this.groupId, memberId: this.consumer.memberId, generation: this.consumer.generationId, why }, 'rejoining the consumer group');
      await this.consumer.joinGroup({});
    } catch (err) {
      this.logger.warn({ err: described(err), group: this.groupId }, 'rejoining the group failed; trying again');
      this.rejoinSoon(why, 1000);
    } finally {
      this.joining = false;
    }
  }

  private membership(): string {
    return `${this.consumer.memberId}/${this.consumer.generationId}`;
  }

  /**
   * After a group error from a commit or a batch: rejoin (with a fresh member id when the broker forgot this one),
   * unless the member has rejoined since the failed call began (`during`: its membership then).
   */
  private onGroupError(err: unknown, during: string): void {
    const text = errorText(err);
    if (!GROUP_ERROR.test(text) || during !== this.membership()) return;
    if (/UNKNOWN_MEMBER_ID/.test(text) && !this.joining) this.consumer.memberId = null;
    this.rejoinSoon(text.match(GROUP_ERROR)![0]);
  }

  private startWatchdog(): void {
    const every = Math.max(500, this.heartbeatIntervalMs);
    this.watchdog = setInterval(() => {
      if (!this.running || this.joining || this.joinedMemberId === undefined || this.consumer.isActive()) {
        this.inactiveSince = 0;
        return;
      }
      const now = Date.now();
      if (this.inactiveSince === 0) this.inactiveSince = now;
      // a join of the library's own may be waiting for the other members: a second one joins the same request
      else if (now - this.inactiveSince >= 2 * every) {
        this.inactiveSince = 0;
        this.rejoinSoon('heartbeats stopped');
      }
    }, every);
    this.watchdog.unref();
  }

  private onJoin(memberId: string, assignments: GroupAssignment[]): void {
    if (this.joinedMemberId !== undefined && memberId !== this.joinedMemberId && this.parts.size > 0) {
      this.logger.warn({ group: this.groupId, before: this.joinedMemberId, memberId }, 'rejoined under a new member id: all partitions revoked and assigned again');
      // a batch in hand (its commit fails under the old member id) must not find its partition's state torn down
      this.revokeAll(this.handling);
    }
    this.joinedMemberId = memberId;
    const next = new Map<string, TopicPartition>();
    for (const a of assignments) for (const partition of a.partitions) next.set(tpKey(a.topic, partition), { topic: a.topic, partition });
    const added = [...next].filter(([k]) => !this.parts.has(k)).map(([, tp]) => tp);
    const removed = [...this.parts.values()].filter((p) => !next.has(tpKey(p.tp.topic, p.tp.partition))).map((p) => p.tp);
    for (const tp of removed) this.parts.delete(tpKey(tp.topic, tp.partition));
    if (added.length === 0 && removed.length === 0) return;
    const done = this.listenerChain.then(async () => {
      if (removed.length > 0) await this.notify(this.revokedListeners, removed);
      if (added.length > 0) await this.notify(this.assignedListeners, added);
    });
    const states: PartitionState[] = added.map((tp) => ({ tp, paused: false, epoch: 0, ready: done, readyDone: false, failures: 0, retryAt: 0 }));
    for (const s of states) this.parts.set(tpKey(s.tp.topic, s.tp.partition), s);
    this.listenerChain = done.catch(() => undefined);
    // once the listeners ran (they may have seeked), the rest start from the committed offset
    void done.then(
      () => this.initPositions(states),
      (err: unknown) => {
        this.logger.error({ err, group: this.groupId }, 'partitions-assigned listener failed');
        for (const l of this.crashListeners) l(described(err), true);
        // retried on the next fetch round
        for (const s of states) s.ready = sleep(1000).then(() => this.initPositions([s]));
      },
    );
    this.wake?.();
  }

  private async initPositions(states: PartitionState[]): Promise<void> {
    const current = states.filter((s) => this.parts.get(tpKey(s.tp.topic, s.tp.partition)) === s);
    const unknown = current.filter((s) => s.position === undefined);
    if (unknown.length > 0) {
      try {
        const committed = await this.committed(unknown.map((s) => s.tp));
        const missing = unknown.filter((s) => (committed.get(tpKey(s.tp.topic, s.tp.partition)) ?? -1n) < 0n);
        const resets = missing.length ? await this.resetOffsets(missing.map((s) => s.tp)) : new Map<string, bigint>();
        for (const s of unknown) {
          if (s.position !== undefined) continue; // seeked meanwhile
          const k = tpKey(s.tp.topic, s.tp.partition);
          const c = committed.get(k) ?? -1n;
          s.position = c >= 0n ? c : resets.get(k);
        }
      } catch (err) {
        this.logger.warn({ err: described(err), group: this.groupId }, 'reading start offsets failed; retrying');
        for (const s of unknown) s.ready = sleep(500).then(() => this.initPositions([s]));
        return;
      }
    }
    for (const s of current) s.readyDone = true;
    this.wake?.();
  }

  private getAdmin(): Admin {
    return (this.admin ??= new Admin({ ...this.base, clientId: `${this.base.clientId}-consumer-admin` }));
  }

  private async committed(tps: TopicPartition[]): Promise<Map<string, bigint>> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    const res = await retrying(
      () =>
        this.getAdmin().listConsumerGroupOffsets({
          groups: [{ groupId: this.groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
          requireStable: true,
        }),
      30_000,
    );
    const out = new Map<string, bigint>();
    for (const g of res) for (const t of g.topics) for (const p of t.partitions) out.set(tpKey(t.name, p.partitionIndex), p.committedOffset);
    return out;
  }

  private async resetOffsets(tps: TopicPartition[]): Promise<Map<string, bigint>> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    const timestamp = this.fromBeginning ? -2n : -1n;
    const res = await retrying(() =>
      this.getAdmin().listOffsets({
        topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })) })),
        isolationLevel: this.isolation,
      }),
    );
    const out = new Map<string, bigint>();
    for (const t of res) for (const p of t.partitions) out.set(tpKey(t.name, p.partitionIndex), p.offset);
    return out;
  }

  private async notify(listeners: PartitionsListener[], tps: TopicPartition[]): Promise<void> {
    for (const l of listeners) await l(tps);
  }

  /** Revokes every partition; the listeners are told once the batches in hand (`busy`) have finished. */
  private revokeAll(busy: Iterable<Promise<void>> = []): void {
    const all = [...this.parts.values()].map((p) => p.tp);
    for (const p of this.parts.values()) p.epoch++;
    this.parts.clear();
    if (all.length === 0) return;
    const inHand = [...busy];
    this.listenerChain = this.listenerChain
      .then(() => Promise.allSettled(inHand))
      .then(() => this.notify(this.revokedListeners, all))
      .catch((err) => this.logger.error({ err, group: this.groupId }, 'partitions-revoked listener failed'));
  }

  // -- port

  async connect(): Promise<void> {
    await this.consumer.metadata({ topics: [] });
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    this.topics = [...topics];
    for (const t of topics) this.consumer.topics.track(t);
  }

  async run(handler: BatchHandler): Promise<void> {
    this.running = true;
    this.startWatchdog();
    try {
      await this.consumer.joinGroup({});
    } catch (err) {
      const e = described(err);
      this.logger.error({ err: e, group: this.groupId }, 'joining the group failed');
      for (const l of this.crashListeners) l(e, true);
      this.rejoinSoon('the first join failed', 1000);
    }
    this.loop = this.fetchLoop(handler).catch((err: unknown) => {
      const e = described(err);
      this.logger.error({ err: e, group: this.groupId }, 'fetch loop failed');
      for (const l of this.crashListeners) l(e, false);
    });
  }

  private fetchable(): PartitionState[] {
    const now = Date.now();
    return [...this.parts.values()].filter((p) => !p.paused && p.readyDone && p.position !== undefined && p.retryAt <= now);
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  private async fetchLoop(handler: BatchHandler): Promise<void> {
    let errorDelay = 100;
    while (this.running) {
      const parts = this.fetchable();
      if (parts.length === 0) {
        await this.idle(100);
        continue;
      }
      let batches: FetchedItem[];
      try {
        batches = await this.fetchOnce(parts);
        errorDelay = 100;
      } catch (err) {
        if (!this.running) break;
        this.logger.warn({ err: described(err), group: this.groupId }, 'fetch failed; retrying');
        this.consumer.clearMetadata();
        await sleep(errorDelay);
        errorDelay = Math.min(errorDelay * 2, 5000);
        continue;
      }
      if (this.batchMinBytes > 0) batches = this.accumulate(batches);
      // hand the batches to the handler, up to `concurrency` partitions at a time
      const queue = [...batches];
      const worker = async () => {
        for (let item = queue.shift(); item; item = queue.shift()) {
          const handled = this.handleBatch(handler, item);
          this.handling.add(handled);
          await handled.finally(() => this.handling.delete(handled));
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
    }
  }

  /**
   * batchMinBytes: adds each fetched batch to what its partition holds; hands over the partitions holding at least
   * batchMinBytes or holding records fetched batchMaxAgeMs ago (also those this fetch brought nothing for).
   */
  private accumulate(fetched: FetchedItem[]): FetchedItem[] {
    const now = Date.now();
    for (const { state, epoch, batch, next } of fetched) {
      let h = state.held;
      if (h && h.epoch !== epoch) h = state.held = undefined; // seeked meanwhile: what it held is stale
      if (!h) h = state.held = { epoch, messages: [], bytes: 0, since: now, highWatermark: batch.highWatermark, next };
      for (const m of batch.messages) {
        h.messages.push(m);
        h.bytes += m.value === null ? 0 : m.value.length;
      }
      h.highWatermark = batch.highWatermark;
      h.next = next;
    }
    const out: FetchedItem[] = [];
    for (const state of this.parts.values()) {
      const h = state.held;
      if (!h || (h.bytes < this.batchMinBytes && now - h.since < this.batchMaxAgeMs)) continue;
      state.held = undefined;
      // a position-only advance (aborted records, control markers) with nothing to deliver: an empty batch moves it
      out.push({ state, epoch: h.epoch, next: h.next, batch: { topic: state.tp.topic, partition: state.tp.partition, highWatermark: h.highWatermark, messages: h.messages } });
    }
    return out;
  }

  /** how long the next fetch may wait at the broker: the fetch linger, less when a held batch comes of age sooner */
  private fetchWaitMs(): number {
    let wait = this.maxWaitTimeMs;
    if (this.batchMinBytes > 0) {
      const now = Date.now();
      for (const s of this.parts.values()) if (s.held) wait = Math.min(wait, Math.max(0, s.held.since + this.batchMaxAgeMs - now));
    }
    return wait;
  }

  private async handleBatch(
    handler: BatchHandler,
    { state, epoch, batch, next }: { state: PartitionState; epoch: number; batch: Parameters<BatchHandler>[0]; next: bigint },
  ): Promise<void> {
    const current = () => this.parts.get(tpKey(state.tp.topic, state.tp.partition)) === state && state.epoch === epoch;
    // stale (seeked or revoked meanwhile), or paused after it was fetched: dropped, fetched again later
    if (!current() || !this.running || state.paused) return;
    if (batch.messages.length > 0) {
      const during = this.membership();
      const context: BatchContext = {
        heartbeat: async () => undefined, // the library heartbeats on its own timer
        isRunning: () => this.running,
        isStale: () => !current(),
      };
      try {
        await handler(batch, context);
        state.failures = 0;
      } catch (err) {
        state.failures++;
        const delay = Math.min(100 * 2 ** state.failures, 5000);
        state.retryAt = Date.now() + delay;
        this.logger.warn({ err: described(err), group: this.groupId, topic: batch.topic, partition: batch.partition, attempt: state.failures }, 'batch failed; delivered again after a back-off');
        this.onGroupError(err, during);
        if (state.failures % 5 === 0) for (const l of this.crashListeners) l(described(err), true);
        return; // position unchanged: the batch is fetched and delivered again
      }
    }
    if (current()) state.position = next;
  }

  private async fetchOnce(parts: PartitionState[]): Promise<FetchedItem[]> {
    const topics = [...new Set(parts.map((p) => p.tp.topic))];
    const metadata: ClusterMetadata = await this.consumer.metadata({ topics });
    const byLeader = new Map<number, PartitionState[]>();
    for (const p of parts) {
      const leader = metadata.topics.get(p.tp.topic)?.partitions[p.tp.partition]?.leader;
      if (leader === undefined || leader < 0) continue;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const epochs = new Map(parts.map((p) => [p, p.epoch] as const));
    const results = await Promise.all(
      [...byLeader].map(async ([node, ps]) => {
        const byTopic = new Map<string, PartitionState[]>();
        for (const p of ps) byTopic.set(p.tp.topic, [...(byTopic.get(p.tp.topic) ?? []), p]);
        const idToTopic = new Map<string, string>();
        const request = [...byTopic].map(([topic, tps]) => {
          const topicId = metadata.topics.get(topic)!.id;
          idToTopic.set(topicId, topic);
          return {
            topicId,
            partitions: tps.map((p) => ({
              partition: p.tp.partition,
              fetchOffset: p.held?.next ?? p.position!,
              partitionMaxBytes: this.maxBytesPerPartition,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            })),
          };
        });
        const response = await this.fetchFrom(metadata, node, request, this.fetchWaitMs());
        return { response, idToTopic };
      }),
    );
    const out: FetchedItem[] = [];
    for (const { response, idToTopic } of results) {
      for (const t of response.responses) {
        const topic = idToTopic.get(t.topicId);
        if (topic === undefined) continue;
        for (const p of t.partitions) {
          const state = this.parts.get(tpKey(topic, p.partitionIndex));
          if (!state || state.epoch !== epochs.get(state)) continue;
          if (p.errorCode !== 0) {
            state.held = undefined; // fetched again from the position
            if (p.errorCode === 1) {
              // OFFSET_OUT_OF_RANGE (retention removed it): restart from the reset policy
              const reset = await this.resetOffsets([state.tp]);
              state.position = reset.get(tpKey(topic, p.partitionIndex)) ?? state.position;
            } else this.consumer.clearMetadata();
            continue;
          }
          const from = state.held?.next ?? state.position!;
          const { messages, next } = p.records
            ? decodeRecordBatches(p.records, p.abortedTransactions, from, this.isolation === FetchIsolationLevels.READ_COMMITTED, DECODE)
            : { messages: [], next: from };
          if (next === from && messages.length === 0) continue;
          out.push({ state, epoch: state.epoch, next, batch: { topic, partition: p.partitionIndex, highWatermark: p.highWatermark.toString(), messages } });
        }
      }
    }
    return out;
  }

  /**
   * One Fetch request to one broker, on this member's own connections (a long-polling fetch must not hold up the
   * heartbeats). Not Consumer.fetch(): under read_committed, 1.35 post-filters the response and crashes the process
   * (TypeError in a socket callback) when an abort marker's producer is missing from the aborted list
   * (platformatic/kafka#391); decodeRecordBatches() does that filtering instead.
   */
  private async fetchFrom(metadata: ClusterMetadata, node: number, topics: FetchRequestTopics, maxWaitMs: number): Promise<FetchResponse> {
    const broker = metadata.brokers.get(node);
    if (!broker) throw new Error(`kafka: broker ${node} unknown`);
    this.pool ??= new ConnectionPool(this.base.clientId, { ...this.base });
    const connection = await this.pool.get(broker);
    const api = await new Promise<FetchApi & { version: number }>((res, rej) =>
      this.consumer[kGetApi]('Fetch', (e, a) => (e ? rej(e) : res(a as unknown as FetchApi & { version: number }))),
    );
    const createRequest = FETCH_REQUESTS[api.version];
    if (!createRequest) throw new Error(`kafka: the broker offers Fetch v${api.version}; v13–v17 are supported`);
    // the library's request encoder, our response parser (records kept as bytes, decoded by decodeRecordBatches)
    return new Promise<FetchResponse>((res, rej) =>
      connection.send(
        1,
        api.version,
        () => createRequest(maxWaitMs, this.minBytes, this.maxBytes, this.isolation, 0, -1, topics as never, [], ''),
        parseFetchResponse as never,
        true,
        true,
        (e: Error | null, r: unknown) => (e ? rej(described(e)) : res(r as FetchResponse)),
      ),
    );
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const s = this.parts.get(tpKey(tp.topic, tp.partition));
      if (s) {
        s.paused = true;
        s.held = undefined; // fetched again from the position once resumed
      }
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const s = this.parts.get(tpKey(tp.topic, tp.partition));
      if (s) s.paused = false;
    }
    this.wake?.();
  }

  seek(position: TopicPartitionOffset): void {
    const s = this.parts.get(tpKey(position.topic, position.partition));
    if (!s) return;
    s.position = BigInt(position.offset);
    s.epoch++;
    s.retryAt = 0;
    s.held = undefined;
  }

  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null });
      byTopic.set(o.topic, list);
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    // the library's commit() drops metadata: call OffsetCommit directly on the group coordinator
    const during = this.membership();
    await retrying(async () => {
      const coordinatorId = await this.consumer.findGroupCoordinator();
      const metadata = await this.consumer.metadata({ topics: [] });
      const broker = metadata.brokers.get(coordinatorId);
      if (!broker) throw new Error(`kafka: coordinator ${coordinatorId} of group ${this.groupId} unknown`);
      const connection = await new Promise<Connection>((res, rej) => this.consumer[kGetConnection](broker as Broker, (e, c) => (e ? rej(e) : res(c!))));
      type Api = (connection: Connection, groupId: string, generation: number, memberId: string | null, instanceId: string | null, topics: unknown[], cb: (e: Error | null) => void) => void;
      const api = await new Promise<Api>((res, rej) => this.consumer[kGetApi]('OffsetCommit', (e, a) => (e ? rej(e) : res(a as unknown as Api))));
      await new Promise<void>((res, rej) => api(connection, this.groupId, this.consumer.generationId, this.consumer.memberId, null, topics, (e) => (e ? rej(described(e)) : res())));
    }).catch((err: unknown) => {
      this.onGroupError(err, during);
      throw err;
    });
  }

  onPartitionsAssigned(listener: PartitionsListener): void {
    this.assignedListeners.push(listener);
  }

  onPartitionsRevoked(listener: PartitionsListener): void {
    this.revokedListeners.push(listener);
  }

  onCrash(listener: (error: Error, restart: boolean) => void): void {
    this.crashListeners.push(listener);
  }

  assignment(): TopicPartition[] {
    return [...this.parts.values()].map((p) => p.tp);
  }

  groupMetadata(): ConsumerGroupMetadata {
    return { groupId: this.groupId, generationId: this.consumer.memberId ? this.consumer.generationId : -1, memberId: this.consumer.memberId ?? '' };
  }

  async disconnect(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    clearInterval(this.watchdog);
    clearTimeout(this.rejoinTimer);
    this.rejoinTimer = undefined;
    this.wake?.();
    // the batches in hand finish (their transactions commit) before the member leaves the group
    await this.loop;
    // close() leaves the group when the member joined
    await this.consumer.close().catch((err: unknown) => wasRunning && this.logger.warn({ err: described(err) }, 'leaving the group failed'));
    await this.admin?.close().catch(() => undefined);
    await this.pool?.close().catch(() => undefined);
    this.revokeAll();
    await this.listenerChain;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Fetch response with raw record bytes

const FETCH_REQUESTS: Record<number, typeof fetchV17.createRequest> = {
  13: fetchV13.createRequest as never,
  14: fetchV14.createRequest as never,
  15: fetchV15.createRequest as never,
  16: fetchV16.createRequest as never,
  17: fetchV17.createRequest,
};

const DECODE = {
  decompress: (codec: number, data: Buffer): Buffer => {
    const algorithm = compressionsAlgorithmsByBitmask[codec as keyof typeof compressionsAlgorithmsByBitmask];
    if (!algorithm) throw new Error(`kafka: unsupported compression codec ${codec} in a fetched record batch`);
    return algorithm.decompressSync(data) as Buffer;
  },
};

/**
 * Fetch v13–v17 response (same layout; v16's node endpoints are a tagged field) as the library's parser reads it, but
 * each partition's records stay the bytes the broker sent (a view, copied only when the response arrived in several
 * socket chunks and the records span them): decodeRecordBatches() turns them into port messages in one pass, instead
 * of the library's object per record and per header. Errors are thrown like the library's parser does.
 */
export function parseFetchResponse(_correlationId: number, apiKey: number, apiVersion: number, reader: ReaderLike): FetchResponse {
  const errors: Array<[string, [number, null]]> = [];
  reader.readInt32(); // throttle time
  const errorCode = reader.readInt16();
  if (errorCode !== 0) errors.push(['', [errorCode, null]]);
  reader.readInt32(); // session id
  const response: FetchResponse = {
    responses: reader.readArray((r, i) => ({
      topicId: r.readUUID(),
      partitions: r.readArray((r, j) => {
        const partition: FetchResponse['responses'][number]['partitions'][number] = {
          partitionIndex: r.readInt32(),
          errorCode: r.readInt16(),
          highWatermark: r.readInt64(),
          abortedTransactions: [],
        };
        r.readInt64(); // last stable offset
        r.readInt64(); // log start offset
        partition.abortedTransactions = r.readArray((r) => ({ producerId: r.readInt64(), firstOffset: r.readInt64() })) ?? [];
        r.readInt32(); // preferred read replica
        if (partition.errorCode !== 0) errors.push([`/responses/${i}/partitions/${j}`, [partition.errorCode, null]]);
        const size = r.readUnsignedVarInt() - 1; // COMPACT_RECORDS: length + 1
        if (size > 0) {
          partition.records = r.buffer.slice(r.position, r.position + size);
          r.skip(size);
        }
        return partition;
      }),
    })),
  };
  if (errors.length) throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), response as never);
  return response;
}
