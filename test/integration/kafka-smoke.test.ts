/**
 * The Kafka port against a real broker (local services, env, or testcontainers; see test/setup/global-setup.ts).
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkajsPort } from '../../engine/runtime/kafka/kafkajs-adapter.ts';
import type {
  ConsumedBatch,
  ConsumedMessage,
  ConsumerOptions,
  KafkaAdmin,
  KafkaConsumer,
  KafkaPort,
  TopicPartition,
} from '../../engine/runtime/kafka/port.ts';
import { kafkaBrokers, uniqueName } from '../setup/env.ts';

let kafka: KafkaPort;
let admin: KafkaAdmin;

beforeAll(async () => {
  kafka = createKafkajsPort({ brokers: kafkaBrokers(), clientId: 'kafka-smoke' }, { logger: pino({ level: 'warn' }) });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

interface Collected {
  messages: Array<ConsumedMessage & TopicPartition>;
  assigned: TopicPartition[];
  batchesBeforeAssigned: number;
}

/** Runs a group member until `count` messages arrived (or the timeout), then leaves the group. */
async function consume(
  topic: string,
  options: ConsumerOptions,
  count: number,
  onBatch?: (batch: ConsumedBatch, consumer: KafkaConsumer) => Promise<void>,
  timeoutMs = 30_000,
): Promise<Collected> {
  const consumer = kafka.consumer({ maxWaitTimeMs: 200, ...options });
  const got: Collected = { messages: [], assigned: [], batchesBeforeAssigned: 0 };
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  consumer.onPartitionsAssigned(async (tps) => {
    await new Promise((r) => setTimeout(r, 50)); // a slow "state restore": batches must wait for it
    got.assigned.push(...tps);
  });
  await consumer.connect();
  await consumer.subscribe([topic]);
  await consumer.run(async (batch) => {
    if (got.assigned.length === 0) got.batchesBeforeAssigned++;
    await onBatch?.(batch, consumer);
    got.messages.push(...batch.messages.map((m) => ({ ...m, topic: batch.topic, partition: batch.partition })));
    if (got.messages.length >= count) done();
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return got;
}

describe('kafka port (kafkajs adapter) against a real broker', () => {
  it('ensureTopics creates missing topics, is idempotent, refuses too few partitions', async () => {
    const a = uniqueName('smoke-admin');
    const b = uniqueName('smoke-changelog');
    const first = await admin.ensureTopics([
      { topic: a, partitions: 3 },
      { topic: b, partitions: 1, compact: true, config: { 'min.cleanable.dirty.ratio': '0.1' } },
    ]);
    expect(first).toEqual({ created: [a, b], existing: [] });
    const again = await admin.ensureTopics([{ topic: a, partitions: 3 }]);
    expect(again).toEqual({ created: [], existing: [a] });
    await expect(admin.ensureTopics([{ topic: a, partitions: 4 }])).rejects.toThrow(/has 3 partitions, 4 required/);
    expect((await admin.endOffsets(a)).map((o) => o.offset)).toEqual(['0', '0', '0']);
    await admin.deleteTopics([a, b]);
  });

  it('produces and consumes a batch with keys, headers and a tombstone; commits offsets', async () => {
    const topic = uniqueName('smoke-plain');
    const groupId = uniqueName('g-plain');
    await admin.ensureTopics([{ topic, partitions: 2 }]);
    const producer = kafka.producer();
    await producer.connect();
    const records = Array.from({ length: 20 }, (_, i) => ({
      topic,
      key: `acct-${i % 5}`,
      value: i === 19 ? null : Buffer.from(JSON.stringify({ i })),
      headers: { source: 'smoke', seq: Buffer.from(String(i)) },
    }));
    const meta = await producer.send(records);
    expect(meta.map((m) => m.topic).every((t) => t === topic)).toBe(true);
    await producer.send([{ topic, key: 'explicit', value: Buffer.from('p1'), partition: 1 }]);
    await producer.disconnect();

    // commit outside a transaction, from the running member
    const got = await consume(topic, { groupId }, 21, async (batch, consumer) => {
      const last = batch.messages[batch.messages.length - 1]!;
      await consumer.commitOffsets([
        { topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
      ]);
    });
    expect(got.messages).toHaveLength(21);
    expect(got.batchesBeforeAssigned).toBe(0);
    expect(got.assigned.map((tp) => tp.partition).sort()).toEqual([0, 1]);

    // same key -> same partition; per-partition order kept
    const byKey = new Map<string, Set<number>>();
    for (const m of got.messages) {
      const k = m.key!.toString();
      byKey.set(k, (byKey.get(k) ?? new Set()).add(m.partition));
    }
    for (const parts of byKey.values()) expect(parts.size).toBe(1);
    expect(got.messages.find((m) => m.key!.toString() === 'explicit')!.partition).toBe(1);
    for (const p of [0, 1]) {
      const offs = got.messages.filter((m) => m.partition === p).map((m) => BigInt(m.offset));
      expect(offs).toEqual([...offs].sort((x, y) => (x < y ? -1 : 1)));
    }
    const seq = got.messages.filter((m) => m.key!.toString() !== 'explicit').map((m) => Number(m.headers.seq!.toString()));
    expect(seq.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(got.messages.every((m) => m.headers.source?.toString() === 'smoke' || m.key!.toString() === 'explicit')).toBe(true);
    const tomb = got.messages.find((m) => m.headers.seq?.toString() === '19')!;
    expect(tomb.value).toBeNull();
    expect(Number(tomb.timestamp)).toBeGreaterThan(Date.now() - 120_000);
    expect(await admin.committedOffsets(groupId, topic)).toEqual(await admin.endOffsets(topic));
    await admin.deleteTopics([topic]);
  });

  it('consume -> transform -> produce -> sendOffsets -> commit, one transactional id per input partition', async () => {
    const input = uniqueName('smoke-tx-in');
    const output = uniqueName('smoke-tx-out');
    const groupId = uniqueName('g-tx');
    await admin.ensureTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
    ]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send(
      Array.from({ length: 30 }, (_, i) => ({ topic: input, key: `k${i % 7}`, value: Buffer.from(String(i)) })),
    );
    await producer.disconnect();

    const txProducers = new Map<number, ReturnType<KafkaPort['transactionalProducer']>>();
    const got = await consume(input, { groupId }, 30, async (batch) => {
      let tp = txProducers.get(batch.partition);
      if (!tp) {
        tp = kafka.transactionalProducer({ transactionalId: `${groupId}.${batch.topic}.${batch.partition}` });
        await tp.connect();
        txProducers.set(batch.partition, tp);
      }
      const tx = await tp.begin();
      try {
        await tx.send(
          batch.messages.map((m) => ({
            topic: output,
            key: m.key,
            value: Buffer.from(`x${m.value!.toString()}`),
            headers: { 'src-offset': m.offset, 'src-partition': String(batch.partition) },
          })),
        );
        const last = batch.messages[batch.messages.length - 1]!;
        await tx.sendOffsets(groupId, [
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
        ]);
        await tx.commit();
      } catch (err) {
        if (tx.isActive()) await tx.abort();
        throw err;
      }
    });
    for (const tp of txProducers.values()) await tp.disconnect();
    expect(got.messages).toHaveLength(30);

    // the transactions committed the group's offsets up to the end of the input (visible once the brokers wrote
    // the commit markers, which commit() does not wait for)
    const end = await admin.endOffsets(input);
    await expect.poll(() => admin.committedOffsets(groupId, input), { timeout: 10_000, interval: 100 }).toEqual(end);

    // a read_committed reader sees every transformed record exactly once
    const out = await consume(output, { groupId: uniqueName('g-tx-check') }, 30);
    expect(out.messages.map((m) => m.value!.toString()).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `x${i}`).sort(),
    );
    await admin.deleteTopics([input, output]);
  });

  it('an assignment listener can seek; batches fetched before the seek are dropped', async () => {
    const topic = uniqueName('smoke-seek');
    await admin.ensureTopics([{ topic, partitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic, key: null, value: Buffer.from(String(i)) })));
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('g-seek'), maxWaitTimeMs: 200 });
    consumer.onPartitionsAssigned(async (tps) => {
      await new Promise((r) => setTimeout(r, 300)); // let kafkajs fetch from offset 0 meanwhile
      for (const tp of tps) consumer.seek({ ...tp, offset: '6' });
    });
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.connect();
    await consumer.subscribe([topic]);
    await consumer.run(async (batch) => {
      seen.push(...batch.messages.map((m) => m.offset));
      if (seen.includes('9')) done();
    });
    await Promise.race([finished, new Promise((r) => setTimeout(r, 20_000))]);
    await consumer.disconnect();
    expect(seen).toEqual(['6', '7', '8', '9']);
    await admin.deleteTopics([topic]);
  });

  it('an aborted transaction is invisible to read_committed consumers', async () => {
    const topic = uniqueName('smoke-abort');
    await admin.ensureTopics([{ topic, partitions: 1 }]);
    const tp = kafka.transactionalProducer({ transactionalId: uniqueName('tx-abort') });
    await tp.connect();

    const aborted = await tp.begin();
    await aborted.send(['a1', 'a2', 'a3'].map((v) => ({ topic, key: 'k', value: Buffer.from(v) })));
    await aborted.abort();
    expect(aborted.isActive()).toBe(false);

    const committed = await tp.begin();
    await committed.send(['c1', 'c2'].map((v) => ({ topic, key: 'k', value: Buffer.from(v) })));
    await committed.commit();
    await tp.disconnect();

    // records arrive in offset order and whole batches are collected: had the aborted ones (offsets 0-2) been
    // delivered, they would come first
    const rc = await consume(topic, { groupId: uniqueName('g-rc') }, 2);
    expect(rc.messages.map((m) => m.value!.toString())).toEqual(['c1', 'c2']);

    // the aborted records were written: a read_uncommitted reader sees them
    const ru = await consume(topic, { groupId: uniqueName('g-ru'), isolation: 'read_uncommitted' }, 5);
    expect(ru.messages.map((m) => m.value!.toString())).toEqual(['a1', 'a2', 'a3', 'c1', 'c2']);
    await admin.deleteTopics([topic]);
  });
});
