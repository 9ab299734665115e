/** graduated tiers: each part of the quantity is priced in the tier it falls into (first 100 at A, next at B...). */
import { z } from 'zod';
import { add, cost, type Cost, ZERO } from '../rational.ts';
import { compileTiers, tierBasis, tierSchema, type Tier } from './common.ts';
import type { PriceModel, PriceModelSpec } from './types.ts';

const fields = z.object({ tiers: z.array(tierSchema).min(1), basis: tierBasis });

/** cost of the quantity range [a, b) under graduated tiers; flat fees of tiers entered inside the range */
export function graduatedRange(tiers: readonly Tier[], a: number, b: number): { cost: Cost; detail: string[] } {
  let c = ZERO;
  const detail: string[] = [];
  let lower = 0;
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i]!;
    const lo = Math.max(a, lower), hi = Math.min(b, t.upTo);
    if (hi > lo) {
      c = add(c, { n: t.price * BigInt(hi - lo), d: BigInt(t.per) });
      detail.push(`tier ${i + 1} [${lower}, ${t.upTo === Infinity ? '∞' : t.upTo}): ${hi - lo} × ${t.price}/${t.per}`);
    }
    if (t.flat && lower >= a && lower < b) {
      c = add(c, cost(t.flat));
      detail.push(`tier ${i + 1} flat ${t.flat}`);
    }
    lower = t.upTo;
    if (lower >= b) break;
  }
  return { cost: c, detail };
}

export const spec: PriceModelSpec<typeof fields> = {
  model: 'graduated',
  description: 'Graduated tiers: each part of the quantity is priced at the tier it falls in.',
  fields,
  examples: [{ id: 'data-grad', 'usage-class': 'data', unit: 'byte', model: 'graduated', tiers: [
    { 'up-to': '1GB', price: '0.02', per: '1MB' }, { 'up-to': '10GB', price: '0.01', per: '1MB' }, { 'up-to': 'inf', price: '0.005', per: '1MB' }] }],
  create(cfg, unit): PriceModel {
    const tiers = compileTiers(cfg.tiers, unit);
    return {
      model: 'graduated',
      basis: cfg.basis,
      price(q, prior) {
        const r = graduatedRange(tiers, prior, prior + q);
        return { cost: r.cost, billed: q, detail: `graduated over [${prior}, ${prior + q}): ${r.detail.join('; ')}` };
      },
      describe: () => `graduated ${tiers.length} tiers (${cfg.basis})`,
    };
  },
};
