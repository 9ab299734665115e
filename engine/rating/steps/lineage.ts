/**
 * Lineage: the usage charge of a priced measure with its computation — billed quantity, model, prefix, window and
 * split segments, connect fee, exact cost, rounding, caps and pool debits. (The charge's own columns already carry
 * UDR id, source, plan, rate, matched condition, amount and versions.) Fields that are undefined are left out.
 *
 * Without a trace the charge carries a UsageLineage: the numbers of the computation and references to what already
 * exists (the rate with its constant text pieces, the segments, the exact cost, the debits) — no text per charge.
 * Its JSON text is written when a consumer asks for it (`lineageText(charge)`: the ledger row, the rated topic,
 * authorize) in the compact form (version 2): what the charge's rate gives — its model, connect fee, own rounding, the
 * one plain segment and the model's detail of it — is left out, as the ledger keeps each rate's terms once per
 * catalog version (`rate_terms`). `expandUsageLineage` gives the full lineage (version 1) back, byte for byte the text
 * JSON.stringify(usageLineage(…)) gives (a test compares them). With a trace (explain) the full lineage object gets
 * the steps and is serialised when the charge is made.
 */
import { type LineageSource, lineageText, type TextPiece, type TextSink } from '../../core/types.ts';
import { jsonInner, jsonNumber, jsonString, StringSink, textPiece } from '../json-text.ts';
import { type Cost, costText, sumText, writeCostNum } from '../rational.ts';
import type { CompiledRate, Rounding } from '../catalog.ts';
import type { Lineage, MeasureContext, RatingStep, Segment } from './types.ts';

/** how a usage step left its detail text: written (ctx.detail), or to be written from the segments or by the model */
export const DETAIL_TEXT = 0;
export const DETAIL_SEGMENTS = 1;
export const DETAIL_MODEL = 2;
export type DetailKind = typeof DETAIL_TEXT | typeof DETAIL_SEGMENTS | typeof DETAIL_MODEL;

/** the detail text of a usage step: `window:rate from-to billed n; …` of the segments, or the model's text of its one segment */
export function usageDetail(kind: DetailKind, detail: string, segs: readonly Segment[], rate: CompiledRate): string {
  if (kind === DETAIL_TEXT) return detail;
  if (kind === DETAIL_MODEL) return rate.model.detailOf!(segs[0]!.to, segs[0]!.billed);
  let d = '';
  for (let i = 0; i < segs.length; i++) d += `${i ? '; ' : ''}${segmentDetail(segs[i]!)}`;
  return d;
}

/** usageDetail of the one plain segment (the rate's own, from 0 to `to`) */
function plainDetail(kind: DetailKind, detail: string, to: number, billed: number, rate: CompiledRate): string {
  if (kind === DETAIL_TEXT) return detail;
  if (kind === DETAIL_MODEL) return rate.model.detailOf!(to, billed);
  return `${rate.windowId}:${rate.id} 0-${to} billed ${billed}`;
}

function segmentDetail(s: Segment): string {
  return `${s.window}:${s.rate} ${s.from}-${s.to} billed ${s.billed}`;
}

/** the detail text of the measure being priced */
export function ctxDetail(ctx: MeasureContext): string {
  return usageDetail(ctx.detailKind, ctx.detail, ctx.segments, ctx.first);
}

export function usageLineage(ctx: MeasureContext, cost: string): Lineage {
  const segs = ctx.segments;
  return {
    v: 1, via: ctx.via, measure: ctx.measure || undefined, quantity: ctx.q, billed: ctx.billed, prefix: ctx.prefix, window: ctx.first.windowId,
    segments: segs.length > 1 || segs[0]?.window !== '*any' ? segs : undefined,
    model: ctx.first.model.model, detail: ctxDetail(ctx), connectFee: ctx.first.connectFeeText, cost,
    rounding: roundingOf(ctx.rounding), capped: ctx.capped, debits: ctx.keptDebits(),
    session: ctx.session,
  };
}

