/** flat: a fixed amount per record whatever its quantity (per event, per outcome, per call attempt). */
import { z } from 'zod';
import { parseMoney } from '../../core/money.ts';
import { cost } from '../rational.ts';
import { money } from './common.ts';
import type { PriceModel, PriceModelSpec } from './types.ts';

const fields = z.object({ price: money.describe('the amount charged per record') });

export const spec: PriceModelSpec<typeof fields> = {
  model: 'flat',
  description: 'A fixed amount per record, whatever its quantity (e.g. a reorder event, a call attempt fee).',
  fields,
  examples: [{ id: 'reorder', 'usage-class': 'reorder', unit: 'event', model: 'flat', price: '12.50' }],
  create(cfg): PriceModel {
    const p = parseMoney(cfg.price);
    return {
      model: 'flat',
      basis: 'record',
      price: (q) => ({ cost: cost(p), billed: q, detail: `flat ${cfg.price} per record` }),
      describe: () => `flat ${cfg.price} per record`,
    };
  },
};
