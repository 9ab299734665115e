/**
 * Source `file`: a file, or a folder's regular files (sorted, not hidden), read in READ_CHUNK_BYTES chunks through the
 * feed's framer (frameChunks). `-` reads stdin (sources/stdin.ts). Files are read to the end: nothing to acknowledge.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { FeedParser } from '../../mediation/parsers/types.ts';
import { frameChunks, noAck, READ_CHUNK_BYTES, type Source, type SourceBatch, type SourceSpec } from './source.ts';

export interface InputFile {
  /** path as shown in source coordinates (relative to cwd when inside it) */
  name: string;
  path: string | '-';
  bytes: number;
}

const options = z.object({
  input: z.string().describe('a file, a folder (its regular files, sorted, names starting with "." skipped) or - for stdin'),
}).strict();

export const spec: SourceSpec<typeof options> = {
  type: 'file',
  description: 'A file or a folder of files, framed by the feed\'s parser (run, dry-run, explain, test).',
  options,
  examples: [{ input: 'rules/demo/fixtures/carrier' }, { input: 'cdr-2026-10-05.csv' }],
};

/**
 * A file, or a folder's regular files (sorted, not hidden), with their sizes. A missing path or a folder without
 * files is an error: a run over nothing would report zero records as if the feed had been empty.
 */
export function inputFiles(input: string): InputFile[] {
  const abs = resolve(input);
  const show = (p: string) => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new Error(`input ${input} does not exist`);
  }
  if (!st.isDirectory()) return [{ path: abs, name: show(abs), bytes: st.size }];
  const files = readdirSync(abs).filter((f) => !f.startsWith('.')).sort().map((f) => join(abs, f))
    .map((p) => ({ p, st: statSync(p) })).filter((f) => f.st.isFile()).map(({ p, st: s }) => ({ path: p, name: show(p), bytes: s.size }));
  if (!files.length) throw new Error(`input folder ${input} has no files to read (names starting with "." are skipped)`);
  return files;
}

/** Expand a file, a folder or '-' (stdin, named `stdinName`). */
export function listInputs(input: string, stdinName = 'stdin'): InputFile[] {
  if (input === '-') return [{ name: stdinName, path: '-', bytes: 0 }];
  return inputFiles(input);
}

/** the bytes of one input, as read (the framer decodes them in the feed's encoding) */
export function inputChunks(input: InputFile, stdin: Readable = process.stdin): AsyncIterable<Uint8Array | string> {
  return input.path === '-' ? stdin : createReadStream(input.path, { highWaterMark: READ_CHUNK_BYTES });
}

export class FileSource implements Source {
  readonly type = 'file';
  constructor(
    readonly files: readonly InputFile[], readonly parser: FeedParser, readonly feed: string, readonly batchSize: number,
    readonly onBytes?: (n: number) => void, readonly stdin?: Readable,
  ) {}

  async *batches(): AsyncGenerator<SourceBatch> {
    for (const f of this.files) yield* frameChunks(this.parser, f.name, this.feed, inputChunks(f, this.stdin), this.batchSize, this.onBytes);
  }

  ack = noAck;
}
