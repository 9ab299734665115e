/**
 * Our own Kafka port: the only Kafka surface the engine may use. Two clients sit behind it: kafkajs (unmaintained
 * since 2023) in `kafkajs-adapter.ts` and @platformatic/kafka in `platformatic-adapter.ts`; `client-registry.ts` picks
 * one (`kafka.client` / RATESTREAM_KAFKA_CLIENT). Both pass test/integration/kafka-port-contract.test.ts.
 *
 * Conventions
 * - Offsets are int64 decimal strings (never JS numbers).
 * - A committed offset is the NEXT offset to consume (last processed offset + 1), as in Kafka itself.
 * - Timestamps are epoch-millisecond decimal strings.
 * - Keys are bytes or strings; values are bytes, or null for a tombstone (compacted topics).
 * - Exactly-once consume→produce→commit: one TransactionalProducer per input partition (transactional id derived
 *   from group + topic + partition), `sendOffsets` inside the transaction, consumers read_committed. kafkajs cannot
 *   fence by consumer generation (KIP-447), so fencing relies on the per-partition transactional id: a new owner of
 *   the partition initialises the same id and the old owner's transaction fails on commit. Where the port says
 *   `fencesByGeneration`, `sendOffsets(consumer.groupMetadata(), …)` also makes the broker refuse the offsets of a
 *   member that was rebalanced out (ILLEGAL_GENERATION).
 */

// ------------------------------------------------------------------------------------------------------------------
// connection

export interface KafkaTlsOptions {
  /** PEM CA bundle(s); omit to use the system CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM client certificate for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  /** Default true. Only turn off against a test broker. */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface KafkaSaslOptions {
  mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
  username: string;
  password: string;
}

export interface KafkaConnectionOptions {
  /** host:port bootstrap list. */
  brokers: string[];
  clientId?: string;
  /** true = TLS with system CAs; an object for custom CAs or mutual TLS. */
  tls?: boolean | KafkaTlsOptions;
  /** SASL over the connection (use together with tls outside a trusted network). */
  sasl?: KafkaSaslOptions;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: { retries?: number; initialRetryTimeMs?: number; maxRetryTimeMs?: number };
}

// ------------------------------------------------------------------------------------------------------------------
// records

/** Headers to send. */
export type KafkaHeadersIn = Record<string, Buffer | string>;
/** Headers received. A key repeated in one record keeps its last value. */
export type KafkaHeadersOut = Record<string, Buffer>;

export interface ProducerRecord {
  topic: string;
  key: Buffer | string | null;
  /** null = tombstone */
  value: Buffer | null;
  headers?: KafkaHeadersIn;
  /** Explicit partition; otherwise the Java-compatible murmur2 partitioner on the key. */
  partition?: number;
  /** Epoch ms; default: now (producer side). */
  timestamp?: string;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /**
   * Offset of the first record written to this partition by the call (absent if the broker did not say, or when the
   * adapter sent the call together with other concurrent calls in one request).
   */
  baseOffset?: string;
}

export interface ConsumedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaHeadersOut;
  timestamp: string;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to consume. */
  offset: string;
  /**
   * Committed with the offset (consumer commits only; at most a few hundred characters). The sink uses it to record
   * the end of the batch it is about to insert, so a restart cuts the same batch again (same dedup token).
   */
  metadata?: string;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
  /** Metadata committed with the offset (absent when none). */
  metadata?: string;
}

// ------------------------------------------------------------------------------------------------------------------
// admin

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Shorthand for config['cleanup.policy'] = 'compact'. */
  compact?: boolean;
  /** Topic configs, e.g. { 'retention.ms': '604800000', 'min.insync.replicas': '2' }. */
  config?: Record<string, string>;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

/** A consumer group's state as the broker names it (classic group protocol); 'Unknown' for anything else. */
export type GroupState = 'Stable' | 'PreparingRebalance' | 'CompletingRebalance' | 'Empty' | 'Dead' | 'Unknown';

export interface GroupDescription {
  groupId: string;
  /** 'Dead' for a group that does not exist (or no longer does) */
  state: GroupState;
  /**
   * The group's assignor (protocol) name, e.g. `rs-copartition` (co-partition.ts) or kafkajs' `RoundRobinAssigner`;
   * the broker tells it only while the group is Stable (absent otherwise).
   */
  protocol?: string;
  /** live members (a killed process's member stays until its session times out) */
  members: number;
  /**
   * the topics each live member subscribed, from its JoinGroup metadata (the consumer protocol's topic list; empty for
   * a member whose metadata does not decode); absent when the group has no members
   */
  memberTopics?: string[][];
}

