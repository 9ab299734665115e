/**
 * The Source contract: every way usage comes in (a file, a folder, stdin, a drop directory, an HTTP request, a Kafka
 * topic partition) is an async iteration of batches of raw records with their coordinates (`file:line`, or
 * `topic/partition/offset` for Kafka messages that carry no origin), ending at end of input, each batch
 * acknowledged once its output is safe.
 *
 * Text input goes through ONE framer loop, `frameChunks`: the feed parser's framer splits the bytes into records,
 * counts the lines it consumed (header, trailer, comment) as ignored by reason, and condemns records as data
 * (`RawRecord.fault`: trailer count mismatch, invalid encoding, binary file) — so a file gives the same records, the
 * same ignored counts and the same faults whichever mode reads it.
 */
import type { z } from 'zod';
import type { RawRecord } from '../../core/types.ts';
import type { FeedParser, FileCheck } from '../../mediation/parsers/types.ts';

export interface SourceBatch {
  records: RawRecord[];
  /** input units the framer consumed, by reason (header, trailer, comment): counted as records in and as ignored */
  ignored: Map<string, number>;
  /** the input unit the records come from (a file's name, an HTTP request, a topic partition) */
  unit: string;
  /** set on the last batch of a unit: its end, with the framer's file-level check when the format has one */
  unitEnd?: { check?: FileCheck };
}

export interface Source {
  readonly type: string;
  /** the batches, in order; the iteration ends at end of input */
  batches(): AsyncIterable<SourceBatch>;
  /** the batch's output is safe (written, produced, committed): the source may forget it (commit, move the file) */
  ack(batch: SourceBatch): Promise<void>;
}

/** A source component: one file each, one line in the registry (sources/index.ts), shown by `ratestream list sources`. */
export interface SourceSpec<S extends z.ZodObject = z.ZodObject> {
  type: string;
  description: string;
  /** zod schema of the source's options (as in a serve config or on the command line) */
  options: S;
  /** example option blocks */
  examples: Record<string, unknown>[];
}

/** bytes per read from a file input */
export const READ_CHUNK_BYTES = 16 * 1024;

/**
 * THE text framer loop: chunks of one input unit (bytes as read, or text already decoded) → batches of at most
 * `batchSize` records through the parser's framer. The last batch carries `unitEnd` (with the file check), even when
 * it is empty. `onBytes` reports the bytes consumed (progress).
 */
export async function* frameChunks(
  parser: FeedParser, unit: string, feed: string, chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, batchSize: number,
  onBytes?: (n: number) => void,
): AsyncGenerator<SourceBatch> {
  const framer = parser.createFramer(unit, feed);
  let pending: RawRecord[] = [];
  let ignored = new Map<string, number>();
  const merge = (m: Map<string, number>) => {
    for (const [k, v] of m) ignored.set(k, (ignored.get(k) ?? 0) + v);
  };
  const take = (): SourceBatch => {
    const records = pending.length > batchSize ? pending.slice(0, batchSize) : pending;
    pending = pending.length > batchSize ? pending.slice(batchSize) : [];
    const ig = ignored;
    ignored = new Map();
    return { records, ignored: ig, unit };
  };
  // small chunks: the framer's records of a chunk die young (1 MiB chunks kept ~8 MB of records alive across
  // scavenges, ~18 % of mediation time in GC; 16 KiB ~5 %, see bench/RESULTS.md "Mediation")
  for await (const chunk of chunks) {
    onBytes?.(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
    const out = framer.push(chunk);
    // appended in place (a concat per chunk copied the growing batch ≈ 20 times per record at 8k-record batches)
    if (out.records.length) {
      if (pending.length) for (const r of out.records) pending.push(r);
      else pending = out.records;
    }
    merge(out.ignored);
    while (pending.length >= batchSize) yield take();
  }
  const end = framer.end();
  if (end.records.length) pending = pending.concat(end.records);
  merge(end.ignored);
  while (pending.length > batchSize) yield take();
  yield { ...take(), unitEnd: { check: end.check } };
}

/** a source whose batches need no acknowledgement (files read to the end, stdin, a request body) */
export const noAck = async (): Promise<void> => undefined;
