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

/**
 * UDRs as messages of the udr topic: `encodeAll` encodes the whole batch at once (one Buffer, a view per UDR), `keyOf`
 * gives each UDR's key (a Buffer the caller may reuse across records: keys repeat, their bytes need not).
 */
export function udrRecords(udrs: readonly Udr[], topic: string, encodeAll: (u: readonly Udr[]) => Buffer[], keyOf: (u: Udr) => Buffer | string): ProducerRecord[] {
  const values = encodeAll(udrs);
  const out: ProducerRecord[] = new Array(udrs.length);
  for (let i = 0; i < udrs.length; i++) out[i] = { topic, key: keyOf(udrs[i]!), value: values[i]! };
  return out;
}
