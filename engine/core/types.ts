/**
 * Core data contracts shared by mediation, rating, runtime and store.
 * The core is pure and synchronous: it receives batches and returns results; all I/O lives in ports.
 */

/** Where a raw record came from: `file:line` for files, `topic/partition/offset` for Kafka, `http:<batch>#<n>` for HTTP. */
export type SourceCoordinates = string;

/** One raw input record, before parsing. `bytes` is the original text (or base64 for binary sources). */
export interface RawRecord {
  /** feed name (e.g. `carrier-cdr`); selects the pipeline's rule set. */
  feed: string;
  source: SourceCoordinates;
  /** the original line / message (text). For binary (Avro) messages, `binary` carries the bytes. */
  text: string;
  binary?: Uint8Array;
  /**
   * A framing fault: the framer condemned this record (trailer count mismatch, bytes invalid in the encoding, a binary
   * file, an oversize element...). Carried as data so it survives every trip (a worker thread, a Kafka topic as the
   * `rs-fault` header); the Mediator turns it into a reject with this reason instead of mediating the record.
   */
  fault?: FramingFault;
}

export interface FramingFault {
  reason: RejectReason;
  message: string;
}

/**
 * A parsed record handed to the rules. Ordinal formats (delimited, fixed-width) give a string array
 * (field 1 = index 0); structured formats (JSON, XML, Avro) give an object tree.
 */
export type ParsedRecord = string[] | Record<string, unknown>;

/** Closed set of reject reason codes. Add here, document in README, never invent ad hoc strings. */
export const REJECT_REASONS = [
  'PARSE_ERROR', // the bytes are not a record of the feed's format
  'INVALID_ENCODING', // the record holds bytes invalid in the feed's declared encoding (kept as they were)
  'BINARY_INPUT', // the file is not text (NUL bytes, mostly control bytes): rejected whole, not parsed
  'OVERSIZE', // record longer than the feed's limit
  'MISSING_FIELD', // a required UDR field is empty after mapping
  'INVALID_FIELD', // a field could not be converted (number, date, phone number, unit)
  'NO_MAPPING', // no conditional mapping matched the record
  'UNKNOWN_ACCOUNT', // enrichment found no account for the record
  'UNKNOWN_REFERENCE', // any other reference-table miss marked required
  'TRAILER_MISMATCH', // fixed-width trailer count/total check failed (records of that file)
  'UNPAIRED', // start/stop pairing never found the other half in its window
  'NO_RATE', // rating found no price for the UDR
  'RATING_ERROR', // rating failed for this UDR (e.g. max cost with reject strategy)
  'RULE_ERROR', // a rule raised an error for this record
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Reject {
  feed: string;
  source: SourceCoordinates;
  reason: RejectReason;
  /** human-readable detail: which field, which value, which rule. */
  message: string;
  /** original bytes (text) of the record, for replay. */
  raw: string;
  /** rule set version (content hash) that rejected it. */
  rulesVersion: string;
}

/** Quantity units. Quantities are integers in these base units, so charging increments are exact. */
export type BaseUnit = 'ms' | 'byte' | 'event' | (string & {});

/**
 * Usage Data Record: one schema for every feed (Avro: schemas/udr.avsc). Money never appears here.
 * `quantity` is an integer in `unit` (milliseconds for time, bytes for data, events for SMS/events; custom units
 * such as `ml` for outcome-based usage).
 */
export interface Udr {
  /** stable record id: the dedup key and the root of charge ids. */
  id: string;
  feed: string;
  usageClass: string;
  account: string;
  /** the service (subscription) the usage belongs to, if known. */
  service: string;
  /** partitioning / pool key: the pool owner (parent account for parent-level share plans, else the account). */
  ratingKey: string;
  /** epoch milliseconds (UTC) when the usage started. */
  startTime: number;
  quantity: number;
  unit: BaseUnit;
  origin: string;
  destination: string;
  /** any further mapped fields (strings), available to rating conditions as `attrs.<name>`. */
  attrs: Record<string, string>;
  source: SourceCoordinates;
  rulesVersion: string;
}

export interface MediationResult {
  udrs: Udr[];
  rejects: Reject[];
  /** ignored counts by reason (filter name, `duplicate`, ...). */
  ignored: Map<string, number>;
}

/** the charging run of a catalog without `charging-runs`, and of charges stored before runs existed */
export const DEFAULT_RUN = 'default';

/** A rated charge. `amount` is a scaled integer (see core/money.ts: 10 decimals) — never a float. */
export interface Charge {
  /** deterministic: hash of (udr id, charge kind, seq) so retries never duplicate. */
  id: string;
  udrId: string;
  account: string;
  ratingKey: string;
  service: string;
  usageClass: string;
  kind: 'usage' | 'recurring' | 'one_time' | 'penalty' | 'adjustment';
  product: string;
  plan: string;
  rateId: string;
  /** the condition (time window, destination prefix...) that selected the rate. */
  matched: string;
  /** quantity billed after charging increments, in the UDR's base unit. */
  quantity: number;
  unit: BaseUnit;
  amount: bigint;
  currency: string;
  eventTime: number;
  /** lineage: source coordinates, rule and catalog versions, bucket debits, computation steps. */
  source: SourceCoordinates;
  rulesVersion: string;
  catalogVersion: string;
  /**
   * JSON of the computation (steps, bucket debits) for `explain`: the text itself, or (usage charges of the rater) a
   * compact source that writes the same text on demand. Read it with `lineageText(charge)`.
   */
  lineage: string | LineageSource;
  /** charging run that rated it (catalog `charging-runs`); absent = the implicit run `default` */
  run?: string;
  /** false = a cost of a non-billable run (not invoiced); absent = billable */
  billable?: boolean;
}

/**
 * A charge's lineage kept as data (numbers and references to its rate's constant pieces) instead of its JSON text:
 * the rater makes no text per charge; a consumer that stores, prints or explains the charge asks for the text.
 */
export interface LineageSource {
  /** the lineage JSON text (the same text each call) */
  text(): string;
  /**
   * the same text written piece by piece into `out` (a store's row buffer: no string per charge is built), when the
   * source can; the pieces joined are text() exactly
   */
  writeTo?(out: TextSink): void;
}

/**
 * A constant piece of text with its UTF-8 bytes, encoded once (a rate's lineage pieces: written for every charge of
 * the rate, copied as bytes by a byte sink instead of encoded each time).
 */
export interface TextPiece {
  readonly s: string;
  /** Buffer.from(s): the UTF-8 bytes of `s` */
  readonly b: Uint8Array;
}

/** Where a LineageSource writes its text in pieces: a store encoder's buffer (escaping as its format needs), or a string. */
export interface TextSink {
  /** a piece of the text */
  text(s: string): void;
  /** a constant piece of the text (the same as text(p.s)) */
  piece(p: TextPiece): void;
  /** a safe integer's decimal text (`${n}`) */
  int(n: number): void;
}

/** the lineage JSON text of a charge (written on demand when the charge carries a LineageSource) */
export function lineageText(c: { lineage: string | LineageSource }): string {
  const l = c.lineage;
  return typeof l === 'string' ? l : l.text();
}

export interface RatingResult {
  charges: Charge[];
  rejects: Reject[];
}
