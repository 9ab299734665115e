/**
 * CGRateS `*disconnect` max cost (legacy reading): increments are billed until the cost reaches the maximum; the
 * usage after that is not billed. Replaces the rest of the pricing (connect fee included; no min/max adjustment).
 */
import { formatMoney } from '../../core/money.ts';
import { stepAt } from '../price/per-unit.ts';
import { add, cmp, type Cost, costText } from '../rational.ts';
import type { MeasureContext, RatingStep } from './types.ts';

export const disconnect: RatingStep = {
  id: 'disconnect',
  phase: 'usage',
  description: 'max-cost strategy disconnect: bill increments until the cost reaches the maximum',
  applies: (ix) => ix.rates.some((r) => r.maxCost?.strategy === 'disconnect'),
  run(ctx: MeasureContext): boolean {
    const { first, u, q, host } = ctx;
    const maxC = first.maxCost;
    if (maxC?.strategy !== 'disconnect' || !first.model.steps || q <= 0) return false;
    let c: Cost = { n: first.connectFee, d: 1n };
    let pos = 0;
    const cap: Cost = { n: maxC.amount, d: 1n };
    while (pos < q && cmp(c, cap) < 0) {
      const r = u.unit === 'ms' ? host.select.chooseAt(ctx.cands, u.startTime + pos) ?? first : first;
      const s = stepAt(r.model.steps!, pos);
      c = add(c, { n: s.price * BigInt(s.inc), d: BigInt(s.per) });
      pos += s.inc;
    }
    const capped = pos < q ? `disconnected at ${pos} of ${q} (max cost ${formatMoney(maxC.amount)} reached: ${costText(c)})` : undefined;
    if (capped && host.tracing()) host.step(capped);
    ctx.cost = c;
    ctx.billed = pos;
    ctx.segments.push({ rate: first.id, window: first.windowId, from: 0, to: Math.min(pos, q), billed: pos });
    ctx.detail = capped ?? `billed ${pos}`;
    ctx.capped = capped;
    ctx.final = true;
    return true;
  },
};
