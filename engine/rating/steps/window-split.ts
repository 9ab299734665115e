/**
 * Time-window split, `window-split: increment` (the default): usage in ms crossing a window change is priced
 * increment by increment, each by the rate in force where it starts, at the step of its offset from the call start.
 * Consecutive parts priced by the same rate are one segment. The rounding is the one with the most decimals.
 */
import { add, costText, type CostSum, sumCost, sumReset } from '../rational.ts';
import { billSteps } from '../price/per-unit.ts';
import { nextEdge, type TimeWindow } from '../windows.ts';
import { DETAIL_SEGMENTS } from './lineage.ts';
import type { MeasureContext, RatingStep } from './types.ts';

const WINDOWS: TimeWindow[] = [];
const ACC: CostSum & { units: number } = { costN: 0, costD: 1, costBig: null, units: 0 };

export const windowSplit: RatingStep = {
  id: 'window-split',
  phase: 'usage',
  description: 'split usage in ms across time windows: each increment priced by the rate in force where it starts',
  applies: (ix, cat) => cat.windowSplit !== 'cgrates' && ix.windowed && ix.splittable,
  run(ctx: MeasureContext): boolean {
    const { host, u, q, cands, first } = ctx;
    if (u.unit !== 'ms' || ctx.measure || cands.length === 0 || q === 0) return false;
    const t0 = u.startTime;
    const clock = host.catalog.clock;
    const sel = host.select;
    const trace = host.tracing();
    const segments = ctx.segments;
    const acc = ACC;
    sumReset(acc);
    acc.units = 0;
    for (let i = 0; i < cands.length; i++) WINDOWS[i] = cands[i]!.window;
    if (WINDOWS.length !== cands.length) WINDOWS.length = cands.length;
    let pos = 0;
    while (pos < q) {
      const t = t0 + pos;
      const r = pos === 0 ? first : sel.chooseAt(cands, t);
      if (!r) return ctx.fail(`no rate holds at ${new Date(t).toISOString()} (${pos} ms into the usage)`);
      const edge = nextEdge(clock, t, sel.local(t), WINDOWS) - t0;
      const end = edge < q ? edge : q;
      const u0 = acc.units;
      const c0 = trace ? sumCost(acc) : null;
      const from = pos;
      pos = billSteps(r.model.steps!, pos, end, acc);
      const last = segments[segments.length - 1];
      if (last && last.rate === r.id) { last.to = end; last.billed += acc.units - u0; }
      else ctx.addSegment(r.id, r.windowId, from, end, acc.units - u0);
      if (r.rounding.decimals > ctx.rounding.decimals) ctx.rounding = r.rounding;
      if (trace) host.step(`  ${from}–${end} ms in window ${r.windowId} (rate ${r.id}): billed ${acc.units - u0} ms = ${costText(add(sumCost(acc), { n: -c0!.n, d: c0!.d }))}`);
    }
    ctx.costN = acc.costN;
    ctx.costD = acc.costD;
    ctx.costBig = acc.costBig;
    ctx.billed = acc.units;
    // the detail (`window:rate from-to billed n; …`) is written from the segments when the lineage is
    ctx.detail = '';
    ctx.detailKind = DETAIL_SEGMENTS;
    return true;
  },
};