function segmentText(g: Segment): string {
  return `{"rate":${jsonString(g.rate)},"window":${jsonString(g.window)},"from":${jsonNumber(g.from)},"to":${jsonNumber(g.to)},"billed":${jsonNumber(g.billed)}${g.cost === undefined ? '' : `,"cost":${jsonString(g.cost)}`}}`;
}

function segmentsText(segs: readonly Segment[]): string {
  let s = '[';
  for (let i = 0; i < segs.length; i++) s += `${i ? ',' : ''}${segmentText(segs[i]!)}`;
  return `${s}]`;
}

/** the constant pieces of a rate's compact lineage text, each with its UTF-8 bytes (TextPiece: copied, not encoded, per charge) */
interface RateText {
  /** the prefix `where` was last looked up for (a one-entry memo in front of `byPrefix`) */
  prefix: string;
  /** `,"prefix":…,"window":…` */
  where: TextPiece;
  /** where by prefix (a rate matched at several prefixes: no pieces encoded again per change) */
  byPrefix: Map<string, TextPiece>;
  /** `,"segments":[{"rate":…,"window":…,"from":0,"to":` of the rate's one plain segment (its `to` next) */
  segment: TextPiece;
  /** `,"detail":"<window>:<rate> 0-`: the plain segment's detail text up to its `to`, JSON-escaped */
  plainDetail: TextPiece;
  /**
   * the model's detailPieces, JSON-escaped, as pieces (null: the model has none): copied as bytes per charge, not
   * encoded (they hold non-ASCII text, e.g. " → billed ", and the rate's terms)
   */
  modelBetween: TextPiece | null;
  modelAfter: TextPiece;
}

const BILLED = textPiece(',"billed":');
const BILLED_TEXT = textPiece(' billed ');
const DETAIL = textPiece(',"detail":"');
/** closing a detail text, opening the cost */
const DETAIL_COST = textPiece('","cost":"');
const COST = textPiece(',"cost":"');
const SEG_END = textPiece('}]');
const QUOTE = textPiece('"');
const QUOTE_END = textPiece('"}');

/** `{"v":2,"via":…` */
function headOf(via: string): string {
  return `{"v":2,"via":${jsonString(via)}`;
}

/** `{"v":2,"via":…,"quantity":` by plan route (few: one per service or plan) */
const headsQ = new Map<string, TextPiece>();

function headQOf(via: string): TextPiece {
  let h = headsQ.get(via);
  if (h === undefined) {
    if (headsQ.size >= 4096) headsQ.clear();
    h = textPiece(`${headOf(via)},"quantity":`);
    headsQ.set(via, h);
  }
  return h;
}

const NO_PIECE = textPiece('');

function rateText(first: CompiledRate, prefix: string): RateText {
  let t = first.textMemo as RateText | undefined;
  if (t === undefined) {
    t = { prefix: '', where: NO_PIECE, byPrefix: new Map(),
      segment: textPiece(`,"segments":[{"rate":${jsonString(first.id)},"window":${jsonString(first.windowId)},"from":0,"to":`),
      plainDetail: textPiece(`,"detail":"${jsonInner(`${first.windowId}:${first.id} 0-`)}`),
      modelBetween: first.model.detailPieces ? textPiece(jsonInner(first.model.detailPieces.between)) : null, modelAfter: textPiece(jsonInner(first.model.detailPieces?.after ?? '')) };
    first.textMemo = t;
  }
  if (t.prefix !== prefix || t.where === NO_PIECE) {
    let w = t.byPrefix.get(prefix);
    if (w === undefined) {
      if (t.byPrefix.size >= 256) t.byPrefix.clear();
      w = textPiece(`,"prefix":${jsonString(prefix)},"window":${jsonString(first.windowId)}`);
      t.byPrefix.set(prefix, w);
    }
    t.prefix = prefix;
    t.where = w;
  }
  return t;
}

