/**
 * Lineage: the usage charge of a priced measure with its computation — billed quantity, model, prefix, window and
 * split segments, connect fee, exact cost, rounding, caps and pool debits. (The charge's own columns already carry
 * UDR id, source, plan, rate, matched condition, amount and versions.) Fields that are undefined are left out.
 * Without a trace the JSON text is written directly (usageLineageText: the same text as JSON.stringify of
 * usageLineage, several times cheaper, flattened so a charge keeps one string); with a trace the object gets the steps.
 */
import { flat, jsonInner, jsonNumber, jsonString } from '../json-text.ts';
import { costText } from '../rational.ts';
import type { CompiledRate, Rounding } from '../catalog.ts';
import type { Lineage, MeasureContext, RatingStep, Segment } from './types.ts';

export function usageLineage(ctx: MeasureContext, cost: string): Lineage {
  const segs = ctx.segments;
  return {
    v: 1, via: ctx.via, measure: ctx.measure || undefined, quantity: ctx.q, billed: ctx.billed, prefix: ctx.prefix, window: ctx.first.windowId,
    segments: segs.length > 1 || segs[0]?.window !== '*any' ? segs : undefined,
    model: ctx.first.model.model, detail: ctx.detail, connectFee: ctx.first.connectFeeText, cost,
    rounding: `${ctx.rounding.mode}/${ctx.rounding.decimals}`, capped: ctx.capped, debits: ctx.debits.length ? ctx.debits : undefined,
    session: ctx.session,
  };
}

function segmentsText(segs: readonly Segment[]): string {
  let s = '[';
  for (let i = 0; i < segs.length; i++) {
    const g = segs[i]!;
    s += `${i ? ',' : ''}{"rate":${jsonString(g.rate)},"window":${jsonString(g.window)},"from":${jsonNumber(g.from)},"to":${jsonNumber(g.to)},"billed":${jsonNumber(g.billed)}${g.cost === undefined ? '' : `,"cost":${jsonString(g.cost)}`}}`;
  }
  return `${s}]`;
}

/** the constant pieces of a rate's lineage text and matched condition (for the prefix it last matched at) */
interface RateText {
  prefix: string;
  matched: string;
  /** `,"prefix":…,"window":…` */
  where: string;
  /** `,"model":…,"detail":"` (the detail's opening quote) */
  model: string;
  /** `","connectFee":…,"cost":"` (closing the detail, opening the cost) */
  fee: string;
  /** `","rounding":…` of the rate's own rounding (closing the cost) */
  rounding: string;
}

const RATE_TEXT = new WeakMap<CompiledRate, RateText>();
let lastVia = '';
let lastHead = '{"v":1,"via":""';

function rateText(first: CompiledRate, prefix: string): RateText {
  let t = RATE_TEXT.get(first);
  if (t === undefined) {
    t = { prefix: '', matched: '', where: '', model: flat(`,"model":${jsonString(first.model.model)},"detail":"`), fee: flat(`","connectFee":${jsonString(first.connectFeeText)},"cost":"`),
      rounding: roundingText(first.rounding) };
    RATE_TEXT.set(first, t);
  }
  if (t.prefix !== prefix || !t.where) {
    t.prefix = prefix;
    t.matched = prefix !== '*any' ? flat(`${first.matchedText} [prefix ${prefix}]`) : first.matchedText;
    t.where = flat(`,"prefix":${jsonString(prefix)},"window":${jsonString(first.windowId)}`);
  }
  return t;
}

function roundingText(r: Rounding): string {
  return `","rounding":${jsonString(`${r.mode}/${r.decimals}`)}`;
}

/** JSON.stringify(usageLineage(ctx, cost)), written field by field (the rate's constant pieces written once) */
export function usageLineageText(ctx: MeasureContext, cost: string, rt: RateText = rateText(ctx.first, ctx.prefix)): string {
  const segs = ctx.segments;
  if (ctx.via !== lastVia) {
    lastVia = ctx.via;
    lastHead = flat(`{"v":1,"via":${jsonString(ctx.via)}`);
  }
  let s = `${lastHead}${ctx.measure ? `,"measure":${jsonString(ctx.measure)}` : ''},"quantity":${jsonNumber(ctx.q)},"billed":${jsonNumber(ctx.billed)}${rt.where}`;
  if (segs.length > 1 || segs[0]?.window !== '*any') s += `,"segments":${segmentsText(segs)}`;
  s += `${rt.model}${jsonInner(ctx.detail)}${rt.fee}${jsonInner(cost)}${ctx.rounding === ctx.first.rounding ? rt.rounding : roundingText(ctx.rounding)}`;
  if (ctx.capped !== undefined) s += `,"capped":${jsonString(ctx.capped)}`;
  if (ctx.debits.length) s += `,"debits":${JSON.stringify(ctx.debits)}`;
  if (ctx.session !== undefined) s += `,"session":${JSON.stringify(ctx.session)}`;
  return flat(`${s}}`);
}

export const lineage: RatingStep = {
  id: 'lineage',
  phase: 'emit',
  description: 'emit the usage charge with its lineage',
  applies: () => true,
  run(ctx: MeasureContext): boolean {
    const { host, u, plan, first } = ctx;
    const rt = rateText(first, ctx.prefix);
    const cost = costText(ctx.cost);
    ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, first.id, rt.matched, ctx.billed, ctx.amount, host.tracing() ? usageLineage(ctx, cost) : usageLineageText(ctx, cost, rt)));
    return true;
  },
};
