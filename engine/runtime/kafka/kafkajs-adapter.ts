/**
 * KafkaPort on kafkajs 2.2.4. Everything kafkajs-specific stays in this file.
 *
 * kafkajs limits worth knowing (see port.ts for the contract):
 * - eager rebalancing only, no revocation callback: revoked partitions are reported after the rebalance;
 * - TxnOffsetCommit without consumer-generation fencing (no KIP-447): use one transactional id per input partition;
 * - its idempotent/transactional producers retry forever by default (kafkajs sets retries = MAX_SAFE_INTEGER).
 */
import { AssignerProtocol, CompressionTypes, Kafka, Partitioners, logLevel } from 'kafkajs';
import type {
  Admin,
  Consumer,
  EachBatchPayload,
  IHeaders,
  KafkaConfig,
  KafkaMessage,
  LogEntry,
  Message,
  PartitionAssigner,
  Producer,
  RecordMetadata as KjsRecordMetadata,
  SASLOptions,
  Transaction,
} from 'kafkajs';
import { pino, type Logger } from 'pino';
import type {
  BatchHandler,
  ConsumedMessage,
  ConsumerGroupMetadata,
  ConsumerOptions,
  EnsureTopicsResult,
  GroupDescription,
  KafkaAdmin,
  KafkaConnectionOptions,
  KafkaConsumer,
  KafkaHeadersIn,
  KafkaHeadersOut,
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
import { retrying as retryWhile } from './retry.ts';

export interface KafkajsPortDeps {
  /** kafkajs log lines at warn and error go here (default: pino at warn on stdout). */
  logger?: Logger;
}

export function createKafkajsPort(options: KafkaConnectionOptions, deps: KafkajsPortDeps = {}): KafkaPort {
  const logger = (deps.logger ?? pino({ level: 'warn' })).child({ component: 'kafka' });
  const kafka = new Kafka(toKafkaConfig(options, logger));
  return {
    client: 'kafkajs',
    fencesByGeneration: false,
    admin: () => new KjsAdmin(kafka.admin()),
    producer: (opts) => new KjsProducer(kafka, opts),
    transactionalProducer: (opts) => new KjsTransactionalProducer(kafka, opts),
    consumer: (opts) => new KjsConsumer(kafka, opts, logger),
  };
}

// ------------------------------------------------------------------------------------------------------------------
// config + logging

function toKafkaConfig(o: KafkaConnectionOptions, logger: Logger): KafkaConfig {
  if (o.brokers.length === 0) throw new Error('kafka: brokers must not be empty');
  const config: KafkaConfig = {
    brokers: o.brokers,
    clientId: o.clientId ?? 'ratestream',
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => logEntry(logger, entry),
  };
  if (o.tls) config.ssl = o.tls === true ? true : { ...o.tls };
  if (o.sasl) config.sasl = { mechanism: o.sasl.mechanism, username: o.sasl.username, password: o.sasl.password } as SASLOptions;
  if (o.connectionTimeoutMs !== undefined) config.connectionTimeout = o.connectionTimeoutMs;
  if (o.requestTimeoutMs !== undefined) config.requestTimeout = o.requestTimeoutMs;
  if (o.retry) {
    config.retry = {
      ...(o.retry.retries !== undefined && { retries: o.retry.retries }),
      ...(o.retry.initialRetryTimeMs !== undefined && { initialRetryTime: o.retry.initialRetryTimeMs }),
      ...(o.retry.maxRetryTimeMs !== undefined && { maxRetryTime: o.retry.maxRetryTimeMs }),
    };
  }
  return config;
}

function logEntry(logger: Logger, { namespace, level, log }: LogEntry): void {
  const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
  const fields = { kafkajs: namespace, ...extra };
  // kafkajs logs every error code in a broker response at ERROR, including retriable ones it then retries
  // (coordinator loading, concurrent transactions…); the operation's own failure is logged by its component.
  if (namespace === 'Connection' && message.startsWith('Response ')) level = logLevel.DEBUG;
  // an attempt that kafkajs retries is not a problem yet (CONCURRENT_TRANSACTIONS after every commit -> begin is
  // normal): below warn, so normal operation stays quiet; a final failure reaches the caller as an exception
  else if (level === logLevel.ERROR && typeof extra.retryCount === 'number') level = logLevel.INFO;
  if (level === logLevel.ERROR) logger.error(fields, message);
  else if (level === logLevel.WARN) logger.warn(fields, message);
  else if (level === logLevel.INFO) logger.info(fields, message);
  else logger.debug(fields, message);
}

// ------------------------------------------------------------------------------------------------------------------
// conversions

function toMessage(r: ProducerRecord): Message {
  const m: Message = { key: r.key, value: r.value };
  if (r.partition !== undefined) m.partition = r.partition;
  if (r.headers) m.headers = r.headers satisfies KafkaHeadersIn as IHeaders;
  if (r.timestamp !== undefined) m.timestamp = r.timestamp;
  return m;
}

function toTopicMessages(records: readonly ProducerRecord[]): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push(toMessage(r));
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function toRecordMetadata(m: KjsRecordMetadata): RecordMetadata {
  const baseOffset = m.baseOffset ?? m.offset;
  return { topic: m.topicName, partition: m.partition, ...(baseOffset !== undefined && { baseOffset }) };
}

function toHeaders(h: IHeaders | undefined): KafkaHeadersOut {
  const out: KafkaHeadersOut = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last === undefined) continue;
    out[k] = typeof last === 'string' ? Buffer.from(last) : last;
  }
  return out;
}