function matchedAt(r: CompiledRate, prefix: string): string {
  r.memoPrefix = prefix;
  return (r.memoMatched = prefix !== '*any' ? `${r.matchedText} [prefix ${prefix}]` : r.matchedText);
}

/** a rounding as the lineage names it: `<mode>/<decimals>` */
export function roundingOf(r: Rounding): string {
  return `${r.mode}/${r.decimals}`;
}

const NO_SEGMENTS: readonly Segment[] = [];
/** 2^26: a safe-integer numerator n = hi × LO + lo with 0 <= lo < LO and |hi| < 2^27 */
const LO = 67_108_864;

function copySegments(segs: readonly Segment[]): Segment[] {
  const out: Segment[] = new Array(segs.length);
  for (let i = 0; i < segs.length; i++) {
    const g = segs[i]!;
    out[i] = g.cost === undefined ? { rate: g.rate, window: g.window, from: g.from, to: g.to, billed: g.billed } : { rate: g.rate, window: g.window, from: g.from, to: g.to, billed: g.billed, cost: g.cost };
  }
  return out;
}

/** the less common parts of a usage lineage (one object, absent for a plain charge) */
interface LineageMore {
  measure: string;
  rounding: Rounding;
  capped: string | undefined;
  debits: readonly Lineage[] | undefined;
  session: Lineage | undefined;
}

/**
 * What a usage lineage holds beyond the plain case (absent when the charge has one plain segment — the rate's own,
 * from 0 to the quantity, billing all of it — no written detail, a cost in safe integers and no LineageMore).
 */
interface LineageRest {
  /** a copy of the segments; null: one plain segment, the rate's own from 0 to segTo, billed segBilled */
  segs: readonly Segment[] | null;
  segTo: number;
  segBilled: number;
  detail: string;
  /** the exact cost beyond the safe integers (else null: the cost is the lineage's costHi/costLo/costD) */
  costBig: Cost | null;
  /** measure, rounding other than the rate's, cap, pool debits, session part: absent when none is there */
  more: LineageMore | undefined;
}

/**
 * The lineage of a usage charge as data; `text()` writes JSON.stringify(usageLineage(ctx, costText(cost))) of the
 * measure it was made from. Holds only values that are not changed after the charge is made (the segments and debits
 * are the measure's own objects; costs are immutable), so the text is the same whenever it is written. A plain charge
 * (nearly all) is one object of eleven fields: the batch's charges live until `rate()` returns, so every field is
 * copied by the young-generation GC of the batch. The rate, prefix and plan route are fields of their own (one
 * object per charge): a memo of one (rate, prefix, via) object per rate missed for ≈ 9 of 10 charges in the stateful
 * bench (`via` names the service, and consecutive records are of different services), each miss a new object.
 */
export class UsageLineage implements LineageSource {
  /** fields added after the charge was made (the balance debit's `,"balance":…`), written last */
  tail = '';

  constructor(
    /** the rate with its constant text pieces, the prefix it matched at and the plan route */
    readonly rate: CompiledRate,
    readonly prefix: string,
    readonly via: string,
    readonly quantity: number,
    readonly billed: number,
    /**
     * the exact cost (rational.ts CostSum) costHi × 2^26 + costLo over costD (unless rest.costBig): the numerator in
     * two small integers (each a V8 small integer, so no number object per charge)
     */
    readonly costHi: number,
    readonly costLo: number,
    readonly costD: number,
    readonly detailKind: DetailKind,
    /** null: the plain case (see LineageRest) */
    readonly rest: LineageRest | null,
  ) {}