export interface KafkaAdmin {
  connect(): Promise<void>;
  /**
   * Creates the missing topics and waits for their leaders. An existing topic with fewer partitions than asked is
   * an error (per-partition state would be split differently); configs of existing topics are not altered.
   */
  ensureTopics(topics: readonly TopicSpec[]): Promise<EnsureTopicsResult>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Log-end offsets (high watermarks) per partition. */
  endOffsets(topic: string): Promise<PartitionOffset[]>;
  /** Committed offsets of a group for a topic; '-1' where nothing is committed. */
  committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]>;
  /** A consumer group's state, protocol and member count (DescribeGroups); a group that does not exist is 'Dead' with no members. */
  describeGroup(groupId: string): Promise<GroupDescription>;
  disconnect(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------------------------
// producers

export interface ProducerOptions {
  /** No duplicates when a send is retried (acks=all). Default false: at-least-once with acks=all. */
  idempotent?: boolean;
}

export interface SendOptions {
  /** -1 = all in-sync replicas (default), 1 = leader, 0 = none. */
  acks?: -1 | 0 | 1;
  timeoutMs?: number;
  compression?: 'none' | 'gzip';
}

export interface KafkaProducer {
  connect(): Promise<void>;
  /**
   * Sends a batch (any mix of topics and partitions) and resolves once acknowledged. Concurrent calls are allowed
   * (an idempotent producer may send them together in one request). A failed call may have been written in part:
   * sending it again is at least once.
   */
  send(records: readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

export interface TransactionalProducerOptions {
  /** Stable per unit of work, e.g. `${groupId}.${topic}.${partition}`; reusing it fences the previous holder. */
  transactionalId: string;
  /** Broker aborts a transaction left open longer than this. Default 60000. */
  transactionTimeoutMs?: number;
}

/**
 * A consumer-group member's identity for a transactional offset commit (KIP-447). With it, a client that supports
 * generation fencing has the broker refuse the commit when the member was rebalanced out meanwhile (ILLEGAL_GENERATION
 * / FENCED_INSTANCE_ID), whatever the transactional id. Adapters that cannot send it ignore it (see
 * KafkaPort.fencesByGeneration).
 */
export interface ConsumerGroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
}

export interface KafkaTransaction {
  send(records: readonly ProducerRecord[], options?: Omit<SendOptions, 'acks'>): Promise<RecordMetadata[]>;
  /**
   * Commits consumer-group offsets as part of this transaction (offset = next offset to consume). Pass the consuming
   * member's `groupMetadata()` instead of the bare group id to fence by generation where the client supports it.
   */
  sendOffsets(group: string | ConsumerGroupMetadata, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

export interface TransactionalProducer {
  readonly transactionalId: string;
  connect(): Promise<void>;
  /**
   * Starts a transaction (one at a time per producer). If commit or abort fails (e.g. fenced by a newer holder of
   * the same transactional id), discard this producer: disconnect it and create a new one.
   */
  begin(): Promise<KafkaTransaction>;
  disconnect(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------------------------
// consumer-group member

export interface ConsumerOptions {
  groupId: string;
  /** Default 'read_committed': records of open or aborted transactions are never delivered. */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Where to start when the group has no committed offset for a partition: earliest (true, default) or latest. */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  maxWaitTimeMs?: number;
  minBytes?: number;
  maxBytes?: number;
  maxBytesPerPartition?: number;
  /** How many partitions' batches may be handled at the same time. Default 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * Accumulate a partition's fetches into one batch of at least this many value bytes before handing it over, unless
   * its oldest record was fetched `batchMaxAgeMs` ago (the latency bound): fewer, bigger batches (one transaction
   * each) when records trickle in. Default 0 = every fetch is a batch. The platformatic adapter honours it; kafkajs
   * hands over its own fetches (its `minBytes` / `maxWaitTimeMs` still apply).
   */
  batchMinBytes?: number;
  /** the longest a fetched record waits for `batchMinBytes` (default 500 ms) */
  batchMaxAgeMs?: number;
  /**
   * Co-partitioned assignment (default false: the client's round robin over all topic-partitions). When true, the
   * group assigns partition k of every subscribed topic to the same member: members sorted by member id, slot k
   * (partition k of each topic) goes to sorted[k % members], which gets partition k of every topic it subscribed that
   * has one (co-partition.ts; meant for topics with equal partition counts, e.g. a stage whose per-partition state is
   * shared by several inputs keyed alike). A topic partition whose slot owner did not subscribe that topic stays
   * unassigned (logged as a warning) until the members' subscriptions agree.
   *
   * The group protocol (assignor) name is `rs-copartition` on both clients, so kafkajs and platformatic members can
   * share such a group. Every member of a group must use the same setting: the broker refuses a JoinGroup whose
   * protocols have none in common with the group's (INCONSISTENT_GROUP_PROTOCOL), so a member with the default
   * assignor cannot join a co-partitioned group (nor the reverse) and silently split the slots; it fails to join and
   * is reported through onCrash while the group is not empty.
   */
  coPartitioned?: boolean;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  /** Log-end offset of the partition when fetched (lag = highWatermark - last offset - 1). */
  highWatermark: string;
  /** Never empty. */
  messages: ConsumedMessage[];
}

export interface BatchContext {
  /** Call during long work so the group does not consider this member dead. */
  heartbeat(): Promise<void>;
  /** False once disconnect() was called: finish quickly. */
  isRunning(): boolean;
  /** True when this partition was seeked/reassigned meanwhile: drop the rest of the batch. */
  isStale(): boolean;
}

/**
 * Handles one partition's batch. Returning = the batch is done and the member's position moves past it (nothing is
 * committed: use commitOffsets or a transaction's sendOffsets). Throwing = the batch is delivered again after a
 * back-off (and, after the retries, the member restarts; see onCrash).
 */
export type BatchHandler = (batch: ConsumedBatch, context: BatchContext) => Promise<void>;

export type PartitionsListener = (partitions: TopicPartition[]) => Promise<void> | void;

export interface KafkaConsumer {
  connect(): Promise<void>;
  /** Call before run(). */
  subscribe(topics: readonly string[]): Promise<void>;
  /**
   * Joins the group and resolves once the first assignment is known; batches are then handed to the handler. If the
   * join fails, run() still resolves and onCrash listeners are told (the member restarts when the error is retriable).
   */
  run(handler: BatchHandler): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Moves this member's position (does not commit). */
  seek(position: TopicPartitionOffset): void;
  /** Commits offsets for this group outside any transaction. Only while running (after run()). */
  commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /**
   * Newly assigned partitions. A partition's batches reach the handler only after its listeners have resolved, so
   * this is the place to restore per-partition state. A listener may seek(): batches fetched before are dropped.
   * Exactly-once: create the partition's transactional producer and begin() once here (that fences the previous
   * owner and settles its open transaction), then read committedOffsets and seek to them; kafkajs' own offset fetch
   * may predate that settlement (it cannot ask for stable offsets, KIP-447).
   */
  onPartitionsAssigned(listener: PartitionsListener): void;
  /**
   * Partitions no longer assigned. kafkajs uses eager rebalancing with no revocation callback: they are reported
   * once the new assignment is known, and on disconnect. Correctness must come from transactional fencing, not from
   * this hook.
   */
  onPartitionsRevoked(listener: PartitionsListener): void;
  /**
   * The member failed (after retries); restart tells whether it restarts by itself. A member the broker forgot
   * (UNKNOWN_MEMBER_ID, e.g. its session expired while the broker was down) rejoins by itself under a new member id;
   * on platformatic its partitions are then reported revoked and assigned again (the listeners rebuild their state);
   * kafkajs reports only assignment changes and relies on the per-partition transactional ids' fencing.
   */
  onCrash(listener: (error: Error, restart: boolean) => void): void;
  assignment(): TopicPartition[];
  /** This member's group identity right now (generation -1 and member id '' before it joined). */
  groupMetadata(): ConsumerGroupMetadata;
  disconnect(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------------------------

/** The Kafka clients that can sit behind the port (see client-registry.ts). */
export type KafkaClientName = 'kafkajs' | 'platformatic';

export interface KafkaPort {
  readonly client: KafkaClientName;
  /** True when sendOffsets(groupMetadata, …) fences a rebalanced-out member by generation (KIP-447). */
  readonly fencesByGeneration: boolean;
  admin(): KafkaAdmin;
  producer(options?: ProducerOptions): KafkaProducer;
  transactionalProducer(options: TransactionalProducerOptions): TransactionalProducer;
  consumer(options: ConsumerOptions): KafkaConsumer;
}
