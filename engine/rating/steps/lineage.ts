/**
 * Lineage: the usage charge of a priced measure with its computation — billed quantity, model, prefix, window and
 * split segments, connect fee, exact cost, rounding, caps and pool debits. (The charge's own columns already carry
 * UDR id, source, plan, rate, matched condition, amount and versions.) Fields that are undefined are left out.
 * Without a trace the JSON text is written directly (usageLineageText: the same text as JSON.stringify of
 * usageLineage, several times cheaper, flattened so a charge keeps one string); with a trace the object gets the steps.
 */
import { flat, jsonNumber, jsonString } from '../json-text.ts';
import { costText } from '../rational.ts';
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

/** JSON.stringify(usageLineage(ctx, cost)), written field by field */
export function usageLineageText(ctx: MeasureContext, cost: string): string {
  const segs = ctx.segments;
  const first = ctx.first;
  let s = `{"v":1,"via":${jsonString(ctx.via)}${ctx.measure ? `,"measure":${jsonString(ctx.measure)}` : ''},"quantity":${jsonNumber(ctx.q)},"billed":${jsonNumber(ctx.billed)},"prefix":${jsonString(ctx.prefix)},"window":${jsonString(first.windowId)}`;
  if (segs.length > 1 || segs[0]?.window !== '*any') s += `,"segments":${segmentsText(segs)}`;
  s += `,"model":${jsonString(first.model.model)},"detail":${jsonString(ctx.detail)},"connectFee":${jsonString(first.connectFeeText)},"cost":${jsonString(cost)},"rounding":"${ctx.rounding.mode}/${ctx.rounding.decimals}"`;
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
    const matched = ctx.prefix !== '*any' ? `${first.matchedText} [prefix ${ctx.prefix}]` : first.matchedText;
    const cost = costText(ctx.cost);
    ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, first.id, matched, ctx.billed, ctx.amount, host.tracing() ? usageLineage(ctx, cost) : usageLineageText(ctx, cost)));
    return true;
  },
};
