/**
 * Catalog section: products → plans → rates (with their price model, conditions, fees, limits, rounding, asset
 * sharing) and recurring prices. Compiled per plan into rate indexes by (usage class, measure) with a destination trie.
 */
import { z } from 'zod';
import { formatMoney, parseMoney } from '../../core/money.ts';
import type { CompiledExpr } from '../../expr/compile.ts';
import { FREQUENCIES, type Frequency } from '../durations.ts';
import { money } from '../price/common.ts';
import { PRICE_MODEL_REGISTRY, PRICE_MODELS } from '../price/index.ts';
import type { PriceModel } from '../price/types.ts';
import { PrefixTrie } from '../prefix-trie.ts';
import { ALWAYS, type TimeWindow } from '../windows.ts';
import { bool, type CompileContext, id, num, type Rounding, roundingSchema } from './common.ts';
import type { CompiledConditions } from './conditions.ts';

const maxCostSchema = z.object({
  amount: money,
  strategy: z.enum(['free', 'reject', 'disconnect']).default('free')
    .describe('free: cap the charge at the amount (the rest is free; CGRateS *free); disconnect: a finished call keeps its price (CGRateS *disconnect: the cap limits the usage a session is authorized for, not the price of what was used); reject: reject the record (RATING_ERROR)'),
}).strict();

const rateBase = {
  id,
  description: z.string().optional(),
  'usage-class': z.string().min(1).describe('the UDR usageClass this rate prices'),
  unit: z.string().default('ms').describe('the UDR base unit: ms, byte, event, or a custom unit (ml, km...)'),
  measure: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional()
    .describe('price attrs.<measure> (an integer in `unit`) instead of the UDR quantity; each measure gives its own charge'),
  destinations: z.array(z.string()).optional().describe('names from `destinations:`; longest matching prefix wins'),
  prefixes: z.array(z.string().min(1)).optional().describe('literal destination prefixes'),
  window: z.string().optional().describe('name from `windows:`; usage is split where windows change'),
  weight: num.default(0).describe('higher weight wins when several rates hold at the same instant'),
  'on-net': bool.optional().describe('true: only on-net destinations; false: only off-net'),
  countries: z.array(z.string()).optional().describe('attrs.country must be one of these'),
  locations: z.array(z.string()).optional().describe('attrs.location must be one of these'),
  when: z.string().optional().describe('custom condition on UDR fields, e.g. "attrs.roaming == \'true\'"'),
  'service-states': z.array(z.string()).optional().describe('only while the service is in one of these states'),
  'connect-fee': money.default('0'),
  rounding: roundingSchema.optional().describe('default: the catalog rounding'),
  'min-cost': money.optional(),
  'max-cost': maxCostSchema.optional(),
  'allow-negative': bool.optional().describe('this element is a credit: negative amounts are intended (otherwise a negative amount is an error)'),
  allocate: z.array(z.object({ account: id, share: z.string().regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'a fraction such as "0.25"') }).strict()).min(2).optional()
    .describe('asset sharing: split each charge of this rate between accounts by share (shares sum to 1; the last takes the rounding remainder)'),
};

/** `model` may be omitted for per-unit (the common case): the variant's literal has that default, so the JSON Schema agrees */
const DEFAULT_MODEL = 'per-unit';
const rateVariants = PRICE_MODELS.map((m) => z.object({
  ...rateBase,
  ...m.fields.shape,
  model: m.model === DEFAULT_MODEL ? z.literal(m.model).default(m.model).describe('price model (default per-unit)') : z.literal(m.model),
}).strict());
export const rateSchema = z.discriminatedUnion('model', rateVariants as unknown as [z.ZodObject, ...z.ZodObject[]], {
  error: (iss) => (iss.code === 'invalid_union' ? `model must be one of ${PRICE_MODELS.map((m) => m.model).join(', ')} (default ${DEFAULT_MODEL})` : undefined),
});

const recurringSchema = z.object({
  id,
  description: z.string().optional(),
  'allow-negative': bool.optional().describe('this element is a credit: negative amounts are intended (otherwise a negative amount is an error)'),
  frequency: z.enum(FREQUENCIES).default('monthly'),
  prices: z.record(z.string(), money).describe('price per period by service state (type-specific or core state)'),
}).strict();

