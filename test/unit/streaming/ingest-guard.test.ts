/**
 * IngestGuard (engine/runtime/streaming/ingest-guard.ts) with a producer whose acknowledgements the test releases:
 * bytes count as in flight until acknowledged, a send over the budget is refused with 429 BUSY unless nothing else is
 * in flight, a failed send is 503 KAFKA_UNAVAILABLE, both with Retry-After; the budget is given back either way.
 * Over HTTP with real Kafka: test/integration/ingest-load.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { KafkaProducer, ProducerRecord, RecordMetadata } from '../../../engine/runtime/kafka/port.ts';
import { IngestGuard, IngestRefusal } from '../../../engine/runtime/streaming/ingest-guard.ts';
import { StreamMetrics } from '../../../engine/telemetry/metrics.ts';

/** a producer whose sends wait until `release()` (or fail with `fail()`) */
function heldProducer() {
  const pending: Array<{ ok: () => void; no: (e: Error) => void }> = [];
  const producer: KafkaProducer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: (records) => new Promise<RecordMetadata[]>((res, rej) => pending.push({ ok: () => res(records.map((r) => ({ topic: r.topic, partition: 0 }))), no: rej })),
  };
  return { producer, release: () => pending.shift()!.ok(), fail: (e: Error) => pending.shift()!.no(e) };
}
const recs = (bytes: number, key: string | null = null): ProducerRecord[] => [{ topic: 't', key, value: Buffer.alloc(bytes - (key?.length ?? 0)) }];
const tick = () => new Promise((r) => setImmediate(r));

describe('IngestGuard', () => {
  const guard = (max: number) => new IngestGuard({ maxInFlightBytes: max, rawTopic: () => 't', metrics: new StreamMetrics({ defaultMetrics: false }) });

  it('counts bytes in flight until acknowledged and refuses what would go over the budget', async () => {
    const g = guard(1000);
    const held = heldProducer();
    const p = g.wrap(held.producer);
    const a = p.send(recs(600, 'k1'));
    await tick();
    expect(g.inFlight).toBe(600);
    const refused = await p.send(recs(500)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IngestRefusal);
    expect(refused).toMatchObject({ statusCode: 429, code: 'BUSY', retryAfter: 1, message: 'Kafka is behind: 600 bytes are waiting for its acknowledgement (limit 1000); retry after 1 s' });
    const b = p.send(recs(400));
    await tick();
    expect(g.inFlight).toBe(1000);
    held.release();
    held.release();
    await Promise.all([a, b]);
    expect(g.inFlight).toBe(0);
  });

  it('one send alone always goes, even over the budget', async () => {
    const g = guard(100);
    const held = heldProducer();
    const send = g.wrap(held.producer).send(recs(5000));
    await tick();
    expect(g.inFlight).toBe(5000);
    held.release();
    await send;
    expect(g.inFlight).toBe(0);
  });

  it('a send Kafka does not acknowledge is 503 KAFKA_UNAVAILABLE with Retry-After, and gives its bytes back', async () => {
    const g = guard(1000);
    const held = heldProducer();
    const send = g.wrap(held.producer).send(recs(300)).catch((e: unknown) => e);
    await tick();
    held.fail(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
    expect(await send).toMatchObject({
      name: 'IngestRefusal', statusCode: 503, code: 'KAFKA_UNAVAILABLE', retryAfter: 1,
      message: 'Kafka did not acknowledge the records (Connection error: connect ECONNREFUSED 127.0.0.1:9092); nothing is lost by sending them again',
    });
    expect(g.inFlight).toBe(0);
  });
});