  static of(ctx: MeasureContext): UsageLineage {
    const segs = ctx.segments;
    const first = ctx.first;
    const plainMore = !ctx.measure && ctx.rounding === first.rounding && ctx.capped === undefined && ctx.debits.length === 0 && ctx.session === undefined;
    const s0 = segs[0];
    const one = segs.length === 1 && s0!.from === 0 && s0!.cost === undefined && s0!.rate === first.id && s0!.window === first.windowId;
    const n = ctx.costN;
    const hi = Math.floor(n / LO);
    if (one && plainMore && ctx.costBig === null && ctx.detail === '' && s0!.to === ctx.q && s0!.billed === ctx.billed) {
      return new UsageLineage(first, ctx.prefix, ctx.via, ctx.q, ctx.billed, hi, n - hi * LO, ctx.costD, ctx.detailKind, null);
    }
    const rest: LineageRest = {
      segs: one ? null : segs.length ? copySegments(segs) : NO_SEGMENTS, segTo: one ? s0!.to : 0, segBilled: one ? s0!.billed : 0, detail: ctx.detail, costBig: ctx.costBig,
      more: plainMore ? undefined : { measure: ctx.measure, rounding: ctx.rounding, capped: ctx.capped, debits: ctx.keptDebits(), session: ctx.session },
    };
    return new UsageLineage(first, ctx.prefix, ctx.via, ctx.q, ctx.billed, hi, n - hi * LO, ctx.costD, ctx.detailKind, rest);
  }

  text(): string {
    const out = new StringSink();
    this.writeTo(out);
    return out.s;
  }

  /**
   * The compact lineage text in pieces: constant pieces of the rate, numbers as digits (see LineageSource.writeTo).
   * What the rate's terms give is left out (see expandUsageLineage): the model, the connect fee, the rate's own
   * rounding, its one plain segment (from 0 to the quantity, billing all billed) and the model's detail of it.
   */
  writeTo(out: TextSink): void {
    const first = this.rate;
    const rt = rateText(first, this.prefix);
    const rest = this.rest;
    const segs = rest === null ? null : rest.segs;
    const q = this.quantity;
    const billed = this.billed;
    const segTo = rest === null ? q : rest.segTo;
    const segBilled = rest === null ? billed : rest.segBilled;
    const costBig = rest === null ? null : rest.costBig;
    const more = rest === null ? undefined : rest.more;
    // the plain segment as the rate's terms give it (nothing of it written)
    const plain = segs === null && segTo === q && segBilled === billed;
    if (more?.measure) out.text(`${headOf(this.via)},"measure":${jsonString(more.measure)},"quantity":`);
    else out.piece(headQOf(this.via));
    putJsonNumber(out, q);
    out.piece(BILLED);
    putJsonNumber(out, billed);
    out.piece(rt.where);
    if (segs === null) {
      if (!plain && first.windowId !== '*any') {
        // segmentsText of the one plain segment, the rate's own from 0 to segTo
        out.piece(rt.segment);
        putJsonNumber(out, segTo);
        out.piece(BILLED);
        putJsonNumber(out, segBilled);
        out.piece(SEG_END);
      }
    } else if (segs.length > 1 || segs[0]?.window !== '*any') out.text(`,"segments":${segmentsText(segs)}`);
    if (plain && this.detailKind === DETAIL_MODEL) out.piece(COST);
    else if (segs === null && this.detailKind === DETAIL_SEGMENTS) {
      // plainDetail: `<window>:<rate> 0-<to> billed <billed>`
      out.piece(rt.plainDetail);
      putNumber(out, segTo);
      out.piece(BILLED_TEXT);
      putNumber(out, segBilled);
      out.piece(DETAIL_COST);
    } else if (segs === null && this.detailKind === DETAIL_MODEL && rt.modelBetween !== null) {
      // plainDetail: the model's detailOf(segTo, segBilled) in its pieces
      out.piece(DETAIL);
      putNumber(out, segTo);
      out.piece(rt.modelBetween);
      putNumber(out, segBilled);
      out.piece(rt.modelAfter);
      out.piece(DETAIL_COST);
    } else {
      const detail = segs === null ? plainDetail(this.detailKind, rest === null ? '' : rest.detail, segTo, segBilled, first) : usageDetail(this.detailKind, rest!.detail, segs, first);
      out.piece(DETAIL);
      out.text(jsonInner(detail));
      out.piece(DETAIL_COST);
    }
    // a cost's text is plain JSON (digits, '-', '.', '≈', '…')
    if (costBig === null) writeCostNum(out, this.costHi * LO + this.costLo, this.costD);
    else out.text(costText(costBig));
    if (!more && !this.tail) {
      out.piece(QUOTE_END);
      return;
    }
    out.piece(QUOTE);
    if (more) {
      if (more.rounding !== first.rounding) out.text(`,"rounding":${jsonString(roundingOf(more.rounding))}`);
      if (more.capped !== undefined) out.text(`,"capped":${jsonString(more.capped)}`);
      if (more.debits) out.text(`,"debits":${JSON.stringify(more.debits)}`);
      if (more.session !== undefined) out.text(`,"session":${JSON.stringify(more.session)}`);
    }
    if (this.tail) out.text(this.tail);
    out.text('}');
  }
}

