/**
 * Catalog section: share plans — usage pools shared by the services of an account or an account tree (fixed or
 * growing with contributions of the participating services), with pool and overage prices and threshold events.
 */
import { z } from 'zod';
import { parseMoney } from '../../core/money.ts';
import { FREQUENCIES, type Frequency } from '../durations.ts';
import { money, quantityText } from '../price/common.ts';
import { parseQuantity } from '../units.ts';
import { type CompileContext, id } from './common.ts';
import type { ServiceRef } from './states.ts';

export const selector = z.object({
  'service-types': z.array(z.string()).optional(),
  plans: z.array(z.string()).optional(),
  services: z.array(z.string()).optional(),
}).strict();

export const sharePlanSchema = z.object({
  id,
  description: z.string().optional(),
  'bucket-class': z.string().describe('the usage class whose usage is pooled'),
  unit: z.string().default('event'),
  level: z.enum(['parent', 'account']).default('account'),
  activation: z.enum(['selling', 'participating']).default('participating'),
  selling: selector.optional().describe('services that activate the pool when sold (activation: selling)'),
  participating: selector.describe('services whose usage is pooled'),
  contributions: z.array(selector.extend({ amount: quantityText }).strict()).default([]),
  growth: z.enum(['fixed', 'variable']).default('fixed'),
  size: quantityText.default('0').describe('pool size per period (fixed), or base size added to contributions (variable)'),
  frequency: z.enum(FREQUENCIES).default('monthly'),
  'pool-price': z.object({ price: money.default('0'), per: quantityText.default('1') }).strict().default({ price: '0', per: '1' }),
  'overage-price': z.object({ price: money, per: quantityText.default('1') }).strict().optional()
    .describe('price beyond the pool; omitted = the plan rate prices the overage'),
  thresholds: z.array(z.coerce.number().int().min(1).max(100)).default([80, 100]).describe('percent used → bucket threshold events'),
}).strict();

export interface Selector {
  serviceTypes?: ReadonlySet<string>;
  plans?: ReadonlySet<string>;
  services?: ReadonlySet<string>;
}

export interface CompiledSharePlan {
  id: string;
  bucketClass: string;
  unit: string;
  level: 'parent' | 'account';
  activation: 'selling' | 'participating';
  selling?: Selector;
  participating: Selector;
  contributions: { sel: Selector; amount: number }[];
  growth: 'fixed' | 'variable';
  size: number;
  frequency: Frequency;
  poolPrice: { price: bigint; per: number };
  overagePrice?: { price: bigint; per: number };
  thresholds: number[];
}

function selectorOf(s: z.output<typeof selector> | undefined): Selector | undefined {
  if (!s) return undefined;
  return {
    serviceTypes: s['service-types'] ? new Set(s['service-types']) : undefined,
    plans: s.plans ? new Set(s.plans) : undefined,
    services: s.services ? new Set(s.services) : undefined,
  };
}

export function selects(sel: Selector | undefined, svc: ServiceRef): boolean {
  if (!sel) return false;
  return !!(sel.services?.has(svc.id) || sel.plans?.has(svc.plan) || sel.serviceTypes?.has(svc.type));
}

export function compileSharePlans(c: CompileContext): CompiledSharePlan[] {
  const { cfg, at } = c;
  return cfg['share-plans'].map((sp, si) => {
    const path = ['share-plans', si];
    const q = (t: string, where: (string | number)[]) => {
      try { return parseQuantity(t, sp.unit); } catch (e) { at(where, (e as Error).message); return 0; }
    };
    if (sp.activation === 'selling' && !sp.selling) at(path, 'activation: selling needs a `selling:` selector');
    return {
      id: sp.id,
      bucketClass: sp['bucket-class'],
      unit: sp.unit,
      level: sp.level,
      activation: sp.activation,
      selling: selectorOf(sp.selling),
      participating: selectorOf(sp.participating)!,
      contributions: sp.contributions.map((c, ci) => ({ sel: selectorOf(c)!, amount: q(c.amount, [...path, 'contributions', ci, 'amount']) })),
      growth: sp.growth,
      size: q(sp.size, [...path, 'size']),
      frequency: sp.frequency,
      poolPrice: { price: parseMoney(sp['pool-price'].price), per: q(sp['pool-price'].per, [...path, 'pool-price', 'per']) || 1 },
      overagePrice: sp['overage-price'] ? { price: parseMoney(sp['overage-price'].price), per: q(sp['overage-price'].per, [...path, 'overage-price', 'per']) || 1 } : undefined,
      thresholds: [...sp.thresholds].sort((a, b) => a - b),
    };
  });
}
