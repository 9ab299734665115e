/**
 * File / folder / stdin source for the embedded mode: streams text in 1 MiB chunks through the feed's framer and
 * hands out raw records in batches. Reports bytes read for progress.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { RawRecord } from '../../core/types.ts';
import type { FileCheck, FeedParser } from '../../mediation/parsers/types.ts';
import { inputFiles } from '../../mediation/run-files.ts';

export interface InputFile {
  /** path as shown in source coordinates (relative to cwd when inside it) */
  name: string;
  path: string | '-';
  bytes: number;
}

/** Expand a file, a folder (its regular files, sorted, not hidden; none is an error) or '-' (stdin, named `stdinName`). */
export function listInputs(input: string, stdinName = 'stdin'): InputFile[] {
  if (input === '-') return [{ name: stdinName, path: '-', bytes: 0 }];
  return inputFiles(resolve(input));
}

/** bytes per read from a file input */
export const READ_CHUNK_BYTES = 16 * 1024;

export interface BatchSink {
  (records: RawRecord[], ignored: Map<string, number>): Promise<void>;
}

/** Stream one input through the parser's framer, calling `sink` with batches of at most `batchSize` records. */
export async function streamInput(
  input: InputFile,
  feed: string,
  parser: FeedParser,
  batchSize: number,
  sink: BatchSink,
  onBytes?: (n: number) => void,
  stdin: Readable = process.stdin,
): Promise<{ check?: FileCheck }> {
  const framer = parser.createFramer(input.name, feed);
  // 16 KiB chunks: the framer's records of a chunk die young (measured: 1 MiB chunks kept ~8 MB of records alive
  // across scavenges, ~18 % of mediation time in GC; 16 KiB ~5 %, see bench/RESULTS.md "Mediation")
  // bytes, not text: the parser's framer decodes them in the feed's encoding (BOM, invalid bytes, binary input)
  const stream: AsyncIterable<Buffer | string> = input.path === '-' ? stdin : createReadStream(input.path, { highWaterMark: READ_CHUNK_BYTES });
  let pending: RawRecord[] = [];
  let ignored = new Map<string, number>();
  const merge = (m: Map<string, number>) => {
    for (const [k, v] of m) ignored.set(k, (ignored.get(k) ?? 0) + v);
  };
  const flush = async (all: boolean) => {
    while (pending.length >= batchSize || (all && (pending.length || ignored.size))) {
      const batch = pending.length > batchSize ? pending.slice(0, batchSize) : pending;
      pending = pending.length > batchSize ? pending.slice(batchSize) : [];
      const ig = ignored;
      ignored = new Map();
      await sink(batch, ig);
    }
  };
  for await (const chunk of stream) {
    onBytes?.(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
    const out = framer.push(chunk);
    if (out.records.length) pending = pending.length ? pending.concat(out.records) : out.records;
    merge(out.ignored);
    await flush(false);
  }
  const end = framer.end();
  if (end.records.length) pending = pending.concat(end.records);
  merge(end.ignored);
  await flush(true);
  return { check: end.check };
}
