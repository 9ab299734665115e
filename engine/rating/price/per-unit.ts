/**
 * per-unit: price per `per` units, billed in charging increments. `increments: 60s/6s` = the first 60 s bill as one
 * increment, then 6 s increments. `steps` is the general form (CGRateS rate slots / GroupIntervalStart): from a
 * usage offset on, a price, its unit and an increment. Increments are laid end to end from offset 0; each is priced
 * at the step (and, across time windows, the rate) in force where it starts; the last may run past the usage.
 */
import { z } from 'zod';
import { formatMoney, parseMoney } from '../../core/money.ts';
import { type CostSum, sumAdd, sumAddCost, sumCost } from '../rational.ts';
import { parseQuantity } from '../units.ts';
import { money, quantityText } from './common.ts';
import type { PriceModel, PriceModelSpec, Step } from './types.ts';

const fields = z.object({
  price: money.optional().describe('price per `per` of usage (omit when `steps` give prices)'),
  per: quantityText.default('1').describe('rate unit: "60s", "1MB", "1" (event)'),
  increments: z.string().regex(/^\s*\d+[A-Za-z]*\s*\/\s*\d+[A-Za-z]*\s*$/, 'first/subsequent, e.g. 60s/60s, 30s/6s, 1/1').default('1/1')
    .describe('charging increments first/subsequent'),
  steps: z.array(z.object({
    from: quantityText.describe('usage offset where this step starts ("0", "60s")'),
    price: money.optional().describe('price per `per` (default: the rate price)'),
    per: quantityText.optional(),
    increment: quantityText.describe('increment size within this step'),
  }).strict()).min(1).optional().describe('general form of increments (CGRateS rate slots); replaces `increments`'),
});

type Cfg = z.output<typeof fields>;

export function compileSteps(cfg: Cfg, unit: string): Step[] {
  const per = parseQuantity(cfg.per, unit);
  const basePrice = cfg.price === undefined ? undefined : parseMoney(cfg.price);
  let steps: Step[];
  if (cfg.steps) {
    steps = cfg.steps.map((s, i) => {
      const price = s.price !== undefined ? parseMoney(s.price) : basePrice;
      if (price === undefined) throw new Error(`steps[${i}]: no price (set price on the step or the rate)`);
      return { from: parseQuantity(s.from, unit), inc: parseQuantity(s.increment, unit), price, per: s.per ? parseQuantity(s.per, unit) : per };
    });
    steps.sort((a, b) => a.from - b.from);
    if (steps[0]!.from !== 0) throw new Error('the first step must start at 0');
  } else {
    if (basePrice === undefined) throw new Error('per-unit needs a price (or steps with prices)');
    const [a, b] = cfg.increments.split('/').map((s) => s.trim());
    const first = parseQuantity(a!, unit), next = parseQuantity(b!, unit);
    steps = first === next || first === 0
      ? [{ from: 0, inc: next, price: basePrice, per }]
      : [{ from: 0, inc: first, price: basePrice, per }, { from: first, inc: next, price: basePrice, per }];
  }
  for (const s of steps) {
    const n = Number(s.price);
    if (Number.isSafeInteger(n)) s.priceNum = n;
    if (!(s.inc > 0)) throw new Error('increments must be positive');
    if (!(s.per > 0)) throw new Error('per must be positive');
  }
  return steps;
}

/**
 * Bill usage [pos, end) with `steps`, continuing from billing position `pos` (which may already be past `end` when a
 * previous increment ran over). Returns the new position and adds the cost to acc. Exact integer arithmetic: each
 * term price × billed / per is added as numbers while every product and sum is a safe integer (sumAdd checks; a
 * float result beyond 2^53 is never a safe integer), else as bigint.
 */
export function billSteps(steps: readonly Step[], pos: number, end: number, acc: CostSum & { units: number }): number {
  if (pos >= end) return pos;
  const last = steps.length - 1;
  for (let i = 0; i <= last; i++) {
    const s = steps[i]!;
    const stepEnd = i < last ? steps[i + 1]!.from : Infinity;
    if (pos >= stepEnd) continue;
    const segEnd = end < stepEnd ? end : stepEnd;
    const n = Math.ceil((segEnd - pos) / s.inc);
    const billed = n * s.inc;
    const pn = s.priceNum;
    const term = pn === undefined ? NaN : pn * billed;
    if (Number.isSafeInteger(term)) sumAdd(acc, term, s.per);
    else sumAddCost(acc, { n: s.price * BigInt(billed), d: BigInt(s.per) });
    acc.units += billed;
    pos += billed;
    if (pos >= end) break;
  }
  return pos;
}

/** the step in force at usage offset `off`: the last one starting at or before it (CGRateS GetRateParameters) */
export function stepAt(steps: readonly Step[], off: number): Step {
  let s = steps[0]!;
  for (let i = 1; i < steps.length; i++) if (steps[i]!.from <= off) s = steps[i]!;
  return s;
}

export function describeSteps(steps: readonly Step[]): string {
  return steps.map((s) => `from ${s.from}: ${trim(formatMoney(s.price))} per ${s.per} in increments of ${s.inc}`).join('; ');
}

export const spec: PriceModelSpec<typeof fields> = {
  model: 'per-unit',
  description: 'Price per unit of usage with charging increments (first/subsequent) or CGRateS-style steps.',
  fields,
  examples: [
    { id: 'nl-peak', 'usage-class': 'voice', unit: 'ms', price: '0.10', per: '60s', increments: '60s/6s' },
    { id: 'data', 'usage-class': 'data', unit: 'byte', price: '0.01', per: '1MB', increments: '1kB/1kB' },
    { id: 'cg', 'usage-class': 'voice', unit: 'ms', model: 'per-unit', per: '60s',
      steps: [{ from: '0', price: '0.2', increment: '60s' }, { from: '60s', price: '0.1', increment: '1s' }] },
  ],
  create(cfg, unit): PriceModel {
    const steps = compileSteps(cfg, unit);
    const text = describeSteps(steps);
    return {
      model: 'per-unit',
      steps,
      basis: 'record',
      price(q) {
        const acc = { costN: 0, costD: 1, costBig: null, units: 0 };
        billSteps(steps, 0, q, acc);
        return { cost: sumCost(acc), billed: acc.units, detail: `${q} → billed ${acc.units} (${text})` };
      },
      detailOf: (q, billed) => `${q} → billed ${billed} (${text})`,
      detailPieces: { between: ' → billed ', after: ` (${text})` },
      describe: () => `per-unit ${text}`,
    };
  },
};



function trim(m: string): string {
  return m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
}
