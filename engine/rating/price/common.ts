/** Shared zod pieces and helpers for price models. */
import { z } from 'zod';
import { parseQuantity } from '../units.ts';
import { parseMoney } from '../../core/money.ts';

export const money = z.string().regex(/^-?\d+(\.\d{1,10})?$/, 'a decimal amount as text, e.g. "0.05" (at most 10 decimals)');
export const quantityText = z.string().regex(/^\s*\d+(\.\d+)?\s*[A-Za-z]*\s*$/, 'a quantity such as "60s", "1MB", "100"');
export const tierBasis = z.enum(['record', 'period']).default('record')
  .describe('record: tiers apply to each record\'s quantity; period: to the cumulative quantity of the account/service in the billing period');

export const tierSchema = z.object({
  'up-to': z.string().describe('upper bound of the tier (a quantity such as "100", "10min", "1GB") or "inf"'),
  price: money.describe('price per `per` inside this tier'),
  per: quantityText.default('1'),
  flat: money.optional().describe('optional flat fee when usage reaches this tier'),
}).strict();

export interface Tier {
  upTo: number; // Infinity for the last
  price: bigint;
  per: number;
  flat: bigint;
}

export function compileTiers(tiers: z.output<typeof tierSchema>[], unit: string): Tier[] {
  const out: Tier[] = [];
  let prev = 0;
  tiers.forEach((t, i) => {
    const upTo = t['up-to'] === 'inf' ? Infinity : parseQuantity(t['up-to'], unit);
    if (upTo <= prev) throw new Error(`tier ${i + 1}: up-to must increase (${t['up-to']})`);
    if (upTo === Infinity && i !== tiers.length - 1) throw new Error(`tier ${i + 1}: only the last tier may be "inf"`);
    const per = parseQuantity(t.per, unit);
    if (per <= 0) throw new Error(`tier ${i + 1}: per must be positive`);
    out.push({ upTo, price: parseMoney(t.price), per, flat: t.flat ? parseMoney(t.flat) : 0n });
    prev = upTo;
  });
  if (out.length && out[out.length - 1]!.upTo !== Infinity) {
    // usage beyond the last bound is priced at the last tier: say so explicitly by requiring "inf"
    throw new Error('the last tier must have up-to: inf');
  }
  return out;
}
