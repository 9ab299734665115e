/**
 * The mediation core: a batch of raw records → UDRs, rejects and ignored counts. Synchronous, no I/O, no promise
 * or closure per record. Every record ends in exactly one of the outcomes:
 *
 *   records in = udrs + Σ ignored + rejects + (pending after − pending before)
 *
 * `pending` is only non-zero with start/stop pairing: a half waiting for its partner is held by the Mediator (state
 * across batches of a run) and is counted when its pair completes (the UDR counts the start, the stop and updates
 * count as ignored "paired"), or when it expires or the input ends (`flush()`: UNPAIRED rejects). After `flush()`
 * nothing is pending, so over a whole run in = udrs + ignored + rejects exactly.
 *
 * Pairing state can outlive the process: every batch reports which pending entries it created, changed or closed
 * (`pairingChanges`, null = paired / expired / evicted) and the pairing clock when it moved; `snapshotPairing()` and
 * `restorePairing()` round-trip the whole state, so a Mediator restored from a snapshot (or from the changes applied
 * in order) continues exactly like the one that produced it.
 *
 * The in-run dedup window can outlive the process too: with `trackDedup` on, every batch reports the ids it added to
 * the window (`dedupAdded`, in order), and `restoreDedup(ids)` puts ids back (oldest first) — the streaming mediate
 * role persists them with the partition, so a resend after a restart is still a duplicate at mediation.
 */
import type { MediationResult, RawRecord, Reject, RejectReason, Udr } from '../core/types.ts';
import type { ExprMeta } from '../expr/compile.ts';
import { ExprRuntimeError, type Value } from '../expr/runtime.ts';
import type { CompiledFieldCounts, CompiledMediation } from './compiler.ts';
import { decodeMessage } from './parsers/decoder.ts';
import { ParseError } from './parsers/types.ts';
import { IdWindow } from './dedup.ts';
import { MediatedUdr } from './mediated-udr.ts';
import { FIELD_EMPTY, Scratch } from './program.ts';

export interface MediationBatchResult extends MediationResult {
  /** halves held for pairing after this batch (0 without pairing) */
  pending: number;
  /**
   * pending pairing entries this batch created, changed or closed, by pairing key: the entry as it is now, or null
   * when it is gone (paired, expired, evicted). Empty without pairing.
   */
  pairingChanges: PairingChange[];
  /** the pairing clock (newest event time seen, for the window) when this batch moved it */
  pairingClock?: number;
  /** ids this batch added to the dedup window, in order (only with `trackDedup` on) */
  dedupAdded?: string[];
}

/** A held record as persisted: its coordinates and its text, or its bytes as base64. */
export interface HeldRecordState {
  feed: string;
  source: string;
  text?: string;
  b64?: string;
}

/** A pending pairing entry as persisted (JSON-safe). */
export interface PairingEntryState {
  /** position among the pending entries (oldest first: window expiry and max-pending eviction go in this order) */
  seq: number;
  /** event time of the entry; null = not known yet */
  time: number | null;
  /** every held record in arrival order */
  held: HeldRecordState[];
  /** which held records are the current start, stop and update (index into `held`, -1 = none) */
  start: number;
  stop: number;
  update: number;
}

export interface PairingChange {
  key: string;
  value: PairingEntryState | null;
}

/** The whole pairing state of a Mediator. */
export interface PairingSnapshot {
  /** newest event time seen (null = none yet) */
  clock: number | null;
  entries: PairingChange[];
}

interface Half {
  raw: RawRecord;
  rec: unknown;
}

interface PairEntry {
  key: string;
  /** position in `pairs` (an entry replacing one under the same key keeps its position, as Map.set does) */
  seq: number;
  start: Half | null;
  stop: Half | null;
  update: Half | null;
  /** every held record of this entry (start, stop, updates) in arrival order */
  held: RawRecord[];
  time: number;
}

const MAX_REJECT_RAW = 65_536;

