/**
 * Start/stop pairing state of the mediate role, persisted: per feed with pairing, a compacted changelog topic
 * `mediation-state.<feed>` (partition = the raw partition) holds the pending halves of every raw partition's Mediator.
 *
 *   key `<raw partition>/<pairing key>` → JSON PairingEntryState (seq, time, held records, which is start/stop/update),
 *                                         a tombstone once the entry is paired, expired or evicted
 *   key `<raw partition>`               → the pairing clock (newest event time seen: the window's reference)
 *
 * The records are written in the mediate transaction of the batch that changed them, together with its UDRs, DLQ
 * records and input offsets; on assignment the fencing transaction writes a barrier to the changelog partition and
 * the state is read back up to it (kafka-util's readUntilBarriers, as the rate role does with `rating-state`).
 */
import type { PairingChange, PairingEntryState, PairingSnapshot } from '../../mediation/mediator.ts';
import type { ConsumedMessage, ProducerRecord, TopicSpec } from '../kafka/port.ts';

export function pairingStateTopic(prefix: string, feed: string): string {
  return `${prefix}mediation-state.${feed}`;
}

export function pairingStateSpec(topic: string, partitions: number, replicationFactor?: number): TopicSpec {
  return {
    topic, partitions, compact: true, ...(replicationFactor === undefined ? {} : { replicationFactor }),
    config: { 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': '600000' },
  };
}

/** The changelog records of one mediated batch of raw partition `partition`. */
export function pairingStateRecords(topic: string, partition: number, changes: readonly PairingChange[], clock: number | undefined): ProducerRecord[] {
  const out: ProducerRecord[] = [];
  for (const c of changes) {
    out.push({ topic, partition, key: `${partition}/${c.key}`, value: c.value === null ? null : Buffer.from(JSON.stringify(c.value)) });
  }
  if (clock !== undefined) out.push({ topic, partition, key: String(partition), value: Buffer.from(JSON.stringify(clock)) });
  return out;
}

/** Folds changelog records of one raw partition (in log order) into a snapshot for Mediator.restorePairing. */
export class PairingStateReader {
  private readonly entries = new Map<string, PairingEntryState | null>();
  private clock: number | null = null;
  private readonly prefix: string;
  private readonly clockKey: string;
  records = 0;

  constructor(partition: number) {
    this.clockKey = String(partition);
    this.prefix = `${partition}/`;
  }

  add(m: ConsumedMessage): void {
    const k = m.key?.toString('utf8');
    if (k === undefined) return;
    if (k === this.clockKey) {
      this.records++;
      this.clock = m.value === null ? null : (JSON.parse(m.value.toString('utf8')) as number);
    } else if (k.startsWith(this.prefix)) {
      this.records++;
      const key = k.slice(this.prefix.length);
      if (m.value === null) this.entries.delete(key);
      else this.entries.set(key, JSON.parse(m.value.toString('utf8')) as PairingEntryState);
    }
  }

  snapshot(): PairingSnapshot {
    return { clock: this.clock, entries: [...this.entries].map(([key, value]) => ({ key, value })) };
  }

  get pending(): number {
    return this.entries.size;
  }
}
