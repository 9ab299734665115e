/** Topic names of the streaming data path and their specs (created when missing). */
import type { TopicSpec } from '../kafka/port.ts';

export interface StreamTopics {
  raw(feed: string): string;
  udr: string;
  rated: string;
  /** mediation rejects of a feed (JSON line per reject, key = source coordinates, header `reason`) */
  dlq(feed: string): string;
  /** rejects that belong to no feed: malformed service events */
  dlqMediation: string;
  dlqRating: string;
  /** compacted per-partition rating state (same partition count as `udr`) */
  ratingState: string;
  /**
   * rate → sink: the service-state log rows and pool balances billing reads (ClickHouse service_states, pool_balances),
   * JSON with header `rs-kind`, produced in the rate transaction
   */
  billingState: string;
  /** rating events out (service state changed, pool thresholds, first use) */
  ratingEvents: string;
  /** service-state events in (provisioning / CRM / HTTP), JSON, keyed by rating key */
  serviceEventsIn: string;
}

export function streamTopics(prefix = ''): StreamTopics {
  const p = (s: string) => `${prefix}${s}`;
  return {
    raw: (feed) => p(`raw.${feed}`),
    dlq: (feed) => p(`dlq.${feed}`),
    udr: p('udr'),
    rated: p('rated'),
    dlqMediation: p('dlq.mediation'),
    dlqRating: p('dlq.rating'),
    ratingState: p('rating-state'),
    billingState: p('billing-state'),
    ratingEvents: p('rating-events'),
    serviceEventsIn: p('service-events-in'),
  };
}

export function topicSpecs(t: StreamTopics, feeds: readonly string[], partitions: number, replicationFactor?: number): TopicSpec[] {
  const rf = replicationFactor === undefined ? {} : { replicationFactor };
  const specs: TopicSpec[] = [
    ...feeds.map((f) => ({ topic: t.raw(f), partitions, ...rf })),
    ...feeds.map((f) => ({ topic: t.dlq(f), partitions, ...rf })),
    { topic: t.udr, partitions, ...rf },
    { topic: t.rated, partitions, ...rf },
    { topic: t.dlqMediation, partitions, ...rf },
    { topic: t.dlqRating, partitions, ...rf },
    { topic: t.ratingState, partitions, compact: true, ...rf, config: { 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': '600000' } },
    { topic: t.billingState, partitions, ...rf },
    { topic: t.ratingEvents, partitions, ...rf },
    { topic: t.serviceEventsIn, partitions, ...rf },
  ];
  return specs;
}