function toConsumed(m: KafkaMessage): ConsumedMessage {
  return { offset: m.offset, key: m.key, value: m.value, headers: toHeaders(m.headers), timestamp: m.timestamp };
}

function groupOffsets(offsets: readonly TopicPartitionOffset[]) {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (!list) byTopic.set(o.topic, (list = []));
    list.push({ partition: o.partition, offset: o.offset });
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

function byTopic(tps: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    let list = m.get(tp.topic);
    if (!list) m.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

/**
 * kafkajs marks NOT_LEADER…, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION retriable: needed right after topic
 * creation (the leader may not serve the new partitions yet; kafkajs' admin calls do not always retry that themselves).
 */
const kjsRetriable = (err: unknown) => (err as { retriable?: boolean }).retriable === true;
const retrying = <T>(fn: () => Promise<T>, timeoutMs?: number) => retryWhile(fn, kjsRetriable, timeoutMs);

const compression = (c: SendOptions['compression']) => (c === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None);

/**
 * ConsumerOptions.coPartitioned on kafkajs: a custom partition assigner named `rs-copartition` (its name is the group
 * protocol sent in JoinGroup). The leader decodes every member's subscription and loads the metadata of all their
 * topics (kafkajs' leader knows only its own subscription's) before planning.
 */
function coPartitionAssigner(logger: Logger): PartitionAssigner {
  return ({ cluster, groupId }) => ({
    name: CO_PARTITION_PROTOCOL,
    version: CO_PARTITION_VERSION,
    async assign({ members }) {
      const subscriptions = members.map((m) => ({ memberId: m.memberId, topics: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? [] }));
      await cluster.addMultipleTargetTopics([...new Set(subscriptions.flatMap((s) => s.topics))]);
      const plan = coPartitionAssign(subscriptions, (topic) => cluster.findTopicPartitionMetadata(topic).length);
      if (plan.unassigned.length > 0) {
        logger.warn({ group: groupId, unassigned: plan.unassigned }, 'co-partitioned group: members subscribe different topics; partitions left unassigned');
      }
      return plan.members.map(({ memberId, assignment }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: CO_PARTITION_VERSION,
          assignment: Object.fromEntries(assignment),
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: CO_PARTITION_PROTOCOL,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: CO_PARTITION_VERSION, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

// ------------------------------------------------------------------------------------------------------------------
// admin

class KjsAdmin implements KafkaAdmin {
  constructor(private readonly admin: Admin) {}

  connect(): Promise<void> {
    return this.admin.connect();
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<EnsureTopicsResult> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      // kafkajs speaks CreateTopics <= v3, where replicationFactor -1 ("broker default") is not allowed.
      const brokers = (await this.admin.describeCluster()).brokers.length;
      try {
        await this.admin.createTopics({
          // we wait for the leaders ourselves below: kafkajs' own wait lets UNKNOWN_TOPIC_OR_PARTITION (the metadata of a
          // topic not yet known to the broker asked) escape as a failure of the creation
          waitForLeaders: false,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor ?? Math.min(3, brokers),
            configEntries: Object.entries({ ...s.config, ...(s.compact && { 'cleanup.policy': 'compact' }) }).map(
              ([name, value]) => ({ name, value }),
            ),
          })),
        });
      } catch (err) {
        // another process may have created some of them meanwhile; anything else is a real failure
        const now = new Set(await this.admin.listTopics());
        if (!missing.every((s) => now.has(s.topic))) throw err;
      }
    }
    // new partitions are usable once their leader answers ListOffsets for them
    for (const s of missing) await retrying(() => this.admin.fetchTopicOffsets(s.topic), 30_000);
    const metadata = await retrying(() => this.admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) }), 30_000);
    for (const s of specs) {
      const t = metadata.topics.find((m) => m.name === s.topic);
      const n = t?.partitions.length ?? 0;
      if (n < s.partitions) {
        throw new Error(`kafka: topic ${s.topic} has ${n} partitions, ${s.partitions} required`);
      }
    }
    return {
      created: missing.map((s) => s.topic),
      existing: specs.filter((s) => existing.has(s.topic)).map((s) => s.topic),
    };
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.admin.deleteTopics({ topics: [...topics] });
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async endOffsets(topic: string): Promise<PartitionOffset[]> {
    const offsets = await retrying(() => this.admin.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, offset: o.high })).sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]> {
    const res = await retrying(() => this.admin.fetchOffsets({ groupId, topics: [topic] }));
    const t = res.find((r) => r.topic === topic);
    return (t?.partitions ?? [])
      .map((p) => ({ partition: p.partition, offset: p.offset, ...(p.metadata ? { metadata: p.metadata } : {}) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const res = await retrying(() => this.admin.describeGroups([groupId]));
    const g = res.groups.find((x) => x.groupId === groupId);
    const state = groupState(g?.state ?? 'Dead');
    const members = g?.members ?? [];
    return {
      groupId, state, ...(state === 'Stable' && g?.protocol && { protocol: g.protocol }), members: members.length,
      ...(members.length && { memberTopics: members.map((m) => memberTopicsOf(m.memberMetadata)) }),
    };
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }
}

// ------------------------------------------------------------------------------------------------------------------
// producers

class KjsProducer implements KafkaProducer {
  private readonly producer: Producer;

  constructor(kafka: Kafka, opts: ProducerOptions = {}) {
    const idempotent = opts.idempotent ?? false;
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2
      allowAutoTopicCreation: false,
      idempotent,
      ...(idempotent && { maxInFlightRequests: 1 }),
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(records: readonly ProducerRecord[], options: SendOptions = {}): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    const res = await this.producer.sendBatch({
      topicMessages: toTopicMessages(records),
      acks: options.acks ?? -1,
      compression: compression(options.compression),
      ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
    });
    return res.map(toRecordMetadata);
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

class KjsTransactionalProducer implements TransactionalProducer {
  readonly transactionalId: string;
  private readonly producer: Producer;

  constructor(kafka: Kafka, opts: TransactionalProducerOptions) {
    this.transactionalId = opts.transactionalId;
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      transactionalId: opts.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: opts.transactionTimeoutMs ?? 60_000,
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async begin(): Promise<KafkaTransaction> {
    // The first transaction() call runs InitProducerId: it fences any older producer with the same id.
    return new KjsTransaction(await this.producer.transaction());
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

class KjsTransaction implements KafkaTransaction {
  constructor(private readonly tx: Transaction) {}

  async send(records: readonly ProducerRecord[], options: Omit<SendOptions, 'acks'> = {}): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    const res = await this.tx.sendBatch({
      topicMessages: toTopicMessages(records),
      compression: compression(options.compression),
      ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
    });
    return res.map(toRecordMetadata);
  }

  sendOffsets(group: string | ConsumerGroupMetadata, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    // kafkajs speaks TxnOffsetCommit v0 only: no generation or member id to send (no KIP-447 fencing)
    const groupId = typeof group === 'string' ? group : group.groupId;
    return this.tx.sendOffsets({ consumerGroupId: groupId, topics: groupOffsets(offsets) });
  }

  commit(): Promise<void> {
    return this.tx.commit();
  }

  abort(): Promise<void> {
    return this.tx.abort();
  }

  isActive(): boolean {
    return this.tx.isActive();
  }
}

// ------------------------------------------------------------------------------------------------------------------
// consumer

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

class KjsConsumer implements KafkaConsumer {
  private readonly consumer: Consumer;
  private readonly fromBeginning: boolean;
  private readonly concurrency: number;
  private readonly heartbeatMs: number;
  private readonly groupId: string;
  /** kafkajs does not expose the generation; its TxnOffsetCommit could not send it anyway */
  private memberId = '';
  private assigned = new Map<string, TopicPartition>();
  /** per assigned partition: resolves when the assignment listeners for it are done */
  private readonly ready = new Map<string, Promise<void>>();
  private listenerChain: Promise<void> = Promise.resolve();
  private readonly assignedListeners: PartitionsListener[] = [];
  private readonly revokedListeners: PartitionsListener[] = [];
  private readonly crashListeners: Array<(error: Error, restart: boolean) => void> = [];

  constructor(
    kafka: Kafka,
    opts: ConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.groupId = opts.groupId;
    this.fromBeginning = opts.fromBeginning ?? true;
    this.concurrency = opts.partitionsConsumedConcurrently ?? 1;
    this.heartbeatMs = opts.heartbeatIntervalMs ?? 3000;
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      readUncommitted: (opts.isolation ?? 'read_committed') === 'read_uncommitted',
      allowAutoTopicCreation: false,
      heartbeatInterval: this.heartbeatMs,
      ...(opts.sessionTimeoutMs !== undefined && { sessionTimeout: opts.sessionTimeoutMs }),
      ...(opts.rebalanceTimeoutMs !== undefined && { rebalanceTimeout: opts.rebalanceTimeoutMs }),
      ...(opts.maxWaitTimeMs !== undefined && { maxWaitTimeInMs: opts.maxWaitTimeMs }),
      ...(opts.minBytes !== undefined && { minBytes: opts.minBytes }),
      ...(opts.maxBytes !== undefined && { maxBytes: opts.maxBytes }),
      ...(opts.maxBytesPerPartition !== undefined && { maxBytesPerPartition: opts.maxBytesPerPartition }),
      ...(opts.coPartitioned && { partitionAssigners: [coPartitionAssigner(logger)] }),
    });
    // kafkajs emits GROUP_JOIN synchronously inside joinAndSync, before it fetches: the ready promises of newly
    // assigned partitions exist before any of their batches can reach eachBatch.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.memberId = e.payload.memberId;
      this.onJoin(e.payload.memberAssignment);
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      // a crashed member has left the group; on restart it rejoins and gets a fresh assignment
      this.revokeAll();
      for (const l of this.crashListeners) l(e.payload.error, e.payload.restart);
    });
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    const next = new Map<string, TopicPartition>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) next.set(tpKey(topic, partition), { topic, partition });
    }
    const added = [...next].filter(([k]) => !this.assigned.has(k));
    const removed = [...this.assigned].filter(([k]) => !next.has(k));
    this.assigned = next;
    for (const [k] of removed) this.ready.delete(k);
    const done = this.listenerChain.then(async () => {
      if (removed.length > 0) await this.notify(this.revokedListeners, removed.map(([, tp]) => tp));
      if (added.length > 0) await this.notify(this.assignedListeners, added.map(([, tp]) => tp));
    });
    for (const [k] of added) this.ready.set(k, done);
    this.listenerChain = done.catch(() => undefined);
  }

  private revokeAll(): void {
    const all = [...this.assigned.values()];
    this.assigned = new Map();
    this.ready.clear();
    if (all.length === 0) return;
    this.listenerChain = this.listenerChain
      .then(() => this.notify(this.revokedListeners, all))
      .catch((err) => this.logger.error({ err }, 'partitions-revoked listener failed'));
  }

  private async notify(listeners: PartitionsListener[], tps: TopicPartition[]): Promise<void> {
    for (const l of listeners) await l(tps);
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  subscribe(topics: readonly string[]): Promise<void> {
    return this.consumer.subscribe({ topics: [...topics], fromBeginning: this.fromBeginning });
  }

  run(handler: BatchHandler): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: this.concurrency,
      eachBatch: (payload) => this.eachBatch(handler, payload),
    });
  }

  private async eachBatch(handler: BatchHandler, { batch, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const ready = this.ready.get(tpKey(batch.topic, batch.partition));
    if (ready) {
      // state restore may take a while: keep the membership alive meanwhile
      let settled = false;
      const wait = ready.finally(() => (settled = true));
      while (!settled) {
        await Promise.race([wait, new Promise((r) => setTimeout(r, this.heartbeatMs))]);
        if (!settled) await heartbeat();
      }
      await wait; // rethrows a listener failure: the batch is retried, the member eventually restarts
      // the listener seeked (e.g. to the offset committed by the transaction it just fenced): this batch was fetched
      // from the old position; kafkajs applies the seek on the next fetch
      if (isStale()) return;
    }
    if (batch.messages.length === 0) return;
    await handler(
      {
        topic: batch.topic,
        partition: batch.partition,
        highWatermark: batch.highWatermark,
        messages: batch.messages.map(toConsumed),
      },
      { heartbeat, isRunning, isStale },
    );
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.consumer.pause(byTopic(partitions));
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.consumer.resume(byTopic(partitions));
  }

  seek(position: TopicPartitionOffset): void {
    this.consumer.seek({ topic: position.topic, partition: position.partition, offset: position.offset });
  }

  commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    return this.consumer.commitOffsets(
      offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, ...(o.metadata !== undefined && { metadata: o.metadata }) })),
    );
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
    return [...this.assigned.values()];
  }

  groupMetadata(): ConsumerGroupMetadata {
    return { groupId: this.groupId, generationId: -1, memberId: this.memberId };
  }

  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
    this.revokeAll();
    await this.listenerChain;
  }
}

/** the topics in a member's consumer-protocol metadata (empty when it does not decode, e.g. another protocol's) */
function memberTopicsOf(metadata: Buffer | undefined): string[] {
  if (!metadata?.length) return [];
  try {
    return AssignerProtocol.MemberMetadata.decode(metadata)?.topics ?? [];
  } catch {
    return [];
  }
}
