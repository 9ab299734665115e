/**
 * Time-window split, `window-split: cgrates`: the call priced as CGRateS timespans (see ../cgrates-split.ts), with
 * the explanation of every part and of each time-window change that CGRateS applies later than it happens (inside a
 * rate slot). The connect fee is the first part's rate's; the rounding the one with the most decimals.
 */
import { formatMoney } from '../../core/money.ts';
import { costText } from '../rational.ts';
import { nextEdge, type TimeWindow } from '../windows.ts';
import type { MeasureContext, RatingStep } from './types.ts';

const WINDOWS: TimeWindow[] = [];
const sec = (ms: number) => `${ms % 1000 ? (ms / 1000).toFixed(3) : ms / 1000} s`;

export const cgratesSplit: RatingStep = {
  id: 'cgrates-split',
  phase: 'usage',
  description: 'window-split cgrates: CGRateS timespans (cut at midnight and rate-slot starts), each part priced and rounded as CGRateS',
  applies: (ix, cat) => cat.windowSplit === 'cgrates' && ix.splittable && ix.rates.length > 0,
  run(ctx: MeasureContext): boolean {
    const { host, u, q, cands, first } = ctx;
    if (u.unit !== 'ms' || ctx.measure || cands.length === 0 || (q === 0 && first.model.steps)) return false;
    const cat = host.catalog;
    const dec = cat.cgratesRoundingDecimals;
    const t0 = u.startTime;
    const r = host.cgrates().price(cands, t0, q);
    if (typeof r === 'string') return ctx.fail(r);
    const segments = ctx.segments;
    const trace = host.tracing();
    if (trace) host.step(`window-split cgrates (CGRateS timespans, rounding_decimals ${dec}): cut at local midnight, then at rate-slot starts (GroupIntervalStart) before time-of-day changes; each part priced by the rate in force at its start, at the slot of its start offset; part cost and increment cost rounded half-up to ${dec} decimals`);
    for (const p of r.parts) {
      segments.push({ rate: p.rate.id, window: p.rate.windowId, from: p.from, to: p.to, billed: p.to - p.from, cost: formatMoney(p.cost, dec) });
      if (!trace) continue;
      host.step(`  ${sec(p.from)}–${sec(p.to)} in window ${p.rate.windowId} (rate ${p.rate.id}), slot from ${sec(p.step.from)}: ${formatMoney(p.step.price)} per ${sec(p.step.per)}, ${p.increments} × ${sec(p.step.inc)}: ${costText(p.exact)} → ${formatMoney(p.spanCost, dec)}; per increment ${formatMoney(p.incrementCost, dec)} × ${p.increments} = ${formatMoney(p.cost, dec)}`);
      WINDOWS.length = 0;
      for (const c of cands) WINDOWS.push(c.window);
      for (let t = t0 + p.from; ;) {
        const edge = nextEdge(cat.clock, t, host.select.local(t), WINDOWS);
        if (edge >= t0 + p.to) break;
        const now = host.select.chooseAt(cands, edge);
        if (now && now !== p.rate) {
          host.step(`    window ${now.windowId} holds from ${new Date(edge).toISOString()} (${sec(edge - t0)} into the usage), inside this part: CGRateS cuts at rate-slot starts before time-of-day changes, so ${p.rate.windowId} prices the part to its end (${sec(p.to)})`);
          break;
        }
        t = edge;
      }
    }
    ctx.cost = r.cost;
    ctx.billed = r.billed;
    ctx.detail = segments.map((s) => `${s.window}:${s.rate} ${s.from}-${s.to} billed ${s.billed}`).join('; ');
    ctx.feeRate = r.parts[0]!.rate;
    for (const p of r.parts) if (p.rate.rounding.decimals > ctx.rounding.decimals) ctx.rounding = p.rate.rounding;
    return true;
  },
};
