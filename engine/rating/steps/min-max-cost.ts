/**
 * Minimum and maximum cost of a rated usage. Minimum: a usage of more than zero costs at least `min-cost`.
 * Maximum (`max-cost`), with the strategies as CGRateS documents them: `free` caps the cost of the call (the rest of
 * the usage is free); `disconnect` does not change the price of a finished call — in CGRateS it limits the usage a
 * session is authorized for, so the rater only notes in the trace that the call went past the maximum; `reject`
 * (ratestream's own) rejects the record.
 */
import { formatMoney } from '../../core/money.ts';
import { cmp, costText } from '../rational.ts';
import type { MeasureContext, RatingStep } from './types.ts';

export const minMaxCost: RatingStep = {
  id: 'min-max-cost',
  phase: 'adjust',
  description: 'raise to the minimum cost; cap at (free), reject above (reject) or leave (disconnect: a finished call keeps its price) the maximum cost',
  applies: (ix) => ix.rates.some((r) => r.minCost !== undefined || r.maxCost !== undefined),
  run(ctx: MeasureContext): boolean {
    const { first, host } = ctx;
    if (ctx.q > 0 && first.minCost !== undefined && cmp(ctx.cost, { n: first.minCost, d: 1n }) < 0) {
      ctx.capped = `raised to minimum cost ${formatMoney(first.minCost)}`;
      ctx.cost = { n: first.minCost, d: 1n };
      if (host.tracing()) host.step(ctx.capped);
    }
    const maxC = first.maxCost;
    if (maxC && cmp(ctx.cost, { n: maxC.amount, d: 1n }) > 0) {
      if (maxC.strategy === 'disconnect') {
        if (host.tracing()) host.step(`cost ${costText(ctx.cost)} is above max cost ${formatMoney(maxC.amount)} (strategy disconnect): a finished call keeps its price; the strategy only limits the usage a session is authorized for`);
        return true;
      }
      if (maxC.strategy === 'reject') return ctx.fail(`max cost ${formatMoney(maxC.amount)} exceeded (${costText(ctx.cost)}): strategy reject`, 'RATING_ERROR');
      ctx.capped = `capped at maximum cost ${formatMoney(maxC.amount)} (was ${costText(ctx.cost)}; the rest is free)`;
      ctx.cost = { n: maxC.amount, d: 1n };
      if (host.tracing()) host.step(ctx.capped);
    }
    return true;
  },
};
