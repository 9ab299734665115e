/** Helpers on top of the Kafka port shared by the streaming roles. */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConsumedMessage, KafkaPort, KafkaTransaction, ProducerRecord, TopicPartition } from '../kafka/port.ts';

/** Broker default message.max.bytes is ~1 MB per record batch: keep each send call well below it. */
const MAX_SEND_BYTES = 700_000;

export function recordBytes(r: ProducerRecord): number {
  return (r.value?.length ?? 0) + (typeof r.key === 'string' ? r.key.length : (r.key?.length ?? 0)) + 64;
}

/** Sends records in chunks no larger than ~700 kB (one produce request each), in order. */
export async function sendChunked(tx: Pick<KafkaTransaction, 'send'>, records: readonly ProducerRecord[]): Promise<void> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const b = recordBytes(records[i]!);
    if (i > start && bytes + b > MAX_SEND_BYTES) {
      await tx.send(records.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += b;
  }
  if (start < records.length) await tx.send(start === 0 ? records : records.slice(start));
}

export const BARRIER_KEY = '__barrier';

export function barrierRecord(topic: string, partition: number): { record: ProducerRecord; id: string } {
  const id = randomUUID();
  return { id, record: { topic, partition, key: BARRIER_KEY, value: Buffer.from(id) } };
}

/**
 * Reads partitions of a topic from the beginning up to a barrier record (a unique value written there before, e.g.
 * in the transaction that fenced the previous owner): everything committed before the barrier is seen, in order.
 * kafkajs has no manual assignment, so a throwaway consumer group (no offsets committed) does the reading.
 */
export async function readUntilBarriers(
  port: KafkaPort,
  topic: string,
  barriers: ReadonlyMap<number, string>,
  onMessage: (partition: number, m: ConsumedMessage) => void,
  opts: { groupPrefix: string; log: Logger; timeoutMs?: number },
): Promise<void> {
  if (barriers.size === 0) return;
  const pending = new Set(barriers.keys());
  const consumer = port.consumer({ groupId: `${opts.groupPrefix}.restore.${randomUUID()}`, fromBeginning: true, maxWaitTimeMs: 100, sessionTimeoutMs: 30_000 });
  let done!: () => void;
  let fail!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => { done = res; fail = rej; });
  const timer = setTimeout(() => fail(new Error(`restore of ${topic} partitions ${[...pending].join(',')} timed out`)), opts.timeoutMs ?? 120_000);
  try {
    await consumer.connect();
    await consumer.subscribe([topic]);
    await consumer.run(async (batch) => {
      const tp: TopicPartition = { topic, partition: batch.partition };
      if (!pending.has(batch.partition)) {
        consumer.pause([tp]);
        return;
      }
      const want = barriers.get(batch.partition)!;
      for (const m of batch.messages) {
        if (m.key !== null && m.key.toString() === BARRIER_KEY) {
          if (m.value?.toString() === want) {
            pending.delete(batch.partition);
            consumer.pause([tp]);
            if (pending.size === 0) done();
            return;
          }
          continue;
        }
        onMessage(batch.partition, m);
      }
    });
    if (pending.size === 0) done();
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch((err: unknown) => opts.log.warn({ err }, 'restore consumer disconnect failed'));
  }
}

/** Retry with capped exponential back-off until `fn` succeeds or `stop()` says to give up. */
export async function withRetry<T>(fn: () => Promise<T>, opts: { maxDelayMs: number; onError?: (e: unknown, attempt: number) => void; stop?: () => boolean }): Promise<T> {
  for (let attempt = 1, delay = 50; ; attempt++, delay = Math.min(delay * 2, opts.maxDelayMs)) {
    try {
      return await fn();
    } catch (e) {
      opts.onError?.(e, attempt);
      if (opts.stop?.()) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
