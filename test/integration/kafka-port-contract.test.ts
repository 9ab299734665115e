/**
 * The Kafka port's contract, run against every adapter in the client registry on the real broker: produce/consume
 * round trip (keys, headers, tombstone, explicit partition, commit with metadata), transactions (commit; abort, also
 * several aborts by one producer, invisible to read_committed), consume→produce→commit with the offsets sent to the
 * transaction, pause/resume, seek from an assignment listener, and a rebalance between two members that keeps
 * exactly-once output, and a member the broker forgot (removed from the group: UNKNOWN_MEMBER_ID) rejoining under a
 * new member id with exactly-once output, and the co-partitioned assignment (`coPartitioned`: partition k of every
 * subscribed topic on one member; a member with the default assignor refused by the group), and describeGroup (state,
 * protocol, members). Both clients put a key on the same partition (Java murmur2), so they can share topics.
 * (Supersedes the former kafka-smoke test, which ran the same checks on kafkajs only.)
 */
import { Admin } from '@platformatic/kafka';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_CLIENTS } from '../../engine/runtime/kafka/client-registry.ts';
import type {
  ConsumedBatch,
  ConsumedMessage,
  ConsumerOptions,
  KafkaAdmin,
  KafkaConsumer,
  KafkaPort,
  TopicPartition,
  TransactionalProducer,
} from '../../engine/runtime/kafka/port.ts';
import { kafkaBrokers, uniqueName } from '../setup/env.ts';

