/**
 * Feed parser contract. A parser has two halves:
 *  - framing: a file (or stdin) byte stream → raw records with coordinates (file:line), consuming headers,
 *    trailers and comments (counted as ignored by reason) and verifying trailers at the end;
 *  - parsing: one raw record (a line, a Kafka message) → a ParsedRecord for the rules.
 * Kafka and HTTP sources skip framing: each message is one raw record.
 */
import type { z } from 'zod';
import { CodedError } from '../../core/errors.ts';
import type { ParsedRecord, RawRecord } from '../../core/types.ts';
import type { Encoding } from './decoder.ts';

export class ParseError extends CodedError<'PARSE_ERROR'> {
  constructor(message: string) {
    super('PARSE_ERROR', message);
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
  /**
   * feed more input: the bytes as read (decoded in the feed's `encoding`, see decoder.ts) or text already decoded;
   * returns the complete records so far. The framer copies what it keeps: callers may reuse their buffer.
   */
  push(chunk: Uint8Array | string): FramerOutput;
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
  /**
   * text formats: the declared encoding. A raw record given as bytes only (`binary`, empty `text`: a Kafka or HTTP
   * message) is decoded in it by the Mediator; bytes invalid in it make an INVALID_ENCODING reject keeping them.
   */
  readonly encoding?: Encoding;
  createFramer(file: string, feed: string): Framer;
  /** parse one raw record; throw ParseError for malformed input */
  parse(rec: RawRecord): ParsedRecord;
  /**
   * Optional async preparation of a batch before the synchronous parse (Avro: fetch unknown schema ids from the
   * schema registry once, so parse() never waits). Sources call it before Mediator.mediate when present.
   */
  prepare?(batch: readonly RawRecord[]): Promise<void>;
}

export interface ParserSpec<S extends z.ZodObject = z.ZodObject> {
  type: string;
  description: string;
  /** zod schema of the `parser:` block options (without `type`) */
  options: S;
  /** example `parser:` blocks (YAML-ready objects) */
  examples: Record<string, unknown>[];
  create(options: z.output<S>, ctx?: ParserContext): FeedParser;
}

/** What a parser may need from its surroundings when it is created. */
export interface ParserContext {
  /** folder of the rule file: relative paths in parser options (e.g. an Avro schema) resolve against it */
  baseDir: string;
  /** Avro: resolves Confluent schema ids (a schema registry client); injected by the runtime or tests */
  schemaResolver?: SchemaResolver;
}

/**
 * Resolves a schema id of the Confluent wire format to the writer's Avro type (an avsc Type). The runtime's
 * `SchemaRegistry` (engine/runtime/kafka/schema-registry.ts) satisfies it as is; tests pass a map.
 */
export interface SchemaResolver {
  typeById(id: number): Promise<{ fromBuffer(b: Buffer): unknown }>;
}
