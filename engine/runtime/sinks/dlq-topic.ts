/**
 * Sink `dlq-topic`: rejects on a Kafka topic (serve: dlq.<feed> from the mediate role, dlq.rating from the rate role,
 * dlq.mediation for malformed service events), in the role's transaction. One message per reject (dlq-codec.ts):
 * key = source coordinates, value = the DLQ line, headers reason, stage, feed, rulesVersion, source.
 */
import { z } from 'zod';
import type { Reject } from '../../core/types.ts';
import type { KafkaProducer, ProducerRecord } from '../kafka/port.ts';
import { dlqRecord, type DlqStage, dlqTopic } from './dlq-codec.ts';
import type { SinkSpec } from './sink.ts';

const options = z.object({
  topic: z.string().optional().describe('the topic (default dlq.<feed> under serve\'s topic prefix)'),
  stage: z.enum(['mediation', 'rating']).default('mediation'),
}).strict();

export const spec: SinkSpec<typeof options> = {
  type: 'dlq-topic',
  description: 'Rejects on a Kafka DLQ topic: key = source coordinates, headers reason/stage/feed/rulesVersion/source (serve).',
  options,
  examples: [{}, { topic: 'dlq.rating', stage: 'rating' }],
};

/** the DLQ messages of some rejects; `topicOf` names the topic per feed (default `dlq.<feed>`) */
export function dlqRecords(rejects: readonly Reject[], topicOf: (feed: string) => string = dlqTopic, stage: DlqStage = 'mediation'): ProducerRecord[] {
  return rejects.map((r) => dlqRecord(topicOf(r.feed), r, stage));
}

/** A DLQ topic written outside a transaction (acks=all through the port's idempotent producer). */
export class TopicDlq {
  constructor(private readonly producer: KafkaProducer, private readonly topicOf: (feed: string) => string = dlqTopic) {}

  async write(rejects: readonly Reject[], stage: DlqStage = 'mediation'): Promise<void> {
    if (rejects.length) await this.producer.send(dlqRecords(rejects, this.topicOf, stage));
  }
}
