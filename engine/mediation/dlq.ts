/**
 * Dead-letter queue for mediation rejects: a JSON line per reject (the Reject fields + stage), replayable by
 * `ratestream replay-dlq`. Embedded mode appends to <dir>/<feed>.jsonl (engine/runtime/sinks/dlq-file.ts writes the
 * same format); on Kafka every reject goes to topic `dlq.<feed>`, key = source coordinates, value = the JSON line,
 * header `reason`.
 */
import { readFileSync } from 'node:fs';
import type { RawRecord, Reject } from '../core/types.ts';
import { REJECT_REASONS } from '../core/types.ts';
import type { KafkaProducer, ProducerRecord } from '../runtime/kafka/port.ts';

export interface DlqSink {
  write(rejects: readonly Reject[]): Promise<void>;
}

export const dlqTopic = (feed: string) => `dlq.${feed}`;

export function dlqLine(r: Reject, stage: 'mediation' | 'rating' = 'mediation'): string {
  return JSON.stringify({ ...r, stage });
}

/** Kafka DLQ: one message per reject on `dlq.<feed>` (acks=all through the port's idempotent producer). */
export class KafkaDlqSink implements DlqSink {
  constructor(private readonly producer: KafkaProducer) {}

  /** `topicOf` names the topic per feed (default `dlq.<feed>`; serve adds its topic prefix) */
  static records(rejects: readonly Reject[], topicOf: (feed: string) => string = dlqTopic): ProducerRecord[] {
    return rejects.map((r) => ({
      topic: topicOf(r.feed),
      key: r.source,
      value: Buffer.from(dlqLine(r)),
      headers: { reason: r.reason, rulesVersion: r.rulesVersion },
    }));
  }

  async write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length) await this.producer.send(KafkaDlqSink.records(rejects));
  }
}

export interface DlqEntry extends Reject {
  stage?: string;
}

const REASONS = new Set<string>(REJECT_REASONS);

/** Parse DLQ JSON lines; lines that are not rejects are reported, never guessed. */
export function readDlq(text: string): { entries: DlqEntry[]; bad: { line: number; message: string }[] } {
  const entries: DlqEntry[] = [];
  const bad: { line: number; message: string }[] = [];
  text.split('\n').forEach((l, i) => {
    if (!l.trim()) return;
    try {
      const o = JSON.parse(l) as DlqEntry;
      if (typeof o.feed !== 'string' || typeof o.source !== 'string' || typeof o.raw !== 'string' || !REASONS.has(o.reason)) {
        bad.push({ line: i + 1, message: 'not a reject (needs feed, source, raw, reason)' });
      } else entries.push(o);
    } catch (e) {
      bad.push({ line: i + 1, message: `invalid JSON: ${(e as Error).message}` });
    }
  });
  return { entries, bad };
}

export function readDlqFile(file: string): ReturnType<typeof readDlq> {
  return readDlq(readFileSync(file, 'utf8'));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The raw record a reject was made from (the same coordinates, the original text or base64 bytes). Bytes kept as
 * `base64:` (binary messages, records invalid in the feed's encoding) go back as bytes, so a replay after fixing
 * the feed's `encoding` decodes them.
 */
export function rawFromReject(r: Reject): RawRecord {
  if (r.raw.startsWith('base64:') && BASE64.test(r.raw.slice(7))) return { feed: r.feed, source: r.source, text: '', binary: Buffer.from(r.raw.slice(7), 'base64') };
  return { feed: r.feed, source: r.source, text: r.raw };
}