function rawText(raw: RawRecord): string {
  if (raw.text || !raw.binary) return raw.text.length > MAX_REJECT_RAW ? raw.text.slice(0, MAX_REJECT_RAW) : raw.text;
  // binary messages (Avro from Kafka): keep replayable bytes as base64 (the avro parser reads this form)
  return `base64:${Buffer.from(raw.binary.buffer, raw.binary.byteOffset, raw.binary.byteLength).toString('base64')}`;
}

/**
 * Mapped values as pairing expressions see them (compiled standalone, they read bare identifiers from this object):
 * pairing runs before the usage class and the fields, so nothing is mapped yet. Null prototype: no name resolves
 * to anything inherited.
 */
const NOTHING_MAPPED: Record<string, Value> = Object.freeze(Object.create(null));

function truthy(v: Value): boolean {
  return !(v === null || v === false || v === '' || v === 0);
}

/** why a delimited record has the wrong number of fields for its record type, or undefined */
function fieldCountProblem(fc: CompiledFieldCounts, rec: string[], m: ExprMeta): string | undefined {
  let type: string;
  try {
    const v = fc.by(rec, NOTHING_MAPPED, m);
    type = v === null ? '' : String(v);
  } catch {
    type = '';
  }
  const c = fc.types.get(type) ?? fc.other;
  if (c === undefined || (rec.length >= c.min && rec.length <= c.max)) return undefined;
  const want = c.max === Infinity ? `at least ${c.min}` : c.min === c.max ? `${c.min}` : c.min === 0 ? `at most ${c.max}` : `${c.min} to ${c.max}`;
  return `record type ${JSON.stringify(type)}${fc.types.has(type) ? '' : ' (other)'} needs ${want} fields, found ${rec.length} (field-counts)`;
}

function heldState(raw: RawRecord): HeldRecordState {
  if (raw.text || !raw.binary) return { feed: raw.feed, source: raw.source, text: raw.text };
  return { feed: raw.feed, source: raw.source, b64: Buffer.from(raw.binary.buffer, raw.binary.byteOffset, raw.binary.byteLength).toString('base64') };
}

/** a persisted held record as the RawRecord it was */
export function heldRaw(h: HeldRecordState): RawRecord {
  if (h.b64 !== undefined) return { feed: h.feed, source: h.source, text: '', binary: Buffer.from(h.b64, 'base64') };
  return { feed: h.feed, source: h.source, text: h.text ?? '' };
}

function entryState(e: PairEntry): PairingEntryState {
  const at = (h: Half | null) => (h === null ? -1 : e.held.indexOf(h.raw));
  return { seq: e.seq, time: e.time === Infinity ? null : e.time, held: e.held.map(heldState), start: at(e.start), stop: at(e.stop), update: at(e.update) };
}

export class Mediator {
  /** recent distinct record ids for in-run dedup (oldest evicted first) */
  private readonly seen = new IdWindow();
  /** report the ids each batch adds to the dedup window (`dedupAdded`), for persisting it */
  trackDedup = false;
  private added: string[] = [];
  private readonly pairs = new Map<string, PairEntry>();
  private heldCount = 0;
  private newestTime = -Infinity;
  private nextSeq = 0;
  /** pairing keys touched by the batch being built */
  private dirty = new Set<string>();
  private clockAtBegin = -Infinity;
  /** rejects to hand out with the next batch (held records that could not be restored) */
  private carried: Reject[] = [];
  // the batch being built (set by mediate/flush)
  private udrs: Udr[] = [];
  private rejects: Reject[] = [];
  private ignored = new Map<string, number>();
  /** reused per record: no allocation for the meta context */
  private readonly meta: ExprMeta = { feed: '', source: '', stop: null, update: null };
  /** reused per record: what the rule program hands back (see program.ts) */
  private scratch: Scratch;

  constructor(private _rules: CompiledMediation) {
    this.scratch = new Scratch(_rules.program.attrSlots);
  }

  get rules(): CompiledMediation {
    return this._rules;
  }

