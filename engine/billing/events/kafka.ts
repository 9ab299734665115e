/**
 * Kafka sink: one record per event on a topic, key = account (an account's events stay in order on one partition),
 * value = the JSON envelope, headers event-id / event-type. Idempotent producer, acks=all; consumers dedup on the id.
 */
import { type BillingEvent, envelope } from './model.ts';
import type { DeliveryResult, EventSink } from './sink.ts';

/**
 * The slice of the Kafka port (engine/runtime/kafka/port.ts) this sink uses, declared here so billing does not import
 * the runtime layer; the CLI passes the real port, which satisfies it structurally.
 */
export interface EventProducer {
  connect(): Promise<void>;
  send(records: readonly { topic: string; key: string; value: Buffer; headers: Record<string, string> }[], options: { acks: -1 }): Promise<unknown>;
  disconnect(): Promise<void>;
}
export interface EventProducerPort {
  producer(options: { idempotent: true }): EventProducer;
}

export class KafkaEventSink implements EventSink {
  readonly name: string;
  private producer?: EventProducer;

  constructor(readonly port: EventProducerPort, readonly topic: string) {
    this.name = `kafka:${topic}`;
  }

  async deliver(events: readonly BillingEvent[]): Promise<DeliveryResult[]> {
    if (!this.producer) {
      this.producer = this.port.producer({ idempotent: true });
      await this.producer.connect();
    }
    try {
      await this.producer.send(events.map((e) => ({
        topic: this.topic, key: e.account || e.subject, value: Buffer.from(JSON.stringify(envelope(e))), headers: { 'event-id': e.id, 'event-type': e.type },
      })), { acks: -1 });
      return events.map((e) => ({ eventId: e.id, ok: true, attempts: 1, error: '' }));
    } catch (err) {
      return events.map((e) => ({ eventId: e.id, ok: false, attempts: 1, error: (err as Error).message }));
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
