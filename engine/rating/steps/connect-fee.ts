/**
 * Connect fee: added once to a priced usage of more than zero (the fee of the rate of the first part); not when a
 * bundle with its own rating took part of the call and charged its connect fee (one connect fee per call).
 */
import { formatMoney } from '../../core/money.ts';
import { sumAddCost, sumText } from '../rational.ts';
import type { MeasureContext, RatingStep } from './types.ts';

export const connectFee: RatingStep = {
  id: 'connect-fee',
  phase: 'adjust',
  description: 'add the connect fee of the first part\'s rate when the usage is more than zero',
  applies: (ix) => ix.rates.some((r) => r.connectFee !== 0n),
  run(ctx: MeasureContext): boolean {
    const fee = ctx.feeRate.connectFee;
    if (ctx.q <= 0 || fee === 0n) return false;
    if (ctx.feePaid) {
      if (ctx.host.tracing()) ctx.host.step(`connect fee ${formatMoney(fee)} not added: the bundle charged its own connect fee for this call`);
      return false;
    }
    sumAddCost(ctx, { n: fee, d: 1n });
    if (ctx.host.tracing()) ctx.host.step(`connect fee ${formatMoney(fee)}${ctx.feeRate !== ctx.first ? ` (of ${ctx.feeRate.id}, the rate of the first part)` : ''} → ${sumText(ctx)}`);
    return true;
  },
};
