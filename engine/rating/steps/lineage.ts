/**
 * Lineage: the usage charge of a priced measure with its computation — billed quantity, model, prefix, window and
 * split segments, connect fee, exact cost, rounding, caps and pool debits. (The charge's own columns already carry
 * UDR id, source, plan, rate, matched condition, amount and versions.) Fields that are undefined are left out.
 */
import { costText } from '../rational.ts';
import type { MeasureContext, RatingStep } from './types.ts';

export const lineage: RatingStep = {
  id: 'lineage',
  phase: 'emit',
  description: 'emit the usage charge with its lineage',
  applies: () => true,
  run(ctx: MeasureContext): boolean {
    const { host, u, plan, first } = ctx;
    const segs = ctx.segments;
    const matched = ctx.prefix !== '*any' ? `${first.matchedText} [prefix ${ctx.prefix}]` : first.matchedText;
    ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, first.id, matched, ctx.billed, ctx.amount, {
      v: 1, via: ctx.via, measure: ctx.measure || undefined, quantity: ctx.q, billed: ctx.billed, prefix: ctx.prefix, window: first.windowId,
      segments: segs.length > 1 || segs[0]?.window !== '*any' ? segs : undefined,
      model: first.model.model, detail: ctx.detail, connectFee: first.connectFeeText, cost: costText(ctx.cost),
      rounding: `${ctx.rounding.mode}/${ctx.rounding.decimals}`, capped: ctx.capped, debits: ctx.debits.length ? ctx.debits : undefined,
    }));
    return true;
  },
};
