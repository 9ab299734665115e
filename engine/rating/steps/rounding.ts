/** Rounding: the one rounding point of a usage charge (the rate's mode and decimals; the split's finest). */
import { formatMoney } from '../../core/money.ts';
import { sumRound, sumText } from '../rational.ts';
import type { MeasureContext, RatingStep } from './types.ts';

export const rounding: RatingStep = {
  id: 'rounding',
  phase: 'round',
  description: 'round the exact cost once, with the rate\'s rounding mode and decimals',
  applies: () => true,
  run(ctx: MeasureContext): boolean {
    const r = ctx.rounding;
    ctx.amount = sumRound(ctx, r.decimals, r.mode);
    if (ctx.host.tracing()) ctx.host.step(`round ${sumText(ctx)} ${r.mode} to ${r.decimals} decimals = ${formatMoney(ctx.amount, r.decimals)}`);
    return true;
  },
};
