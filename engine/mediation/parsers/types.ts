/**
 * Feed parser contract. A parser has two halves:
 *  - framing: a file (or stdin) byte stream → raw records with coordinates (file:line), consuming headers,
 *    trailers and comments (counted as ignored by reason) and verifying trailers at the end;
 *  - parsing: one raw record (a line, a Kafka message) → a ParsedRecord for the rules.
 * Kafka and HTTP sources skip framing: each message is one raw record.
 */
import type { z } from 'zod';
import type { ParsedRecord, RawRecord } from '../../core/types.ts';

export class ParseError extends Error {
  readonly code = 'PARSE_ERROR';
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}

/** Result of a file-level check (fixed-width trailer counts/totals). */
export interface FileCheck {
  ok: boolean;
  message: string;
}

export interface FramerOutput {
  records: RawRecord[];
  /** control lines consumed by the framer (header, trailer, comment), by reason: counted as ignored */
  ignored: Map<string, number>;
}

export interface Framer {
  /** feed more text; returns the complete records so far */
  push(chunk: string): FramerOutput;
  /** end of input: the remaining records and, for formats with trailers, the file check */
  end(): FramerOutput & { check?: FileCheck };
}

export interface FeedParser {
  /** ordinal records (string[]; `$1` is the first field) or structured (objects; `$a.b` paths) */
  readonly ordinal: boolean;
  /** declared column names for ordinal records (`$name` refs) */
  readonly columns?: readonly string[];
  /** the longest record accepted; longer ones are rejected as OVERSIZE */
  readonly maxRecordBytes: number;
  createFramer(file: string, feed: string): Framer;
  /** parse one raw record; throw ParseError for malformed input */
  parse(rec: RawRecord): ParsedRecord;
  /**
   * optional: what a record contributes to the trailer check (fixed-width), called for every framed record that
   * parsed; `check` in Framer.end() uses the accumulated values.
   */
}

export interface ParserSpec<S extends z.ZodObject = z.ZodObject> {
  type: string;
  description: string;
  /** zod schema of the `parser:` block options (without `type`) */
  options: S;
  /** example `parser:` blocks (YAML-ready objects) */
  examples: Record<string, unknown>[];
  create(options: z.output<S>): FeedParser;
}
