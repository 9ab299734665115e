/**
 * THE dead-letter codec, for the file DLQ (<data>/dlq/<feed>.jsonl) and the topic DLQ (dlq.<feed>, dlq.rating,
 * dlq.mediation) alike: one JSON line per reject — the Reject fields (feed, source coordinates, reason, message, raw,
 * rulesVersion) and the stage — replayable by `ratestream replay-dlq`. On a topic the message key is the source
 * coordinates and the headers repeat `reason`, `stage`, `feed`, `rulesVersion` and `source`, always.
 */
import { readFileSync } from 'node:fs';
import type { RawRecord, Reject } from '../../core/types.ts';
import { REJECT_REASONS } from '../../core/types.ts';
import type { ProducerRecord } from '../kafka/port.ts';

export type DlqStage = 'mediation' | 'rating';

export interface DlqEntry extends Reject {
  stage?: DlqStage;
}

export const dlqTopic = (feed: string) => `dlq.${feed}`;

export function dlqLine(r: Reject, stage: DlqStage = 'mediation'): string {
  return JSON.stringify({ ...r, stage });
}

/** one reject as a DLQ topic message */
export function dlqRecord(topic: string, r: Reject, stage: DlqStage): ProducerRecord {
  return {
    topic,
    key: r.source,
    value: Buffer.from(dlqLine(r, stage)),
    headers: { reason: r.reason, stage, feed: r.feed, rulesVersion: r.rulesVersion, source: r.source },
  };
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
