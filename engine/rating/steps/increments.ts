/**
 * Increments: a per-unit rate (price per `per`, charging increments or CGRateS-style steps) prices the whole
 * quantity at the rate in force at the start. Zero usage of a per-unit rate is no charge.
 */
import { billSteps } from '../price/per-unit.ts';
import { costText, type CostSum, sumReset, sumText } from '../rational.ts';
import { DETAIL_MODEL } from './lineage.ts';
import type { MeasureContext, RatingStep } from './types.ts';

const ACC: CostSum & { units: number } = { costN: 0, costD: 1, costBig: null, units: 0 };

export const increments: RatingStep = {
  id: 'increments',
  phase: 'usage',
  description: 'per-unit price in charging increments (or steps) at the rate in force at the start',
  applies: (ix) => ix.rates.some((r) => r.model.steps && r.model.basis === 'record'),
  run(ctx: MeasureContext): boolean {
    const { first, q, host } = ctx;
    if (!first.model.steps || first.model.basis !== 'record') return false;
    if (q === 0) {
      ctx.detail = 'zero usage: no charge';
      return true;
    }
    if (first.model.detailOf) {
      // per-unit: billed here, its detail text written from the segment when the lineage is
      const acc = ACC;
      sumReset(acc);
      acc.units = 0;
      billSteps(first.model.steps, 0, q, acc);
      ctx.costN = acc.costN;
      ctx.costD = acc.costD;
      ctx.costBig = acc.costBig;
      ctx.billed = acc.units;
      ctx.detail = '';
      ctx.detailKind = DETAIL_MODEL;
      ctx.addSegment(first.id, first.windowId, 0, q, acc.units);
      if (host.tracing()) host.step(`  ${first.model.detailOf(q, acc.units)} = ${sumText(acc)}`);
      return true;
    }
    const r = first.model.price(q, 0);
    ctx.cost = r.cost;
    ctx.billed = r.billed;
    ctx.detail = r.detail;
    ctx.addSegment(first.id, first.windowId, 0, q, r.billed);
    if (host.tracing()) host.step(`  ${r.detail} = ${costText(r.cost)}`);
    return true;
  },
};