/**
 * The full lineage (version 1, as `usageLineage` gives it without trace steps) of a compact one (version 2, the text
 * UsageLineage writes) and the rate it names — what the compact text leaves out is what `rate`'s terms give:
 *  - the model, the connect fee, the rate's own rounding (`rounding` is kept when the measure was rounded otherwise);
 *  - the rate's one plain segment (window ≠ `*any`), from 0 to the quantity billing `billed`;
 *  - the model's detail of that plain segment (`detail` is kept whenever it says anything else).
 * Fields come back in the order the full lineage has them. Lineages of other versions are returned as they are.
 */
export function expandUsageLineage(l: Lineage, rate: CompiledRate): Lineage {
  if (l.v !== 2) return l;
  const { v: _v, via, measure, quantity, billed, prefix, window, segments, detail, cost, rounding, ...more } = l;
  const q = quantity as number;
  const b = billed as number;
  return {
    v: 1, via, measure, quantity, billed, prefix, window,
    segments: segments ?? (rate.windowId !== '*any' ? [{ rate: rate.id, window: rate.windowId, from: 0, to: q, billed: b }] : undefined),
    model: rate.model.model, detail: detail ?? rate.model.detailOf!(q, b), connectFee: rate.connectFeeText, cost,
    rounding: rounding ?? roundingOf(rate.rounding), ...more,
  };
}

/**
 * A charge's lineage in full: a compact usage lineage (UsageLineage) expanded with its rate's terms, any other
 * lineage as its text. What `dry-run` prints; the ledger stores the compact text, and the rates' terms in `rate_terms`.
 */
export function fullLineageText(c: { lineage: string | LineageSource }): string {
  const l = c.lineage;
  return l instanceof UsageLineage ? JSON.stringify(expandUsageLineage(JSON.parse(l.text()) as Lineage, l.rate)) : lineageText(c);
}

/** jsonNumber(n) into `out` */
function putJsonNumber(out: TextSink, n: number): void {
  if (Number.isSafeInteger(n)) out.int(n);
  else out.text(jsonNumber(n));
}

/** `${n}` into `out` */
function putNumber(out: TextSink, n: number): void {
  if (Number.isSafeInteger(n)) out.int(n);
  else out.text(`${n}`);
}

export const lineage: RatingStep = {
  id: 'lineage',
  phase: 'emit',
  description: 'emit the usage charge with its lineage',
  applies: () => true,
  run(ctx: MeasureContext): boolean {
    const { host, u, plan, first } = ctx;
    // Charge.matched at this prefix: memoised on the rate itself (one object the record has read already)
    const prefix = ctx.prefix;
    const matched = first.memoPrefix === prefix ? first.memoMatched : matchedAt(first, prefix);
    ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, first.id, matched, ctx.billed, ctx.amount, host.tracing() ? usageLineage(ctx, sumText(ctx)) : UsageLineage.of(ctx)));
    return true;
  },
};
