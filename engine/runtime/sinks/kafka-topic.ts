/**
 * Sink `kafka-topic`: UDRs (Avro, topic `udr`, key = the rating key's account-tree root) or charges (Avro, topic
 * `rated`) on Kafka, produced by serve's mediate and rate roles inside their transactions (exactly once with the
 * input offsets).
 */
import { z } from 'zod';
import type { Udr } from '../../core/types.ts';
import type { ProducerRecord } from '../kafka/port.ts';
import type { SinkSpec } from './sink.ts';

const options = z.object({
  topic: z.string().describe('the topic (serve: udr or rated under its topic prefix)'),
  what: z.enum(['udrs', 'charges']).describe('what the topic carries'),
}).strict();

export const spec: SinkSpec<typeof options> = {
  type: 'kafka-topic',
  description: 'UDRs or charges as Avro on a Kafka topic, in the producing role\'s transaction (serve).',
  options,
  examples: [{ topic: 'udr', what: 'udrs' }, { topic: 'rated', what: 'charges' }],
};

/** UDRs as messages of the udr topic */
export function udrRecords(udrs: readonly Udr[], topic: string, encode: (u: Udr) => Buffer, keyOf: (u: Udr) => string): ProducerRecord[] {
  return udrs.map((u) => ({ topic, key: keyOf(u), value: encode(u) }));
}
