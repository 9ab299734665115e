/**
 * package: usage is sold in whole packages of `size` units at `price` each (e.g. 5.00 per started 1 GB). With basis
 * `period`, packages are bought as the period total grows: a record pays for the packages its usage opens.
 */
import { z } from 'zod';
import { parseMoney } from '../../core/money.ts';
import { parseQuantity } from '../units.ts';
import { money, quantityText, tierBasis } from './common.ts';
import type { PriceModel, PriceModelSpec } from './types.ts';

const fields = z.object({ size: quantityText.describe('units per package'), price: money.describe('price of one package'), basis: tierBasis });

export const spec: PriceModelSpec<typeof fields> = {
  model: 'package',
  description: 'Whole packages of a fixed size at a fixed price; a started package is paid in full.',
  fields,
  examples: [{ id: 'gb-block', 'usage-class': 'data', unit: 'byte', model: 'package', size: '1GB', price: '5.00', basis: 'period' }],
  create(cfg, unit): PriceModel {
    const size = parseQuantity(cfg.size, unit);
    if (size <= 0) throw new Error('package size must be positive');
    const p = parseMoney(cfg.price);
    return {
      model: 'package',
      basis: cfg.basis,
      price(q, prior) {
        const before = Math.ceil(prior / size), after = Math.ceil((prior + q) / size);
        const n = after - before;
        return { cost: { n: p * BigInt(n), d: 1n }, billed: cfg.basis === 'record' ? n * size : q,
          detail: `package: ${n} package(s) of ${size} at ${cfg.price}${cfg.basis === 'period' ? ` (period total ${prior} → ${prior + q})` : ''}` };
      },
      describe: () => `package of ${cfg.size} at ${cfg.price} (${cfg.basis})`,
    };
  },
};
