/**
 * Billing events: invoice.issued, service.state_changed, bucket.threshold_reached, service.expiring,
 * balance.exhausted (a money balance did not cover some charges of the period). Ids are
 * deterministic (type + subject), so collecting the same facts twice yields the same events and a sink that has
 * delivered an event never gets it again (the outbox in ClickHouse records deliveries per sink).
 */
import { createHash } from 'node:crypto';
import type { StoredEvent } from '../../store/finance.ts';

export const EVENT_TYPES = ['invoice.issued', 'service.state_changed', 'bucket.threshold_reached', 'service.expiring', 'balance.exhausted'] as const;
export type BillingEventType = (typeof EVENT_TYPES)[number];

export interface BillingEvent {
  id: string;
  type: BillingEventType;
  /** epoch ms of the fact (issue date, state change, balance time, …), never the wall clock of collection */
  occurredAt: number;
  account: string;
  /** what the event is about: invoice number, service, pool/period/threshold */
  subject: string;
  data: Record<string, unknown>;
}

export function eventId(type: BillingEventType, subject: string): string {
  return createHash('sha256').update(`${type}\u001f${subject}`).digest('hex').slice(0, 32);
}

export function makeEvent(type: BillingEventType, subject: string, account: string, occurredAt: number, data: Record<string, unknown>): BillingEvent {
  return { id: eventId(type, subject), type, occurredAt, account, subject, data };
}

/** The JSON body sent to webhooks and Kafka. */
export function envelope(e: BillingEvent): Record<string, unknown> {
  return { id: e.id, type: e.type, occurredAt: new Date(e.occurredAt).toISOString(), account: e.account, subject: e.subject, data: e.data };
}

export function toStored(e: BillingEvent): StoredEvent {
  return { eventId: e.id, type: e.type, account: e.account, subject: e.subject, occurredAt: e.occurredAt, payload: JSON.stringify(e.data) };
}

export function fromStored(s: StoredEvent): BillingEvent {
  return { id: s.eventId, type: s.type as BillingEventType, account: s.account, subject: s.subject, occurredAt: s.occurredAt, data: JSON.parse(s.payload) };
}
