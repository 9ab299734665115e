/** An event sink (webhook, Kafka topic) and the dispatcher that sends the outbox's undelivered events to each sink. */
import type { StoreClient } from '../../store/client.ts';
import { recordDeliveries, undeliveredEvents, type Window } from '../../store/finance.ts';
import { type BillingEvent, fromStored } from './model.ts';

export interface DeliveryResult {
  eventId: string;
  ok: boolean;
  attempts: number;
  error: string;
}

export interface EventSink {
  /** stable name: deliveries are recorded per sink */
  readonly name: string;
  deliver(events: readonly BillingEvent[]): Promise<DeliveryResult[]>;
  close?(): Promise<void>;
}

export interface DispatchSummary {
  sink: string;
  pending: number;
  delivered: number;
  failed: { eventId: string; error: string }[];
}

/** Send every event of the outbox (optionally of a time window) not yet delivered to each sink; record the outcome. */
export async function dispatchEvents(st: StoreClient, sinks: readonly EventSink[], w?: Window): Promise<DispatchSummary[]> {
  const out: DispatchSummary[] = [];
  for (const sink of sinks) {
    const pending = (await undeliveredEvents(st, sink.name, w)).map(fromStored);
    const results = pending.length ? await sink.deliver(pending) : [];
    await recordDeliveries(st, results.map((r) => ({ sink: sink.name, eventId: r.eventId, status: r.ok ? 'delivered' : 'failed', attempts: r.attempts, lastError: r.error })));
    out.push({ sink: sink.name, pending: pending.length, delivered: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).map((r) => ({ eventId: r.eventId, error: r.error })) });
  }
  return out;
}
