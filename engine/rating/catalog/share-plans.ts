/**
 * Catalog section: share plans — usage pools (bundles) shared by the services of an account or an account tree
 * (fixed or growing with contributions of the participating services), with pool and overage prices and threshold
 * events. A bundle may carry its own rating instead of being free units: a destination filter (usage to other
 * destinations is not taken from it), a billing increment (usage is taken in whole increments) and a connect fee
 * (charged whenever the bundle takes part of a call, even all of it; the plan rate then adds no connect fee of its
 * own for the rest of that call).
 */
import { z } from 'zod';
import { parseMoney } from '../../core/money.ts';
import { FREQUENCIES } from '../durations.ts';
import { money, quantityText } from '../price/common.ts';
import { parseQuantity } from '../units.ts';
import { PrefixTrie } from '../prefix-trie.ts';
import { type CompileContext, id } from './common.ts';
import type { ServiceRef } from './states.ts';

export const selector = z.object({
  'service-types': z.array(z.string()).optional(),
  plans: z.array(z.string()).optional(),
  services: z.array(z.string()).optional(),
  accounts: z.array(z.string()).optional().describe('accounts whose usage is pooled (also usage without a service)'),
}).strict();

/** share plan frequencies: the pool's period (unlimited = one pool that never resets, e.g. a prepaid bundle) */
export const POOL_FREQUENCIES = [...FREQUENCIES, 'unlimited'] as const;
export type PoolFrequency = (typeof POOL_FREQUENCIES)[number];

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
  frequency: z.enum(POOL_FREQUENCIES).default('monthly'),
  destinations: z.array(z.string()).optional().describe('names from `destinations:`: only usage to these is taken from the pool (omitted = any destination)'),
  prefixes: z.array(z.string().min(1)).optional().describe('literal destination prefixes: only usage to these is taken from the pool'),
  rate: z.object({
    'connect-fee': money.default('0').describe('charged once when the pool takes any of a call, even all of it (the plan rate adds no connect fee for the rest)'),
    increment: quantityText.optional().describe('usage is taken from the pool in whole increments (a call of 90s with 60s takes 120s)'),
  }).strict().optional().describe('the bundle\'s own rating (with pool-price as its price per unit); omitted = free units at pool-price'),
  'pool-price': z.object({ price: money.default('0'), per: quantityText.default('1') }).strict().default({ price: '0', per: '1' }),
  'overage-price': z.object({ price: money, per: quantityText.default('1') }).strict().optional()
    .describe('price beyond the pool; omitted = the plan rate prices the overage'),
  thresholds: z.array(z.coerce.number().int().min(1).max(100)).default([80, 100]).describe('percent used → bucket threshold events'),
}).strict();

export interface Selector {
  serviceTypes?: ReadonlySet<string>;
  plans?: ReadonlySet<string>;
  services?: ReadonlySet<string>;
  accounts?: ReadonlySet<string>;
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
  frequency: PoolFrequency;
  /** destination filter (undefined = any destination) */
  destinations?: { trie: PrefixTrie; text: string };
  /** the bundle's own rating: connect fee, increment (0 = none) */
  rate?: { connectFee: bigint; increment: number };
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
    accounts: s.accounts ? new Set(s.accounts) : undefined,
  };
}

export function selects(sel: Selector | undefined, svc: Pick<ServiceRef, 'id' | 'account' | 'type' | 'plan'>): boolean {
  if (!sel) return false;
  return !!(sel.services?.has(svc.id) || sel.plans?.has(svc.plan) || sel.serviceTypes?.has(svc.type) || sel.accounts?.has(svc.account));
}

export function compileSharePlans(c: CompileContext): CompiledSharePlan[] {
  const { cfg, at } = c;
  return cfg['share-plans'].map((sp, si) => {
    const path = ['share-plans', si];
    const q = (t: string, where: (string | number)[]) => {
      try { return parseQuantity(t, sp.unit); } catch (e) { at(where, (e as Error).message); return 0; }
    };
    if (sp.activation === 'selling' && !sp.selling) at(path, 'activation: selling needs a `selling:` selector');
    let destinations: CompiledSharePlan['destinations'];
    if (sp.destinations || sp.prefixes) {
      const trie = new PrefixTrie();
      for (const pf of sp.prefixes ?? []) trie.insert(pf, 0);
      (sp.destinations ?? []).forEach((dn, di) => {
        const list = cfg.destinations[dn];
        if (!list) at([...path, 'destinations', di], `unknown destination ${JSON.stringify(dn)} (declare it under destinations:)`);
        else for (const pf of list) trie.insert(pf, 0);
      });
      destinations = { trie, text: [...(sp.destinations ?? []), ...(sp.prefixes ?? [])].join('|') };
    }
    const rate = sp.rate ? { connectFee: parseMoney(sp.rate['connect-fee']), increment: sp.rate.increment ? q(sp.rate.increment, [...path, 'rate', 'increment']) : 0 } : undefined;
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
      destinations,
      rate,
      poolPrice: { price: parseMoney(sp['pool-price'].price), per: q(sp['pool-price'].per, [...path, 'pool-price', 'per']) || 1 },
      overagePrice: sp['overage-price'] ? { price: parseMoney(sp['overage-price'].price), per: q(sp['overage-price'].per, [...path, 'overage-price', 'per']) || 1 } : undefined,
      thresholds: [...sp.thresholds].sort((a, b) => a - b),
    };
  });
}