const logger = pino({ level: 'warn' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Got = ConsumedMessage & TopicPartition;

/** A running group member that records what it receives; `until` waits for a condition on the records. */
async function member(port: KafkaPort, topic: string | readonly string[], options: ConsumerOptions, onBatch?: (batch: ConsumedBatch, consumer: KafkaConsumer) => Promise<void>) {
  const consumer = port.consumer({ maxWaitTimeMs: 200, ...options });
  const got: Got[] = [];
  const assigned: TopicPartition[] = [];
  const revoked: TopicPartition[] = [];
  let batchesBeforeAssigned = 0;
  consumer.onPartitionsAssigned(async (tps) => {
    await sleep(50); // a slow "state restore": batches must wait for it
    assigned.push(...tps);
  });
  consumer.onPartitionsRevoked((tps) => {
    revoked.push(...tps);
  });
  await consumer.connect();
  await consumer.subscribe(typeof topic === 'string' ? [topic] : topic);
  await consumer.run(async (batch) => {
    if (assigned.length === 0) batchesBeforeAssigned++;
    await onBatch?.(batch, consumer);
    got.push(...batch.messages.map((m) => ({ ...m, topic: batch.topic, partition: batch.partition })));
  });
  const until = async (cond: () => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out; received ${got.length} records`);
      await sleep(50);
    }
  };
  return { consumer, got, assigned, revoked, until, batchesBeforeAssigned: () => batchesBeforeAssigned };
}

/** Reads a topic from the beginning until `count` records arrived, then leaves (a throwaway group). */
async function readAll(port: KafkaPort, topic: string, count: number, isolation: ConsumerOptions['isolation'] = 'read_committed'): Promise<Got[]> {
  const m = await member(port, topic, { groupId: uniqueName('g-read'), isolation });
  try {
    await m.until(() => m.got.length >= count);
    await sleep(300); // anything beyond `count` would show up too
    return m.got;
  } finally {
    await m.consumer.disconnect();
  }
}

/** a member's partitions of one topic, ascending */
const partitionsOf = (c: KafkaConsumer, topic: string) => c.assignment().filter((x) => x.topic === topic).map((x) => x.partition).sort((x, y) => x - y);
/** orders members as the co-partitioning assignment does: by member id */
const byMemberId = (x: { consumer: KafkaConsumer }, y: { consumer: KafkaConsumer }) => (x.consumer.groupMetadata().memberId < y.consumer.groupMetadata().memberId ? -1 : 1);

const values = (ms: readonly ConsumedMessage[]) => ms.map((m) => m.value?.toString() ?? null);
const next = (m: ConsumedMessage) => (BigInt(m.offset) + 1n).toString();

/**
 * A transactional consume→produce→commit member: one transactional id per input partition (fences the previous owner
 * on begin), the input offsets sent with the member's group metadata; a failed transaction discards its producer.
 */
async function txMember(port: KafkaPort, input: string, output: string, groupId: string, name: string) {
  const txps = new Map<number, TransactionalProducer>();
  const m = await member(port, input, { groupId, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 20_000 }, async (batch, consumer) => {
    let txp = txps.get(batch.partition);
    if (!txp) {
      txp = port.transactionalProducer({ transactionalId: `${groupId}.${batch.partition}` });
      await txp.connect();
      txps.set(batch.partition, txp);
    }
    const tx = await txp.begin();
    try {
      await tx.send(batch.messages.map((x) => ({ topic: output, key: x.key, value: Buffer.from(`${x.value!.toString()}`), headers: { by: name } })));
      await tx.sendOffsets(consumer.groupMetadata(), [{ topic: input, partition: batch.partition, offset: next(batch.messages[batch.messages.length - 1]!) }]);
      await tx.commit();
    } catch (err) {
      await txp.disconnect().catch(() => undefined);
      txps.delete(batch.partition);
      throw err;
    }
  });
  m.consumer.onPartitionsRevoked(async (tps) => {
    for (const tp of tps) {
      await txps.get(tp.partition)?.disconnect().catch(() => undefined);
      txps.delete(tp.partition);
    }
  });
  const stop = async () => {
    await m.consumer.disconnect();
    for (const txp of txps.values()) await txp.disconnect().catch(() => undefined);
  };
  return { ...m, stop };
}

describe.each(KAFKA_CLIENTS.map((c) => [c.name, c] as const))('kafka port contract: %s', (_name, spec) => {
  let port: KafkaPort;
  let admin: KafkaAdmin;
  const topics: string[] = [];
  const topic = async (prefix: string, partitions: number) => {
    const t = uniqueName(`contract-${spec.name}-${prefix}`);
    await admin.ensureTopics([{ topic: t, partitions }]);
    topics.push(t);
    return t;
  };

  beforeAll(async () => {
    port = await spec.create({ brokers: kafkaBrokers(), clientId: `contract-${spec.name}` }, { logger });
    admin = port.admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (topics.length) await admin?.deleteTopics(topics).catch(() => undefined);
    await admin?.disconnect();
  });

  it('ensureTopics creates missing topics, is idempotent, refuses too few partitions', async () => {
    const a = uniqueName(`contract-${spec.name}-admin`);
    const b = uniqueName(`contract-${spec.name}-changelog`);
    topics.push(a, b);
    expect(await admin.ensureTopics([{ topic: a, partitions: 3 }, { topic: b, partitions: 1, compact: true }])).toEqual({ created: [a, b], existing: [] });
    expect(await admin.ensureTopics([{ topic: a, partitions: 3 }])).toEqual({ created: [], existing: [a] });
    await expect(admin.ensureTopics([{ topic: a, partitions: 4 }])).rejects.toThrow(/has 3 partitions, 4 required/);
    expect(await admin.endOffsets(a)).toEqual([0, 1, 2].map((partition) => ({ partition, offset: '0' })));
    expect((await admin.listTopics()).filter((t) => t === a || t === b).sort()).toEqual([a, b].sort());
  });

  it('ensureTopics from processes started together: each of them succeeds (one creates, the others find it created)', async () => {
    // serve processes of one deployment start at once and each ensures the same topics; the broker answers the
    // later creations TOPIC_ALREADY_EXISTS. Under load its metadata may not list the topic yet: a serve process of
    // bench/streaming-e2e.sh exited on that (session 2026-12-07). This runs the path on every adapter; the lag itself
    // is not reproduced on demand, which is why the adapters trust the error code rather than a second listing.
    const others = await Promise.all([1, 2, 3].map(async (i) => {
      const p = await spec.create({ brokers: kafkaBrokers(), clientId: `contract-${spec.name}-race-${i}` }, { logger });
      const a = p.admin();
      await a.connect();
      return a;
    }));
    try {
      for (let round = 0; round < 3; round++) {
        const specs = [{ topic: uniqueName(`contract-${spec.name}-race-raw`), partitions: 4 }, { topic: uniqueName(`contract-${spec.name}-race-udr`), partitions: 4 }];
        topics.push(...specs.map((s) => s.topic));
        const results = await Promise.all([admin, ...others].map((a) => a.ensureTopics(specs)));
        // every topic was created by someone, and no process failed
        for (const s of specs) expect(results.some((r) => r.created.includes(s.topic))).toBe(true);
        for (const s of specs) expect(await admin.endOffsets(s.topic)).toHaveLength(4);
      }
    } finally {
      await Promise.all(others.map((a) => a.disconnect()));
    }
  });

  it('round trip: keys, headers, a tombstone, an explicit partition; offsets committed with metadata', async () => {
    const t = await topic('plain', 2);
    const groupId = uniqueName('g-plain');
    const producer = port.producer({ idempotent: true });
    await producer.connect();
    const meta = await producer.send(
      Array.from({ length: 20 }, (_, i) => ({
        topic: t,
        key: `acct-${i % 5}`,
        value: i === 19 ? null : Buffer.from(`v${i}`),
        headers: { source: 'contract', seq: Buffer.from(String(i)) },
      })),
    );
    expect(meta.length).toBeGreaterThan(0);
    expect(meta.every((m) => m.topic === t && m.baseOffset !== undefined)).toBe(true);
    await producer.send([{ topic: t, key: Buffer.from('explicit'), value: Buffer.from('p1'), partition: 1 }]);
    await producer.disconnect();

    const m = await member(port, t, { groupId }, async (batch, consumer) => {
      const last = batch.messages[batch.messages.length - 1]!;
      await consumer.commitOffsets([{ topic: t, partition: batch.partition, offset: next(last), metadata: `end=${last.offset}` }]);
    });
    await m.until(() => m.got.length >= 21);
    await m.consumer.disconnect();
    expect(m.got).toHaveLength(21);
    expect(m.batchesBeforeAssigned()).toBe(0);
    expect(m.assigned.map((tp) => tp.partition).sort()).toEqual([0, 1]);

    const byKey = new Map<string, Set<number>>();
    for (const g of m.got) byKey.set(g.key!.toString(), (byKey.get(g.key!.toString()) ?? new Set()).add(g.partition));
    for (const parts of byKey.values()) expect(parts.size).toBe(1);
    expect(m.got.find((g) => g.key!.toString() === 'explicit')!.partition).toBe(1);
    for (const p of [0, 1]) {
      const offs = m.got.filter((g) => g.partition === p).map((g) => BigInt(g.offset));
      expect(offs).toEqual([...offs].sort((x, y) => (x < y ? -1 : 1)));
    }
    const seq = m.got.filter((g) => g.headers.seq).map((g) => Number(g.headers.seq!.toString()));
    expect(seq.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(m.got.filter((g) => g.headers.seq).every((g) => g.headers.source?.toString() === 'contract')).toBe(true);
    const tomb = m.got.find((g) => g.headers.seq?.toString() === '19')!;
    expect(tomb.value).toBeNull();
    expect(Number(tomb.timestamp)).toBeGreaterThan(Date.now() - 120_000);

    const end = await admin.endOffsets(t);
    const committed = await admin.committedOffsets(groupId, t);
    expect(committed.map(({ partition, offset }) => ({ partition, offset }))).toEqual(end);
    expect(committed.map((c) => c.metadata)).toEqual(end.map((e) => `end=${BigInt(e.offset) - 1n}`));
  });

  it('transactions: committed records are visible, aborted ones never reach read_committed readers', async () => {
    const t = await topic('abort', 1);
    const tp = port.transactionalProducer({ transactionalId: uniqueName(`tx-abort-${spec.name}`) });
    await tp.connect();
    const writeTx = async (vals: string[], commit: boolean) => {
      const tx = await tp.begin();
      expect(tx.isActive()).toBe(true);
      await tx.send(vals.map((v) => ({ topic: t, key: 'k', value: Buffer.from(v), headers: { tx: commit ? 'commit' : 'abort' } })));
      if (commit) await tx.commit();
      else await tx.abort();
      expect(tx.isActive()).toBe(false);
    };
    // several aborts by the same producer, interleaved with commits
    await writeTx(['a1', 'a2'], false);
    await writeTx(['c1'], true);
    await writeTx(['a3'], false);
    await writeTx(['c2', 'c3'], true);
    await writeTx(['a4'], false);
    // a transaction that wrote nothing can be aborted too (the fence of a new owner does that)
    const empty = await tp.begin();
    await empty.abort();
    await tp.disconnect();

    expect(values(await readAll(port, t, 3))).toEqual(['c1', 'c2', 'c3']);
    expect(values(await readAll(port, t, 7, 'read_uncommitted'))).toEqual(['a1', 'a2', 'c1', 'a3', 'c2', 'c3', 'a4']);
  });

  it('a new producer instance with the same transactional id takes over: it fences the old one and settles its transaction', async () => {
    const t = await topic('fence', 1);
    const id = uniqueName(`tx-fence-${spec.name}`);
    const old = port.transactionalProducer({ transactionalId: id });
    await old.connect();
    const first = await old.begin();
    await first.send([{ topic: t, key: 'k', value: Buffer.from('committed-before') }]);
    await first.commit();
    const open = await old.begin();
    await open.send([{ topic: t, key: 'k', value: Buffer.from('left-open') }]);
    // the new owner (e.g. after a rebalance or a restart) initialises the same id
    const owner = port.transactionalProducer({ transactionalId: id });
    await owner.connect();
    const tx = await owner.begin();
    await tx.send([{ topic: t, key: 'k', value: Buffer.from('new-owner') }]);
    await tx.commit();
    await expect(open.commit()).rejects.toThrow();
    await old.disconnect().catch(() => undefined);
    await owner.disconnect();
    expect(values(await readAll(port, t, 2))).toEqual(['committed-before', 'new-owner']);
  });

  it('sendOffsets with a member\'s group metadata: fenced by generation (KIP-447) exactly when the port says so', async () => {
    const input = await topic('gen-in', 1);
    const groupId = uniqueName('g-gen');
    const producer = port.producer();
    await producer.connect();
    await producer.send([{ topic: input, key: 'k', value: Buffer.from('v') }]);
    await producer.disconnect();
    const m = await member(port, input, { groupId });
    await m.until(() => m.got.length >= 1);
    const current = m.consumer.groupMetadata();
    expect(current.groupId).toBe(groupId);
    const txp = port.transactionalProducer({ transactionalId: uniqueName(`tx-gen-${spec.name}`) });
    await txp.connect();
    const offsets = [{ topic: input, partition: 0, offset: '1' }];
    if (port.fencesByGeneration) {
      expect(current.generationId).toBeGreaterThan(0);
      expect(current.memberId).not.toBe('');
      // a member that was rebalanced out still holds its old generation: its offsets are refused
      const stale = await txp.begin();
      await expect((async () => {
        await stale.sendOffsets({ ...current, generationId: current.generationId + 1 }, offsets);
        await stale.commit();
      })()).rejects.toThrow(/ILLEGAL_GENERATION|generation/i);
      await txp.disconnect().catch(() => undefined);
      const txp2 = port.transactionalProducer({ transactionalId: uniqueName(`tx-gen2-${spec.name}`) });
      await txp2.connect();
      const ok = await txp2.begin();
      await ok.sendOffsets(m.consumer.groupMetadata(), offsets);
      await ok.commit();
      await txp2.disconnect();
    } else {
      // no generation in TxnOffsetCommit: the stale member's commit goes through (fencing relies on transactional ids)
      const tx = await txp.begin();
      await tx.sendOffsets({ ...current, generationId: 12345 }, offsets);
      await tx.commit();
      await txp.disconnect();
    }
    await expect.poll(async () => (await admin.committedOffsets(groupId, input)).map((o) => o.offset), { timeout: 15_000, interval: 100 }).toEqual(['1']);
    await m.consumer.disconnect();
  });

  it('consume → produce → sendOffsets → commit: the input offsets are committed by the transaction', async () => {
    const input = await topic('cpc-in', 2);
    const output = await topic('cpc-out', 2);
    const groupId = uniqueName('g-cpc');
    const producer = port.producer();
    await producer.connect();
    await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic: input, key: `k${i % 7}`, value: Buffer.from(String(i)) })));
    await producer.disconnect();

    const txps = new Map<number, TransactionalProducer>();
    let aborted = 0;
    const m = await member(port, input, { groupId }, async (batch, consumer) => {
      let txp = txps.get(batch.partition);
      if (!txp) {
        txp = port.transactionalProducer({ transactionalId: `${groupId}.${batch.partition}` });
        await txp.connect();
        txps.set(batch.partition, txp);
      }
      // the first batch's transaction is aborted once: its records must not appear, its offsets not move
      const abortThis = aborted === 0;
      const tx = await txp.begin();
      await tx.send(batch.messages.map((x) => ({ topic: output, key: x.key, value: Buffer.from(`x${x.value!.toString()}`) })));
      await tx.sendOffsets(consumer.groupMetadata(), [{ topic: input, partition: batch.partition, offset: next(batch.messages[batch.messages.length - 1]!) }]);
      if (abortThis) {
        aborted++;
        await tx.abort();
        consumer.seek({ topic: input, partition: batch.partition, offset: batch.messages[0]!.offset });
        return;
      }
      await tx.commit();
    });
    const end = await admin.endOffsets(input);
    await expect.poll(async () => (await admin.committedOffsets(groupId, input)).map(({ partition, offset }) => ({ partition, offset })), { timeout: 60_000, interval: 200 }).toEqual(end);
    await m.consumer.disconnect();
    for (const txp of txps.values()) await txp.disconnect();
    expect(aborted).toBe(1);
    const out = await readAll(port, output, 30);
    expect(values(out).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `x${i}`).sort());
  });

  it('pause stops a partition\'s batches, resume brings them back; other partitions keep flowing', async () => {
    const t = await topic('pause', 2);
    const producer = port.producer();
    await producer.connect();
    const produce = (partition: number, from: number) =>
      producer.send(Array.from({ length: 5 }, (_, i) => ({ topic: t, key: null, value: Buffer.from(`p${partition}-${from + i}`), partition })));
    await produce(0, 0);
    await produce(1, 0);
    let paused = false;
    const m = await member(port, t, { groupId: uniqueName('g-pause') }, async (batch, consumer) => {
      if (batch.partition === 0 && !paused) {
        paused = true;
        consumer.pause([{ topic: t, partition: 0 }]);
      }
    });
    await m.until(() => m.got.filter((g) => g.partition === 0).length >= 5 && m.got.filter((g) => g.partition === 1).length >= 5);
    await produce(0, 5);
    await produce(1, 5);
    await m.until(() => m.got.filter((g) => g.partition === 1).length >= 10);
    await sleep(1000); // partition 0's new records would have arrived by now had it not been paused
    expect(m.got.filter((g) => g.partition === 0)).toHaveLength(5);
    m.consumer.resume([{ topic: t, partition: 0 }]);
    await m.until(() => m.got.filter((g) => g.partition === 0).length >= 10);
    await m.consumer.disconnect();
    await producer.disconnect();
    expect(values(m.got.filter((g) => g.partition === 0))).toEqual(Array.from({ length: 10 }, (_, i) => `p0-${i}`));
  });

  it('batchMinBytes gathers a partition\'s fetches into fewer batches; a batch short of it still comes after batchMaxAgeMs; nothing lost or repeated', async () => {
    const t = await topic('gather', 1);
    const producer = port.producer();
    await producer.connect();
    // 20 record batches of 5 records; a fetch of at most 64 bytes per partition returns one record batch at a time
    for (let s = 0; s < 20; s++) await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic: t, key: null, value: Buffer.from(`r-${String(s * 5 + i).padStart(3, '0')}`) })));
    await producer.disconnect();
    const sizes: number[] = [];
    // 330 value bytes = 66 records: the first batch waits for that many, the other 34 records come after the age bound
    const m = await member(port, t, { groupId: uniqueName('g-gather'), maxBytesPerPartition: 64, batchMinBytes: 330, batchMaxAgeMs: 1000 }, async (batch) => {
      sizes.push(batch.messages.length);
    });
    await m.until(() => m.got.length >= 100);
    await sleep(300);
    await m.consumer.disconnect();
    expect(values(m.got)).toEqual(Array.from({ length: 100 }, (_, i) => `r-${String(i).padStart(3, '0')}`));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(100);
    // platformatic gathers (kafkajs hands over its own fetches: the option is documented as platformatic's)
    if (spec.name === 'platformatic') expect(sizes.length).toBeLessThan(20);
  });

  it('an assignment listener can seek; batches fetched before the seek are dropped', async () => {
    const t = await topic('seek', 1);
    const producer = port.producer();
    await producer.connect();
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: t, key: null, value: Buffer.from(String(i)) })));
    await producer.disconnect();
    const consumer = port.consumer({ groupId: uniqueName('g-seek'), maxWaitTimeMs: 200 });
    consumer.onPartitionsAssigned(async (tps) => {
      await sleep(300);
      for (const tp of tps) consumer.seek({ ...tp, offset: '6' });
    });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe([t]);
    await consumer.run(async (batch) => {
      seen.push(...batch.messages.map((x) => x.offset));
    });
    const deadline = Date.now() + 30_000;
    while (!seen.includes('9') && Date.now() < deadline) await sleep(50);
    await consumer.disconnect();
    expect(seen).toEqual(['6', '7', '8', '9']);
  });

  it('rebalance with two members: partitions are split, revocations reported, output stays exactly once', async () => {
    const input = await topic('reb-in', 4);
    const output = await topic('reb-out', 4);
    const groupId = uniqueName('g-reb');
    const producer = port.producer();
    await producer.connect();
    const produce = (from: number) => producer.send(Array.from({ length: 40 }, (_, i) => ({ topic: input, key: `k${from + i}`, value: Buffer.from(String(from + i)) })));

    const start = (name: string) => txMember(port, input, output, groupId, name);
    await produce(0);
    const a = await start('a');
    await a.until(() => a.got.length >= 40);
    expect(a.consumer.assignment()).toHaveLength(4);
    const b = await start('b');
    const split = () => {
      const pa = a.consumer.assignment().map((x) => x.partition);
      const pb = b.consumer.assignment().map((x) => x.partition);
      return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 4 && new Set([...pa, ...pb]).size === 4;
    };
    await a.until(split, 90_000);
    await produce(40);
    const end = await admin.endOffsets(input);
    await expect.poll(async () => (await admin.committedOffsets(groupId, input)).map(({ partition, offset }) => ({ partition, offset })), { timeout: 90_000, interval: 250 }).toEqual(end);
    expect(a.revoked.length).toBeGreaterThan(0);
    expect(b.got.length).toBeGreaterThan(0);
    await b.stop();
    await a.stop();
    await producer.disconnect();
    const out = await readAll(port, output, 80);
    expect(values(out).map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 80 }, (_, i) => i));
  });

  it('a member removed from the group (UNKNOWN_MEMBER_ID) rejoins under a new member id and resumes; output stays exactly once', async () => {
    const input = await topic('rejoin-in', 2);
    const output = await topic('rejoin-out', 2);
    const groupId = uniqueName('g-rejoin');
    const producer = port.producer();
    await producer.connect();
    const produce = (from: number) => producer.send(Array.from({ length: 20 }, (_, i) => ({ topic: input, key: `k${from + i}`, value: Buffer.from(String(from + i)) })));
    const committedAll = async () => {
      const end = await admin.endOffsets(input);
      await expect.poll(async () => (await admin.committedOffsets(groupId, input)).map(({ partition, offset }) => ({ partition, offset })), { timeout: 90_000, interval: 250 }).toEqual(end);
    };
    await produce(0);
    const a = await txMember(port, input, output, groupId, 'a');
    await committedAll();
    const before = a.consumer.groupMetadata();
    expect(before.memberId).not.toBe('');
    // the broker forgets the member, as when its session expired (LeaveGroup by member id, from outside the member)
    const kicker = new Admin({ clientId: `contract-kicker-${spec.name}`, bootstrapBrokers: kafkaBrokers() });
    try {
      await kicker.removeMembersFromConsumerGroup({ groupId, members: [{ memberId: before.memberId }] });
    } finally {
      await kicker.close();
    }
    await produce(20);
    await committedAll();
    // a client without KIP-447 (kafkajs) commits through the transaction without its member id, so the new records
    // can be committed before its next heartbeat learns of the removal: the rejoin follows within a session
    await expect.poll(() => a.consumer.groupMetadata().memberId, { timeout: 60_000, interval: 250 }).not.toBe(before.memberId);
    const after = a.consumer.groupMetadata();
    expect(after.memberId).not.toBe('');
    if (port.fencesByGeneration) expect(after.generationId).toBeGreaterThan(before.generationId);
    expect(a.consumer.assignment()).toHaveLength(2);
    await a.stop();
    await producer.disconnect();
    const out = await readAll(port, output, 40);
    expect(values(out).map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('describeGroup: a missing group is Dead with no members; a running group Stable with its members, their topics and protocol (rs-copartition when coPartitioned); Empty once they left', async () => {
    const t = await topic('describe', 2);
    const none = uniqueName('g-describe-none');
    expect(await admin.describeGroup(none)).toEqual({ groupId: none, state: 'Dead', members: 0 });
    const copart = uniqueName('g-describe-copart');
    const plain = uniqueName('g-describe-plain');
    const timing = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 20_000 };
    const a = await member(port, t, { groupId: copart, coPartitioned: true, ...timing });
    const b = await member(port, t, { groupId: plain, ...timing });
    try {
      await a.until(() => a.consumer.assignment().length === 2 && b.consumer.assignment().length === 2, 60_000);
      await expect.poll(() => admin.describeGroup(copart), { timeout: 30_000, interval: 250 }).toEqual({ groupId: copart, state: 'Stable', protocol: 'rs-copartition', members: 1, memberTopics: [[t]] });
      const p = await admin.describeGroup(plain);
      // each member's subscribed topics, from its join metadata (the store guard reads the sink group's)
      expect(p).toMatchObject({ groupId: plain, state: 'Stable', members: 1, memberTopics: [[t]] });
      expect(p.protocol).toEqual(expect.any(String));
      expect(p.protocol).not.toBe('rs-copartition');
    } finally {
      await a.consumer.disconnect();
      await b.consumer.disconnect();
    }
    // leaving (LeaveGroup on disconnect): no members, and no protocol outside Stable
    await expect.poll(() => admin.describeGroup(copart), { timeout: 30_000, interval: 250 }).toEqual({ groupId: copart, state: 'Empty', members: 0 });
  });

  it('coPartitioned: partition k of both topics on one member (sorted member ids, slot k to member k % 2), all 8 covered once; a member with another assignor is refused; the leaver\'s slots go to the other', async () => {
    const A = await topic('copart-a', 4);
    const B = await topic('copart-b', 4);
    const groupId = uniqueName('g-copart');
    const producer = port.producer();
    await producer.connect();
    // two records on every partition of both topics
    await producer.send([A, B].flatMap((t) => Array.from({ length: 8 }, (_, i) => ({ topic: t, partition: i % 4, key: `k${i}`, value: Buffer.from(`${t}:${i}`) }))));
    const options: ConsumerOptions = { groupId, coPartitioned: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 20_000 };

    const a = await member(port, [A, B], options);
    await a.until(() => a.consumer.assignment().length === 8 && a.got.length >= 16);
    const b = await member(port, [A, B], options);
    const split = () => {
      const all = [a, b].flatMap((m) => m.consumer.assignment().map((x) => `${x.topic}/${x.partition}`));
      return partitionsOf(a.consumer, A).length > 0 && partitionsOf(b.consumer, A).length > 0 && all.length === 8 && new Set(all).size === 8;
    };
    await a.until(split, 90_000);
    for (const m of [a, b]) expect(partitionsOf(m.consumer, A)).toEqual(partitionsOf(m.consumer, B));
    const [first, second] = [a, b].sort(byMemberId);
    expect(partitionsOf(first!.consumer, A)).toEqual([0, 2]);
    expect(partitionsOf(second!.consumer, A)).toEqual([1, 3]);
    // batches from both topics reach the new member, only from its own partitions (it starts from the beginning: nothing committed)
    await b.until(() => b.got.length >= 8);
    expect(new Set(b.got.map((g) => g.topic))).toEqual(new Set([A, B]));
    for (const g of b.got) expect(partitionsOf(b.consumer, g.topic)).toContain(g.partition);

    // a member asking for the default assignor: the broker finds no protocol in common (INCONSISTENT_GROUP_PROTOCOL)
    const plain = port.consumer({ groupId, maxWaitTimeMs: 200, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 20_000 });
    const crashes: Error[] = [];
    plain.onCrash((err) => crashes.push(err));
    await plain.connect();
    await plain.subscribe([A, B]);
    await plain.run(async () => undefined);
    await expect.poll(() => crashes.map((e) => `${e.message} ${JSON.stringify(e)}`).join('\n'), { timeout: 60_000, interval: 250 }).toMatch(/INCONSISTENT_GROUP_PROTOCOL|protocols are incompatible/);
    expect(plain.assignment()).toEqual([]);
    await plain.disconnect();
    expect(split()).toBe(true);

    await b.consumer.disconnect();
    await a.until(() => a.consumer.assignment().length === 8, 90_000);
    expect(partitionsOf(a.consumer, A)).toEqual([0, 1, 2, 3]);
    expect(partitionsOf(a.consumer, B)).toEqual([0, 1, 2, 3]);
    await a.consumer.disconnect();
    await producer.disconnect();
  });
});

describe('kafka port contract: the clients agree on key → partition (Java murmur2)', () => {
  it('records keyed alike land on the same partitions whichever client produced them', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `rating-key-${i}`);
    const placement: Array<Map<string, number>> = [];
    for (const spec of KAFKA_CLIENTS) {
      const port = await spec.create({ brokers: kafkaBrokers(), clientId: `contract-partitioner-${spec.name}` }, { logger });
      const admin = port.admin();
      await admin.connect();
      const t = uniqueName(`contract-partitioner-${spec.name}`);
      await admin.ensureTopics([{ topic: t, partitions: 6 }]);
      const producer = port.producer();
      await producer.connect();
      await producer.send(keys.map((k) => ({ topic: t, key: k, value: Buffer.from(k) })));
      await producer.disconnect();
      const got = await readAll(port, t, keys.length);
      placement.push(new Map(got.map((g) => [g.key!.toString(), g.partition])));
      await admin.deleteTopics([t]);
      await admin.disconnect();
    }
    expect(placement[0]!.size).toBe(keys.length);
    for (const p of placement.slice(1)) expect(Object.fromEntries(p)).toEqual(Object.fromEntries(placement[0]!));
  });
});

describe('kafka port contract: a co-partitioned group may mix the clients (same protocol name and subscription layout)', () => {
  it.each([
    ['kafkajs', 'platformatic'],
    ['platformatic', 'kafkajs'],
  ])('a %s member (the leader: it joined first) and a %s member split two topics of 3 and 5 partitions co-partitioned', async (firstName, secondName) => {
    const specs = [firstName, secondName].map((n) => KAFKA_CLIENTS.find((c) => c.name === n)!);
    const ports = await Promise.all(specs.map((spec) => spec.create({ brokers: kafkaBrokers(), clientId: `contract-copart-mixed-${spec.name}` }, { logger })));
    const admin = ports[0]!.admin();
    await admin.connect();
    const A = uniqueName('contract-copart-mixed-a');
    const B = uniqueName('contract-copart-mixed-b');
    // uneven, odd counts: a round robin over all topic-partitions would not keep them together
    await admin.ensureTopics([{ topic: A, partitions: 3 }, { topic: B, partitions: 5 }]);
    const groupId = uniqueName('g-copart-mixed');
    const options: ConsumerOptions = { groupId, coPartitioned: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 20_000 };
    const members: Array<Awaited<ReturnType<typeof member>>> = [];
    try {
      members.push(await member(ports[0]!, [A, B], options));
      await members[0]!.until(() => members[0]!.consumer.assignment().length === 8, 90_000); // 3 + 5
      members.push(await member(ports[1]!, [A, B], options));
      await members[0]!.until(() => {
        const all = members.flatMap((m) => m.consumer.assignment().map((x) => `${x.topic}/${x.partition}`));
        return members.every((m) => partitionsOf(m.consumer, A).length > 0) && all.length === 8 && new Set(all).size === 8;
      }, 90_000);
      const sorted = [...members].sort(byMemberId);
      expect(sorted.map((m) => [partitionsOf(m.consumer, A), partitionsOf(m.consumer, B)])).toEqual([
        [
          [0, 2],
          [0, 2, 4],
        ],
        [[1], [1, 3]],
      ]);
    } finally {
      for (const m of members) await m.consumer.disconnect();
      await admin.deleteTopics([A, B]).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