export const planSchema = z.object({
  id,
  name: z.string().optional(),
  rates: z.array(rateSchema).default([]),
  recurring: z.array(recurringSchema).default([]),
}).strict();

export interface CompiledRate {
  id: string;
  index: number;
  plan: string;
  product: string;
  usageClass: string;
  unit: string;
  measure: string;
  prefixes: string[];
  destinationNames: string[];
  window: TimeWindow;
  windowId: string;
  weight: number;
  onNet?: boolean;
  countries?: ReadonlySet<string>;
  locations?: ReadonlySet<string>;
  when?: CompiledExpr;
  whenText?: string;
  serviceStates?: ReadonlySet<string>;
  connectFee: bigint;
  /** connectFee as lineage text */
  connectFeeText: string;
  rounding: Rounding;
  minCost?: bigint;
  maxCost?: { amount: bigint; strategy: 'free' | 'reject' | 'disconnect' };
  model: PriceModel;
  /** asset sharing: shares as exact fractions (numerator over 10^k) */
  allocate?: { account: string; num: bigint; den: bigint; text: string }[];
  /** a human summary of the conditions, used as Charge.matched */
  matchedText: string;
  /** the lineage step's memo of this rate's constant text pieces (steps/lineage.ts; rating-time only, never serialised) */
  textMemo?: object;
  /** the lineage step's memo: the prefix this rate last matched at ('' = none yet) and Charge.matched there */
  memoPrefix: string;
  memoMatched: string;
}

/** Rates of one plan for one (usage class, measure), with the destination trie. */
export interface RateIndex {
  rates: CompiledRate[];
  trie: PrefixTrie;
  /** rates without destination conditions (CGRateS *any), in file order */
  defaults: number[];
  /** some rate has a window other than always */
  windowed: boolean;
  /** all rates are per-unit (usage can be split across windows) */
  splittable: boolean;
}

export interface CompiledRecurring {
  id: string;
  frequency: Frequency;
  prices: Map<string, bigint>;
}

export interface CompiledPlan {
  id: string;
  product: string;
  /** key `${usageClass}\u0000${measure}` */
  index: Map<string, RateIndex>;
  /** measures priced per usage class ('' = the UDR quantity) */
  measures: Map<string, string[]>;
  recurring: CompiledRecurring[];
  /** legacy view: rates by usage class in file order */
  rates: Map<string, CompiledRate[]>;
}

