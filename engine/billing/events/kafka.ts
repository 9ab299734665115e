/**
 * Kafka sink: one record per event on a topic, key = account (an account's events stay in order on one partition),
 * value = the JSON envelope, headers event-id / event-type. Idempotent producer, acks=all; consumers dedup on the id.
 */
import type { KafkaPort, KafkaProducer } from '../../runtime/kafka/port.ts';
import { type BillingEvent, envelope } from './model.ts';
import type { DeliveryResult, EventSink } from './sink.ts';

export class KafkaEventSink implements EventSink {
  readonly name: string;
  private producer?: KafkaProducer;

  constructor(readonly port: KafkaPort, readonly topic: string) {
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