  /**
   * Hot reload: later records use the new rules. Dedup and pairing state are kept (a pending half is completed
   * under the new rules); the parser must read the same format, which a changed parser type cannot promise.
   */
  swapRules(rules: CompiledMediation): void {
    if (rules.config.parser.type !== this._rules.config.parser.type) {
      throw new Error(`hot reload cannot change the parser type (${this._rules.config.parser.type} → ${rules.config.parser.type}); restart instead`);
    }
    this._rules = rules;
    this.scratch = new Scratch(rules.program.attrSlots);
  }

  /** halves currently held for pairing */
  get pending(): number {
    return this.heldCount;
  }

  mediate(batch: readonly RawRecord[]): MediationBatchResult {
    this.begin();
    const maxBytes = this.rules.parser.maxRecordBytes;
    // a record's failure (parse error, expression error) is data — a reject with its message — not an exception to
    // debug: no stack trace is captured for the errors thrown and caught here (capturing one is the costly part of a throw)
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let i = 0; i < batch.length; i++) {
        const raw = batch[i]!;
        try {
          this.one(raw, maxBytes);
        } catch (e) {
          // a bug must not fail the batch: the record is rejected with the error
          this.reject(raw, 'RULE_ERROR', `internal error: ${(e as Error).message}`);
        }
      }
    } finally {
      Error.stackTraceLimit = limit;
    }
    return this.end();
  }

  /** End of input: every pending half becomes an UNPAIRED reject. */
  flush(): MediationBatchResult {
    this.begin();
    for (const e of this.pairs.values()) {
      this.dirty.add(e.key);
      this.expire(e, 'end of input');
    }
    this.pairs.clear();
    return this.end();
  }

  /** The whole pairing state (pending entries oldest first, and the clock). */
  snapshotPairing(): PairingSnapshot {
    const entries: PairingChange[] = [];
    for (const e of this.pairs.values()) entries.push({ key: e.key, value: entryState(e) });
    return { clock: this.newestTime === -Infinity ? null : this.newestTime, entries };
  }

  /**
   * Replaces the pairing state with a snapshot (or the latest value per key of the changes, in any order: entries are
   * put back in `seq` order). Held halves are parsed again with the current rules; one that no longer parses makes
   * its entry's held records PARSE_ERROR rejects, handed out with the next batch (its key then shows as closed).
   */
  restorePairing(s: PairingSnapshot): void {
    this.pairs.clear();
    this.heldCount = 0;
    this.newestTime = s.clock ?? -Infinity;
    this.nextSeq = 0;
    const live = s.entries.filter((c): c is { key: string; value: PairingEntryState } => c.value !== null).sort((a, b) => a.value.seq - b.value.seq);
    for (const { key, value: v } of live) {
      const held = v.held.map(heldRaw);
      if (v.seq >= this.nextSeq) this.nextSeq = v.seq + 1;
      const half = (i: number): Half | null => (i < 0 ? null : { raw: held[i]!, rec: this.rules.parser.parse(held[i]!) });
      let e: PairEntry;
      try {
        e = { key, seq: v.seq, start: half(v.start), stop: half(v.stop), update: half(v.update), held, time: v.time ?? Infinity };
      } catch (err) {
        for (const raw of held) this.carried.push(this.rejectOf(raw, 'PARSE_ERROR', `pending pairing half could not be restored: ${(err as Error).message}`));
        this.dirty.add(key);
        continue;
      }
      this.pairs.set(key, e);
      this.heldCount += held.length;
    }
  }

  /** Sizes the dedup window for the whole `dedup.window` now (a long-running role taking a partition), so it never
   * grows while the partition runs: memory stays flat and no regrown arrays are left behind. */
  reserveDedup(): void {
    this.seen.reserve(this.rules.dedupWindow);
  }

  /** Puts persisted dedup ids back into the window, oldest first (the window keeps the newest `dedup.window`). */
  restoreDedup(ids: Iterable<string>): void {
    const w = this.rules.dedupWindow;
    if (w <= 0) return;
    for (const id of ids) this.seen.add(id, w);
  }

  /** ids in the dedup window */
  get dedupSize(): number {
    return this.seen.size;
  }

  private begin(): void {
    this.added = [];
    this.udrs = [];
    this.rejects = this.carried.length ? this.carried : [];
    this.carried = [];
    this.ignored = new Map();
    this.clockAtBegin = this.newestTime;
  }

  private end(): MediationBatchResult {
    const out: MediationBatchResult = { udrs: this.udrs, rejects: this.rejects, ignored: this.ignored, pending: this.heldCount, pairingChanges: [] };
    if (this.dirty.size) {
      for (const key of this.dirty) {
        const e = this.pairs.get(key);
        out.pairingChanges.push({ key, value: e === undefined ? null : entryState(e) });
      }
      this.dirty.clear();
    }
    if (this.newestTime !== this.clockAtBegin) out.pairingClock = this.newestTime;
    if (this.trackDedup) {
      out.dedupAdded = this.added;
      this.added = [];
    }
    this.udrs = [];
    this.rejects = [];
    this.ignored = new Map();
    return out;
  }

  private ignore(reason: string, n = 1): void {
    this.ignored.set(reason, (this.ignored.get(reason) ?? 0) + n);
  }

  private reject(raw: RawRecord, reason: RejectReason, message: string): void {
    this.rejects.push(this.rejectOf(raw, reason, message));
  }

  private rejectOf(raw: RawRecord, reason: RejectReason, message: string): Reject {
    return { feed: raw.feed, source: raw.source, reason, message, raw: rawText(raw), rulesVersion: this.rules.version };
  }

  /** the record, or every held half of its pair, rejected */
  private rejectHeld(raw: RawRecord, pair: PairEntry | null, reason: RejectReason, message: string): void {
    if (!pair) return this.reject(raw, reason, message);
    for (const h of pair.held) this.reject(h, reason, message);
  }

  private one(raw: RawRecord, maxBytes: number): void {
    const r = this.rules;
    const fault = raw.fault;
    if (fault !== undefined) return this.reject(raw, fault.reason, fault.message);
    const enc = r.parser.encoding;
    if (enc !== undefined && raw.binary !== undefined && raw.text === '') {
      // a message given as bytes to a text feed: decoded in the feed's encoding, never with U+FFFD
      const text = decodeMessage(raw.binary, enc);
      if (text === undefined) return this.reject(raw, 'INVALID_ENCODING', `bytes invalid in ${enc}; the record keeps its original bytes (base64)`);
      raw = { feed: raw.feed, source: raw.source, text };
    }
    if (enc !== undefined && raw.binary === undefined) {
      // a text feed: a NUL is never text (in `run` a NUL near a file's start makes it BINARY_INPUT; further in, on a
      // Kafka or HTTP message, it would reach a field): the record is rejected as it is, in every mode
      const nul = raw.text.indexOf('\u0000');
      if (nul >= 0) return this.reject(raw, 'INVALID_ENCODING', `a NUL character at character ${nul + 1}: control NULs are not text in ${enc}`);
    }
    const len = raw.binary ? raw.binary.byteLength : raw.text.length;
    if (len > maxBytes) return this.reject(raw, 'OVERSIZE', `record is ${len} ${raw.binary ? 'bytes' : 'characters'}, limit ${maxBytes}`);
    let rec: unknown;
    try {
      rec = r.parser.parse(raw);
    } catch (e) {
      if (e instanceof ParseError) return this.reject(raw, 'PARSE_ERROR', e.message);
      return this.reject(raw, 'PARSE_ERROR', `unexpected parser failure: ${(e as Error).message}`);
    }
    const m = this.meta;
    m.feed = raw.feed;
    m.source = raw.source;
    m.stop = null;
    m.update = null;
    const s = this.scratch;
    let where = -1; // -1: pairing, else the program's step (set on a throw)
    if (r.fieldCounts !== undefined) {
      const why = fieldCountProblem(r.fieldCounts, rec as string[], m);
      if (why !== undefined) return this.reject(raw, 'PARSE_ERROR', why);
    }
    try {
      const k = r.program.filter(rec, m, s);
      if (k >= 0) {
        const f = r.filters[k]!;
        return f.reject === undefined ? this.ignore(f.name) : this.reject(raw, f.reject.reason, f.reject.message);
      }
      if (r.pairing) {
        where = -2;
        const done = this.pair(raw, rec);
        if (done === null) return; // held (pending) or the half was handled
        this.mapAndEmit(done.start!.raw, done.start!.rec, done);
        return;
      }
    } catch (e) {
      return this.ruleFailure([raw], e, where === -2 ? 'pairing' : r.program.steps[s.step]!);
    }
    this.mapAndEmit(raw, rec, null);
  }

  /**
   * Pairing: returns the completed entry (start and stop present) to be mapped, or null when the record was held
   * or passed through (records that are neither start, stop nor update are mediated as they are).
   */
  private pair(raw: RawRecord, rec: unknown): PairEntry | null {
    const p = this.rules.pairing!;
    const m = this.meta;
    const v = NOTHING_MAPPED;
    const isStart = truthy(p.start(rec, v, m));
    const isStop = !isStart && truthy(p.stop(rec, v, m));
    const isUpdate = !isStart && !isStop && p.update !== undefined && truthy(p.update(rec, v, m));
    if (!isStart && !isStop && !isUpdate) {
      this.mapAndEmit(raw, rec, null); // a complete record (e.g. a missed call)
      return null;
    }
    const key = String(p.key(rec, v, m) ?? '');
    // event time of this half; unknown (null, empty) → the newest time seen so far
    const tv = p.time ? p.time(rec, v, m) : null;
    let time = tv === null || tv === '' ? NaN : Number(tv);
    if (p.windowMs !== undefined && time === time) {
      if (time > this.newestTime) this.newestTime = time;
      this.expireOlderThan(this.newestTime - p.windowMs);
    }
    if (time !== time) time = this.newestTime === -Infinity ? Infinity : this.newestTime;
    this.dirty.add(key);
    let e = this.pairs.get(key);
    if (e === undefined) {
      e = { key, seq: this.nextSeq++, start: null, stop: null, update: null, held: [], time };
      this.pairs.set(key, e);
    } else if (e.time === Infinity) e.time = time;
    const half: Half = { raw, rec };
    if (isStart) {
      if (e.start) { this.expire(e, 'a second start with the same key arrived'); e = this.fresh(key, e.seq, time); }
      e.start = half;
    } else if (isStop) {
      if (e.stop) { this.expire(e, 'a second stop with the same key arrived'); e = this.fresh(key, e.seq, time); }
      e.stop = half;
    } else e.update = half;
    e.held.push(raw);
    this.heldCount++;
    if (e.start && e.stop) {
      this.pairs.delete(key);
      this.heldCount -= e.held.length;
      return e;
    }
    while (this.pairs.size > p.maxPending) {
      const first = this.pairs.values().next().value as PairEntry;
      this.pairs.delete(first.key);
      this.dirty.add(first.key);
      this.expire(first, `more than ${p.maxPending} pending`);
    }
    return null;
  }

  /** a new entry in the place of one just expired (Map.set on a present key keeps its position: so does `seq`) */
  private fresh(key: string, seq: number, time: number): PairEntry {
    const e: PairEntry = { key, seq, start: null, stop: null, update: null, held: [], time };
    this.pairs.set(key, e);
    return e;
  }

  private expireOlderThan(limit: number): void {
    for (const e of this.pairs.values()) {
      if (e.time >= limit) break;
      this.pairs.delete(e.key);
      this.dirty.add(e.key);
      this.expire(e, 'outside the pairing window');
    }
  }

  /** every held half of the entry becomes an UNPAIRED reject */
  private expire(e: PairEntry, why: string): void {
    const missing = e.start ? 'stop' : e.stop ? 'start' : 'start and stop';
    for (const raw of e.held) this.reject(raw, 'UNPAIRED', `no ${missing} for pairing key ${JSON.stringify(e.key)} (${why})`);
    this.heldCount -= e.held.length;
    e.held = [];
  }

  /** where: `filter <name>`, `pairing`, `usage-class <name>`, `mapping`, `field <name>` */
  private ruleFailure(held: readonly RawRecord[], e: unknown, where: string): void {
    const [reason, msg]: [RejectReason, string] = e instanceof ExprRuntimeError ? ['INVALID_FIELD', e.message] : ['RULE_ERROR', (e as Error).message];
    for (const raw of held) this.reject(raw, reason, `${where}: ${msg}`);
  }

  /** usage class, mapping, fields, checks → a UDR, or rejects (every half of a pair gets the reject) */
  private mapAndEmit(raw: RawRecord, rec: unknown, pair: PairEntry | null): void {
    const r = this.rules;
    const prog = r.program;
    const m = this.meta;
    const s = this.scratch;
    if (pair) {
      m.source = raw.source;
      m.stop = pair.stop!.rec;
      m.update = pair.update ? pair.update.rec : null;
    }
    let mi: number;
    try {
      mi = prog.classify(rec, m, s);
      if (mi < 0) {
        return this.rejectHeld(raw, pair, 'NO_MAPPING', `no mapping matched${s.usageClass ? ` (usageClass ${s.usageClass})` : ''}`);
      }
      if (prog.mappings[mi]!.fields(rec, m, s) === FIELD_EMPTY) {
        const f = prog.fieldOf[s.step]!;
        return this.rejectHeld(raw, pair, f.rejectAs, `${f.name} is empty (mapping "${f.mapping}")`);
      }
    } catch (e) {
      return this.ruleFailure(pair ? pair.held : [raw], e, prog.steps[s.step]!);
    }
    const v = s;
    const id = String(v.id);
    const partners = pair ? pair.held.length - 1 : 0;
    const quantity = typeof v.quantity === 'number' ? v.quantity : Number(v.quantity);
    if (!Number.isInteger(quantity) || quantity < 0) {
      return this.rejectHeld(raw, pair, 'INVALID_FIELD', `quantity ${JSON.stringify(v.quantity)} is not a non-negative integer in base unit ${v.unit} (round it explicitly)`);
    }
    const startTime = typeof v.startTime === 'number' ? v.startTime : Number(v.startTime);
    if (!Number.isFinite(startTime)) {
      return this.rejectHeld(raw, pair, 'INVALID_FIELD', `startTime ${JSON.stringify(v.startTime)} is not a time (use time())`);
    }
    const usageClass = v.usageClass == null ? '' : String(v.usageClass);
    if (!usageClass) {
      return this.rejectHeld(raw, pair, 'MISSING_FIELD', 'usageClass is empty (no usage-class rule matched)');
    }
    // Dedup comes after every check: a record that is rejected never takes its id, so the corrected re-send with
    // the same id is still billed, and a broken record is a reject (with its reason), never an ignored duplicate —
    // in every mode (README "Duplicates and rejects").
    if (r.dedupWindow > 0) {
      if (!this.seen.add(id, r.dedupWindow)) return this.ignore('duplicate', partners + 1);
      if (this.trackDedup) this.added.push(id);
    }
    const attrs = prog.mappings[mi]!.attrs(s, rec);
    if (pair) attrs.stopSource = pair.stop!.raw.source;
    const account = String(v.account);
    const sv = v.service, rk = v.ratingKey, o = v.origin, d = v.destination;
    this.udrs.push(new MediatedUdr(
      id, raw.feed, usageClass, account, sv == null ? '' : String(sv), rk == null ? account : String(rk), startTime, quantity,
      String(v.unit), o == null ? '' : String(o), d == null ? '' : String(d), attrs, raw.source, r.version,
    ));
    if (partners > 0) this.ignore('paired', partners);
  }
}
