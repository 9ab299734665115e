/**
 * Lineage: the usage charge of a priced measure with its computation — billed quantity, model, prefix, window and
 * split segments, connect fee, exact cost, rounding, caps and pool debits. (The charge's own columns already carry
 * UDR id, source, plan, rate, matched condition, amount and versions.) Fields that are undefined are left out.
 * (Writing the JSON text by hand with template strings was measured slower than JSON.stringify here: more memory
 * and GC while the charges of a batch live.)
 */
import { costText } from '../rational.ts';
import type { Lineage, MeasureContext, RatingStep } from './types.ts';

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

export const lineage: RatingStep = {
  id: 'lineage',
  phase: 'emit',
  description: 'emit the usage charge with its lineage',
  applies: () => true,
  run(ctx: MeasureContext): boolean {
    const { host, u, plan, first } = ctx;
    const matched = ctx.prefix !== '*any' ? `${first.matchedText} [prefix ${ctx.prefix}]` : first.matchedText;
    const cost = costText(ctx.cost);
    ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, first.id, matched, ctx.billed, ctx.amount, usageLineage(ctx, cost)));
    return true;
  },
};
