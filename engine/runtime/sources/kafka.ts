/**
 * Source `kafka`: a raw topic partition (`raw.<feed>`), consumed by serve's mediate role in one transaction per batch
 * (ack = the transaction commits the input offsets with the output).
 *
 * The wire format of a raw record, written by the ingest sources (drop directory, HTTP) and read back here, keeps
 * what the framer decided, so serve mediates exactly what an embedded run mediates:
 *  - value: the record's bytes as framed (text formats: the line; binary formats: the raw bytes, never base64 text);
 *  - header `rs-source`: the origin coordinates (`file:line`); without it a record is named `topic/partition/offset`;
 *  - header `rs-fault`: a framing fault (`{"reason":…,"message":…}`, e.g. TRAILER_MISMATCH): the record is rejected
 *    with it, as in the embedded mode;
 *  - a message with an empty value and header `rs-ignored` (`{"header":1,"trailer":1}`) carries the lines the framer
 *    consumed: counted as records in and as ignored, by reason.
 * A message from any other producer (a plain value, no headers) is one raw record.
 */
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import type { FramingFault, RawRecord } from '../../core/types.ts';
import { REJECT_REASONS } from '../../core/types.ts';
import type { ConsumedMessage, ProducerRecord } from '../kafka/port.ts';
import type { SourceBatch, SourceSpec } from './source.ts';

export const SOURCE_HEADER = 'rs-source';
export const FAULT_HEADER = 'rs-fault';
export const IGNORED_HEADER = 'rs-ignored';

const options = z.object({
  topic: z.string().describe('the raw topic (serve names it raw.<feed> under its topic prefix)'),
  binary: z.boolean().default(false).describe('the feed\'s format is binary (Avro): values are bytes, not text'),
}).strict();

export const spec: SourceSpec<typeof options> = {
  type: 'kafka',
  description: 'A raw Kafka topic partition, consumed by serve\'s mediate role (read_committed, one transaction per batch).',
  options,
  examples: [{ topic: 'raw.carrier-cdr' }, { topic: 'raw.iot-sessions', binary: true }],
};

const REASONS = new Set<string>(REJECT_REASONS);

function header(msg: ConsumedMessage, name: string): string | undefined {
  return msg.headers[name]?.toString();
}

function faultOf(text: string | undefined): FramingFault | undefined {
  if (text === undefined) return undefined;
  try {
    const f = JSON.parse(text) as FramingFault;
    if (REASONS.has(f.reason) && typeof f.message === 'string') return { reason: f.reason, message: f.message };
  } catch { /* not ours: the record is mediated as it is */ }
  return undefined;
}

/**
 * Consumed messages of one partition → a batch of raw records (with restored coordinates and faults) and the ignored
 * counts they carried. `empty` counts messages without a value and without `rs-ignored` (ignored as `empty`).
 */
export function rawBatch(msgs: readonly ConsumedMessage[], at: { topic: string; partition: number }, feed: string, binary: boolean): SourceBatch {
  const records: RawRecord[] = [];
  const ignored = new Map<string, number>();
  // `topic/partition/` once per batch: one concatenation per record, not a template of four
  const prefix = `${at.topic}/${at.partition}/`;
  for (const msg of msgs) {
    const ig = header(msg, IGNORED_HEADER);
    if (msg.value === null || msg.value.length === 0) {
      let counted = false;
      if (ig !== undefined) {
        try {
          for (const [k, n] of Object.entries(JSON.parse(ig) as Record<string, number>)) {
            if (typeof n === 'number' && n > 0) { ignored.set(k, (ignored.get(k) ?? 0) + n); counted = true; }
          }
        } catch { /* malformed marker: an empty message */ }
      }
      if (!counted) ignored.set('empty', (ignored.get('empty') ?? 0) + 1);
      continue;
    }
    const source = header(msg, SOURCE_HEADER) ?? prefix + msg.offset;
    // text feeds: the wire carries UTF-8 text (what the framers of drop-dir / HTTP produce); a value that is not valid
    // UTF-8 (another producer writing the feed's own encoding) goes to the mediator as bytes, which decodes it in the
    // feed's encoding or rejects it as INVALID_ENCODING keeping the bytes — as `run` does, never U+FFFD
    const rec: RawRecord = binary || !isUtf8(msg.value) ? { feed, source, text: '', binary: msg.value } : { feed, source, text: msg.value.toString('utf8') };
    const fault = faultOf(header(msg, FAULT_HEADER));
    if (fault) rec.fault = fault;
    records.push(rec);
  }
  return { records, ignored, unit: `${at.topic}/${at.partition}` };
}

/**
 * The key of an ingested unit's records: a feed with start/stop pairing keys every unit by the feed (all its files in
 * one raw partition, in order, so a pair split across two files meets in one Mediator, as in `run` over a folder);
 * other feeds key by the unit (a file's records in order, files spread over the partitions).
 */
export function ingestKey(feed: string, unit: string, pairing: boolean): string {
  return pairing ? feed : unit;
}

/**
 * A framed batch → the raw topic's records (the ingest side of the same format). `key` keeps a unit's records in one
 * partition, in order (a file's INVITE and BYE meet in one mediator).
 */
export function rawProducerRecords(batch: SourceBatch, topic: string, key: string | null, keyOf?: (r: RawRecord) => string | null): ProducerRecord[] {
  const out: ProducerRecord[] = [];
  for (const r of batch.records) {
    const headers: Record<string, string> = { [SOURCE_HEADER]: r.source };
    if (r.fault) headers[FAULT_HEADER] = JSON.stringify(r.fault);
    const value = r.binary && !r.text ? Buffer.from(r.binary.buffer, r.binary.byteOffset, r.binary.byteLength) : Buffer.from(r.text);
    out.push({ topic, key: keyOf ? keyOf(r) : key, value, headers });
  }
  if (batch.ignored.size) out.push({ topic, key, value: Buffer.alloc(0), headers: { [IGNORED_HEADER]: JSON.stringify(Object.fromEntries(batch.ignored)) } });
  return out;
}
