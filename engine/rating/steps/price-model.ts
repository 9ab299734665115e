/**
 * Price model: the rate's model (per-unit, flat, graduated, volume, package… see ../price/) prices the whole quantity
 * at once. Period-basis tiers count cumulatively per service (or account) and calendar month in the rating state
 * (`tiers`), so the quantity already counted this month is the model's `prior`.
 */
import type { CompiledRate } from '../catalog.ts';
import { costText } from '../rational.ts';
import { stateKey } from '../state.ts';
import type { MeasureContext, RatingStep } from './types.ts';

function tierKey(ctx: MeasureContext, r: CompiledRate): string {
  return `${r.plan}/${r.id}|${ctx.svc?.id ?? ctx.u.account}|${ctx.host.periodFor('monthly', ctx.u.startTime).key}`;
}

export const priceModel: RatingStep = {
  id: 'price-model',
  phase: 'usage',
  description: 'the rate\'s price model prices the whole quantity (period-basis tiers continue from the month\'s prior usage)',
  applies: () => true,
  run(ctx: MeasureContext): boolean {
    const { first, q, host } = ctx;
    const period = first.model.basis === 'period';
    const key = period ? tierKey(ctx, first) : '';
    const prior = period ? host.state.tiers[key] ?? 0 : 0;
    const r = first.model.price(q, prior);
    ctx.cost = r.cost;
    ctx.billed = r.billed;
    ctx.detail = r.detail;
    if (period) {
      host.state.tiers[key] = prior + q;
      host.touch(stateKey('tiers', key));
    }
    ctx.addSegment(first.id, first.windowId, 0, q, r.billed);
    if (host.tracing()) host.step(`  ${r.detail} = ${costText(r.cost)}`);
    return true;
  },
};