export function compilePlans(c: CompileContext, cond: CompiledConditions): Map<string, CompiledPlan> {
  const { cfg, at } = c;
  const { windows, destinations, whenOf } = cond;
  const plans = new Map<string, CompiledPlan>();
  let rateCounter = 0;
  cfg.products.forEach((p, pi) => p.plans.forEach((pl, li) => {
    const base = ['products', pi, 'plans', li];
    if (plans.has(pl.id)) at([...base, 'id'], `duplicate plan id ${pl.id}`);
    const index = new Map<string, RateIndex>();
    const measures = new Map<string, string[]>();
    const legacy = new Map<string, CompiledRate[]>();
    const seen = new Set<string>();
    pl.rates.forEach((raw, ri) => {
      const r = raw as unknown as Record<string, any>;
      const path = [...base, 'rates', ri];
      try {
        if (seen.has(r.id)) throw new Error(`duplicate rate id ${r.id} in plan ${pl.id}`);
        seen.add(r.id);
        const spec = PRICE_MODEL_REGISTRY.get(r.model)!;
        const fields: Record<string, unknown> = {};
        for (const k of Object.keys(spec.fields.shape)) if (r[k] !== undefined) fields[k] = r[k];
        const model = spec.create(spec.fields.parse(fields), r.unit);
        const prefixes: string[] = [...(r.prefixes ?? [])];
        for (const dn of (r.destinations ?? []) as string[]) {
          const list = destinations.get(dn);
          if (!list) throw new Error(`unknown destination ${JSON.stringify(dn)} (declare it under destinations:)`);
          prefixes.push(...list);
        }
        let window = ALWAYS;
        if (r.window) {
          const w = windows.get(r.window);
          if (!w) throw new Error(`unknown window ${JSON.stringify(r.window)} (declare it under windows:)`);
          window = w;
        }
        const rounding: Rounding = r.rounding ?? cfg.rounding;
        const cond: string[] = [];
        if (r.destinations?.length) cond.push(`destination ${r.destinations.join('|')}`);
        else if (r.prefixes?.length) cond.push(`prefix ${r.prefixes.join('|')}`);
        if (r.window) cond.push(`window ${r.window}`);
        if (r['on-net'] !== undefined) cond.push(r['on-net'] ? 'on-net' : 'off-net');
        if (r.countries) cond.push(`country ${r.countries.join('|')}`);
        if (r.locations) cond.push(`location ${r.locations.join('|')}`);
        if (r['service-states']) cond.push(`state ${r['service-states'].join('|')}`);
        if (r.when) cond.push(`when ${r.when}`);
        const rate: CompiledRate = {
          id: r.id,
          index: rateCounter++,
          plan: pl.id,
          product: p.id,
          usageClass: r['usage-class'],
          unit: r.unit,
          measure: r.measure ?? '',
          prefixes,
          destinationNames: r.destinations ?? [],
          window,
          windowId: r.window ?? '*any',
          weight: r.weight,
          onNet: r['on-net'],
          countries: r.countries ? new Set(r.countries) : undefined,
          locations: r.locations ? new Set(r.locations) : undefined,
          whenText: r.when,
          when: r.when ? whenOf(r.when, [...path, 'when']) : undefined,
          serviceStates: r['service-states'] ? new Set(r['service-states']) : undefined,
          connectFee: parseMoney(r['connect-fee']),
          connectFeeText: formatMoney(parseMoney(r['connect-fee'])),
          rounding,
          minCost: r['min-cost'] !== undefined ? parseMoney(r['min-cost']) : undefined,
          maxCost: r['max-cost'] ? { amount: parseMoney(r['max-cost'].amount), strategy: r['max-cost'].strategy } : undefined,
          model,
          allocate: r.allocate ? compileShares(r.allocate) : undefined,
          matchedText: cond.length ? cond.join(', ') : '*any',
          textMemo: undefined,
          memoPrefix: '',
          memoMatched: '',
        };
        const key = `${rate.usageClass}\u0000${rate.measure}`;
        let ix = index.get(key);
        if (!ix) {
          ix = { rates: [], trie: new PrefixTrie(), defaults: [], windowed: false, splittable: true };
          index.set(key, ix);
          const ms = measures.get(rate.usageClass) ?? [];
          ms.push(rate.measure);
          measures.set(rate.usageClass, ms);
        }
        const k = ix.rates.length;
        ix.rates.push(rate);
        if (prefixes.length) for (const pf of prefixes) ix.trie.insert(pf, k);
        else ix.defaults.push(k);
        if (window !== ALWAYS) ix.windowed = true;
        if (!model.steps) ix.splittable = false;
        const l = legacy.get(rate.usageClass) ?? [];
        l.push(rate);
        legacy.set(rate.usageClass, l);
      } catch (e) {
        at(path, (e as Error).message);
      }
    });
    const recurring: CompiledRecurring[] = pl.recurring.map((rc, ri) => {
      const prices = new Map<string, bigint>();
      for (const [st, amt] of Object.entries(rc.prices)) {
        try { prices.set(st, parseMoney(amt)); } catch (e) { at([...base, 'recurring', ri, 'prices', st], (e as Error).message); }
      }
      return { id: rc.id, frequency: rc.frequency, prices };
    });
    plans.set(pl.id, { id: pl.id, product: p.id, index, measures, recurring, rates: legacy });
  }));
  return plans;
}

function compileShares(list: { account: string; share: string }[]): NonNullable<CompiledRate['allocate']> {
  const out = list.map((x) => {
    const [w, f = ''] = x.share.split('.');
    const den = 10n ** BigInt(f.length);
    return { account: x.account, num: BigInt(w! + f), den, text: x.share };
  });
  const lcm = out.reduce((m, x) => (x.den > m ? x.den : m), 1n);
  const sum = out.reduce((s, x) => s + x.num * (lcm / x.den), 0n);
  if (sum !== lcm) throw new Error(`allocate: shares must sum to 1 (they sum to ${Number(sum) / Number(lcm)})`);
  return out;
}