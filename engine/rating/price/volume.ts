/**
 * volume tiers: the whole quantity is priced at the unit price of the tier the quantity reaches. With basis
 * `period`, the tier is the one the period total reaches after this record; earlier records are not re-priced
 * (a true-up, if wanted, is the billing layer's job).
 */
import { z } from 'zod';
import { add, cost } from '../rational.ts';
import { compileTiers, tierBasis, tierSchema } from './common.ts';
import type { PriceModel, PriceModelSpec } from './types.ts';

const fields = z.object({ tiers: z.array(tierSchema).min(1), basis: tierBasis });

export const spec: PriceModelSpec<typeof fields> = {
  model: 'volume',
  description: 'Volume tiers: all units priced at the tier reached by the (record or period) quantity.',
  fields,
  examples: [{ id: 'sms-vol', 'usage-class': 'sms', unit: 'event', model: 'volume', tiers: [
    { 'up-to': '100', price: '0.05' }, { 'up-to': '1000', price: '0.03' }, { 'up-to': 'inf', price: '0.01' }] }],
  create(cfg, unit): PriceModel {
    const tiers = compileTiers(cfg.tiers, unit);
    return {
      model: 'volume',
      basis: cfg.basis,
      price(q, prior) {
        const total = prior + q;
        let i = 0;
        while (i < tiers.length - 1 && total > tiers[i]!.upTo) i++;
        const t = tiers[i]!;
        let c = { n: t.price * BigInt(q), d: BigInt(t.per) };
        const prevTotal = prior;
        let prevTier = 0;
        while (prevTier < tiers.length - 1 && prevTotal > tiers[prevTier]!.upTo) prevTier++;
        const flat = t.flat && (cfg.basis === 'record' || prior === 0 || prevTier !== i) ? t.flat : 0n;
        if (flat) c = add(c, cost(flat));
        return { cost: c, billed: q, detail: `volume: total ${total} in tier ${i + 1} → ${q} × ${t.price}/${t.per}${flat ? ` + flat ${flat}` : ''}` };
      },
      describe: () => `volume ${tiers.length} tiers (${cfg.basis})`,
    };
  },
};
