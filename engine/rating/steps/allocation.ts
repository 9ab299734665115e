/**
 * Allocation (asset sharing, a rate's `allocate`): the rounded amount split between accounts by share, each share
 * rounded with the charge's rounding and the last account taking the remainder, so the parts sum to the amount.
 */
import { formatMoney } from '../../core/money.ts';
import { costText, roundCost } from '../rational.ts';
import { ctxDetail } from './lineage.ts';
import type { MeasureContext, RatingStep } from './types.ts';

export const allocation: RatingStep = {
  id: 'allocation',
  phase: 'emit',
  description: 'split the charge between accounts by share (asset sharing); the last share takes the rounding remainder',
  applies: (ix) => ix.rates.some((r) => r.allocate),
  run(ctx: MeasureContext): boolean {
    const al = ctx.first.allocate;
    if (!al) return false;
    const { host, u, plan, amount, rounding } = ctx;
    const matched = `${ctx.first.matchedText}${ctx.prefix !== '*any' ? ` [prefix ${ctx.prefix}]` : ''}`;
    let left = amount;
    for (let ai = 0; ai < al.length; ai++) {
      const a = al[ai]!;
      const part = ai === al.length - 1 ? left : roundCost({ n: amount * a.num, d: a.den }, rounding.decimals, rounding.mode);
      left -= part;
      if (host.tracing()) host.step(`allocate ${a.text} of ${formatMoney(amount, rounding.decimals)} to ${a.account} = ${formatMoney(part, rounding.decimals)}${ai === al.length - 1 ? ' (remainder)' : ''}`);
      const ch = host.charge(u, ctx.seq++, plan.id, plan.product, ctx.first.id, `${matched} [share ${a.text} of ${u.account}]`, ctx.billed, part,
        { v: 1, via: ctx.via, quantity: ctx.q, billed: ctx.billed, model: ctx.first.model.model, detail: ctxDetail(ctx), cost: costText(ctx.cost), total: formatMoney(amount), share: a.text, allocatedFrom: u.account });
      ch.account = a.account;
      ctx.charges.push(ch);
    }
    return true;
  },
};
