/**
 * The rating catalog (`kind: catalog`): products → plans → rates (two tiers), named destinations and time windows,
 * service types with their states and transitions, share plans, contracts, and the account hierarchy with its
 * services as reference data. Loaded once, validated with positions (file:line:col for every problem), compiled:
 * conditions → functions, prefixes → tries, prices → scaled bigints, windows → integer lookups.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ConfigProblem, parseYamlText, positionOf, type ParsedYaml, validate } from '../config/yaml-loader.ts';
import { formatMoney, parseMoney, ROUNDING_MODES, type RoundingMode } from '../core/money.ts';
import { compileExpr, type CompiledExpr } from '../expr/compile.ts';
import { exprErrorMessage } from '../mediation/expr-message.ts';
import { FUNCTION_REGISTRY } from '../mediation/functions/index.ts';
import { FREQUENCIES, type Frequency, parseDate, parseDuration } from './durations.ts';
import { money, quantityText } from './price/common.ts';
import { PRICE_MODEL_REGISTRY, PRICE_MODELS } from './price/index.ts';
import type { PriceModel } from './price/types.ts';
import { PrefixTrie } from './prefix-trie.ts';
import { parseQuantity } from './units.ts';
import { ALWAYS, TimeWindow, windowSchema, ZoneClock } from './windows.ts';

const id = z.string().min(1).regex(/^[A-Za-z0-9*\[][A-Za-z0-9._:@+*\[\]-]*$/, 'letters, digits and . _ : @ + - (and * for patterns)');
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
const num = z.coerce.number();
export const CORE_STATES = ['active', 'cancelled', 'prospect', 'suspended'] as const;
export type CoreState = (typeof CORE_STATES)[number];
export const NEW_STATE = '[New]';

/** catalog `window-split`: the ratestream rule (increment) or CGRateS' timespans (cgrates) */
export const WINDOW_SPLITS = ['increment', 'cgrates'] as const;
export type WindowSplit = (typeof WINDOW_SPLITS)[number];

export const roundingSchema = z.object({
  mode: z.enum(ROUNDING_MODES as [RoundingMode, ...RoundingMode[]]).default('half-up'),
  decimals: z.coerce.number().int().min(0).max(10).default(4),
}).strict();

const maxCostSchema = z.object({
  amount: money,
  strategy: z.enum(['free', 'reject', 'disconnect']).default('free')
    .describe('free: cap the charge at the amount (the rest is free); reject: reject the record (RATING_ERROR); disconnect: bill only up to the increment where the cap was reached (CGRateS *disconnect)'),
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

const planSchema = z.object({
  id,
  name: z.string().optional(),
  rates: z.array(rateSchema).default([]),
  recurring: z.array(recurringSchema).default([]),
}).strict();

const transitionSchema = z.object({
  from: z.union([z.string(), z.array(z.string())]).describe('state(s), or "[New]" for the initial state'),
  to: z.string(),
  charge: money.optional().describe('one-time charge of this transition'),
  description: z.string().optional(),
  'allow-negative': bool.optional().describe('this element is a credit: negative amounts are intended (otherwise a negative amount is an error)'),
}).strict();

const firstUseSchema = z.object({
  'usage-class': z.string().optional().describe('usage that counts (default: any)'),
  threshold: quantityText.optional().describe('activate when counted usage reaches this quantity'),
  unit: z.string().default('event'),
  window: z.string().optional().describe('only usage within this rolling window counts toward the threshold (e.g. 24h)'),
  period: z.string().optional().describe('activate anyway this long after the service entered the waiting state'),
  from: z.string().default('pre-active').describe('the waiting state'),
  to: z.string().default('active'),
}).strict();

const serviceTypeSchema = z.object({
  id,
  description: z.string().optional(),
  states: z.record(z.string(), z.enum(CORE_STATES)).describe('type-specific state → core state'),
  transitions: z.array(transitionSchema).default([]),
  'bill-on-first-use': firstUseSchema.optional(),
}).strict();

const selector = z.object({
  'service-types': z.array(z.string()).optional(),
  plans: z.array(z.string()).optional(),
  services: z.array(z.string()).optional(),
}).strict();

const sharePlanSchema = z.object({
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

const commitmentSchema = z.object({
  id,
  type: z.enum(['minimum-spend', 'usage-amount', 'volume', 'connections']),
  'usage-class': z.string().optional(),
  unit: z.string().default('event'),
  schedule: z.array(z.object({ 'from-month': z.coerce.number().int().min(1), amount: z.string() }).strict()).min(1)
    .describe('ramp-up: the commitment from each contract month on (money for spend types, quantity otherwise)'),
  penalty: z.object({
    type: z.enum(['shortfall', 'rate', 'fixed']).default('shortfall'),
    price: money.optional().describe('rate: price per `per` of shortfall'),
    per: quantityText.default('1'),
    amount: money.optional().describe('fixed: the penalty amount'),
  }).strict().default({ type: 'shortfall', per: '1' }),
}).strict();

const contractSchema = z.object({
  id,
  description: z.string().optional(),
  account: id,
  scope: z.enum(['account', 'line-item']).default('account'),
  services: z.array(id).default([]).describe('line-item contracts: the services covered'),
  start: z.string(),
  'term-months': z.coerce.number().int().min(1),
  renewal: z.enum(['none', 'auto']).default('none'),
  'termination-state': z.string().default('cancelled'),
  'co-terminate': z.array(id).default([]),
  frequency: z.literal('monthly').default('monthly'),
  commitments: z.array(commitmentSchema).default([]),
  'early-termination': z.array(z.object({
    'until-month': z.coerce.number().int().min(1).describe('applies when terminated before the end of this contract month'),
    charge: money.optional(),
    'remaining-percent': z.coerce.number().min(0).max(100).optional().describe('percent of the remaining minimum-spend commitment'),
  }).strict()).default([]),
}).strict();

const serviceSchema = z.object({
  id,
  type: z.string().default('default'),
  plan: id,
  state: z.string().optional().describe('current state (default: the type\'s initial state, or active)'),
  since: z.string().optional().describe('when the service entered that state (ISO date)'),
  until: z.string().optional().describe('end date of the service'),
}).strict();

const accountSchema = z.object({
  id,
  name: z.string().optional(),
  parent: id.optional(),
  plan: id.optional().describe('plan for usage not tied to a service'),
  services: z.array(serviceSchema).default([]),
}).strict();

const assignmentSchema = z.object({
  account: z.string().describe('account id, or a pattern ending in *any (e.g. "cgrates.org:*any")'),
  'usage-class': z.string().default('*any'),
  from: z.string().default('1970-01-01T00:00:00Z').describe('activation time'),
  plan: id,
  fallback: z.array(z.string()).default([]).describe('accounts whose assignments are tried when this plan has no rate'),
}).strict();

export const catalogSchema = z.object({
  kind: z.literal('catalog'),
  name: z.string(),
  description: z.string().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR'),
  timezone: z.string().default('UTC'),
  rounding: roundingSchema.default({ mode: 'half-up', decimals: 4 }),
  'window-split': z.enum(WINDOW_SPLITS).default('increment')
    .describe('how a call crossing a time-window change is priced (usage in ms, per-unit rates). increment: every charging increment is priced by the window in force where it starts, at the step of its offset from the call start. cgrates: as CGRateS — the call is cut at rate-slot starts (GroupIntervalStart) before time-of-day changes, so a change inside a step takes effect at the next step; each part is priced by the rate in force at its start with increment costs rounded to cgrates-rounding-decimals (set by import-cgrates)'),
  'cgrates-rounding-decimals': z.coerce.number().int().min(0).max(10).default(5)
    .describe('window-split cgrates only: CGRateS general rounding_decimals (default 5), the decimals of each part\'s cost and of its per-increment cost'),
  'default-plan': id.optional().describe('plan for accounts without one; omitted = unknown accounts are rejected'),
  destinations: z.record(z.string(), z.array(z.string().min(1))).default({}),
  windows: z.record(z.string(), windowSchema).default({}),
  'on-net': z.object({
    prefixes: z.array(z.string()).default([]),
    attr: z.string().default('onNet').describe('UDR attr set by mediation ("true"/"false"); wins over prefixes'),
  }).strict().optional(),
  products: z.array(z.object({
    id,
    name: z.string().optional(),
    plans: z.array(planSchema).min(1),
  }).strict()).min(1),
  'service-types': z.array(serviceTypeSchema).default([]),
  'share-plans': z.array(sharePlanSchema).default([]),
  contracts: z.array(contractSchema).default([]),
  accounts: z.array(accountSchema).default([]),
  assignments: z.array(assignmentSchema).default([]).describe('time-activated plan assignments (CGRateS rating profiles)'),
}).strict();

export type CatalogConfig = z.output<typeof catalogSchema>;


export interface Rounding {
  mode: RoundingMode;
  decimals: number;
}

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

export interface Transition {
  from: string;
  to: string;
  charge: bigint;
  description?: string;
}

export interface CompiledServiceType {
  id: string;
  states: Map<string, CoreState>;
  transitions: Map<string, Map<string, Transition>>;
  initial?: string;
  firstUse?: {
    usageClass?: string;
    threshold?: number;
    window?: number;
    period?: number;
    from: string;
    to: string;
  };
}

export interface ServiceRef {
  id: string;
  account: string;
  type: string;
  plan: string;
  state: string;
  since: number;
  until?: number;
}

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

export interface CompiledCommitment {
  id: string;
  type: 'minimum-spend' | 'usage-amount' | 'volume' | 'connections';
  usageClass?: string;
  unit: string;
  /** sorted by fromMonth; amounts are scaled money for spend types, integer quantities otherwise */
  schedule: { fromMonth: number; amount: bigint }[];
  penalty: { type: 'shortfall' | 'rate' | 'fixed'; price: bigint; per: number; amount: bigint };
}

export interface CompiledContract {
  id: string;
  account: string;
  scope: 'account' | 'line-item';
  services: string[];
  start: number;
  termMonths: number;
  renewal: 'none' | 'auto';
  terminationState: string;
  coTerminate: string[];
  commitments: CompiledCommitment[];
  earlyTermination: { untilMonth: number; charge?: bigint; remainingPercent?: number }[];
}

export interface Assignment {
  account: string;
  usageClass: string;
  from: number;
  plan: string;
  fallback: string[];
}

export interface CompiledCatalog {
  name: string;
  file: string;
  version: string;
  currency: string;
  timezone: string;
  clock: ZoneClock;
  rounding: Rounding;
  /** pricing of usage crossing window changes, and CGRateS' rounding_decimals for `cgrates` */
  windowSplit: WindowSplit;
  cgratesRoundingDecimals: number;
  plans: Map<string, CompiledPlan>;
  accounts: Map<string, CatalogConfig['accounts'][number]>;
  /** account → parent (undefined = top) */
  parents: Map<string, string | undefined>;
  /** account → its direct children */
  children: Map<string, string[]>;
  services: Map<string, ServiceRef>;
  servicesByAccount: Map<string, ServiceRef[]>;
  serviceTypes: Map<string, CompiledServiceType>;
  sharePlans: CompiledSharePlan[];
  contracts: Map<string, CompiledContract>;
  /** assignments by exact account id, and patterns (prefix before *any), each sorted by activation time */
  assignments: Map<string, Assignment[]>;
  assignmentPatterns: { prefix: string; list: Assignment[] }[];
  onNet?: { trie: PrefixTrie; attr: string };
  windows: Map<string, TimeWindow>;
  defaultPlan?: string;
  config: CatalogConfig;
}

export function loadCatalogFile(file: string): CompiledCatalog {
  return loadCatalogText(readFileSync(file, 'utf8'), file);
}

export function loadCatalogText(text: string, file = '<catalog>'): CompiledCatalog {
  const parsed = parseYamlText(text, file);
  const c = compileCatalog(parsed);
  c.version = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return c;
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

const NEGATIVE = /^-\d+(\.\d+)?$/;

/**
 * Negative amounts anywhere in the catalog (prices, fees, tiers, recurring prices, charges, penalties): an error
 * unless the element holding it (a rate, a recurring price, a transition) says `allow-negative: true` (a credit).
 * A minus sign typed by mistake would otherwise pay customers for their usage.
 */
export function negativeAmounts(cfg: unknown): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const walk = (v: unknown, path: (string | number)[], allowed: boolean) => {
    if (typeof v === 'string') {
      if (!allowed && NEGATIVE.test(v)) {
        const key = path.filter((k) => typeof k === 'string').at(-1);
        out.push({ path, message: `${key} ${JSON.stringify(v)} is negative: mark its rate, recurring price or transition \`allow-negative: true\` if it is a credit` });
      }
      return;
    }
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...path, i], allowed));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const here = allowed || o['allow-negative'] === true;
      for (const [k, x] of Object.entries(o)) walk(x, [...path, k], here);
    }
  };
  walk(cfg, [], false);
  return out;
}

/**
 * Lint of a catalog whose schema check failed: its rate conditions (`when`) and negative amounts are still checked,
 * so one schema mistake hides no other problem.
 */
export function lintCatalogLeniently(parsed: ParsedYaml): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const at = (path: (string | number)[], message: string) => out.push({ file: parsed.file, ...positionOf(parsed, path), message });
  const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
  const obj = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  const ctx = { ordinal: false, functions: FUNCTION_REGISTRY, tables: new Map() };
  arr(obj(parsed.value).products).forEach((p, pi) => arr(obj(p).plans).forEach((pl, li) => arr(obj(pl).rates).forEach((r, ri) => {
    const when = obj(r).when;
    if (typeof when !== 'string') return;
    try {
      compileExpr(when, ctx);
    } catch (e) {
      at(['products', pi, 'plans', li, 'rates', ri, 'when'], exprErrorMessage(e as { message: string; at?: number }, ctx));
    }
  })));
  // the failsafe YAML gives `allow-negative: true` as a string here (zod has not coerced it)
  const coerced = JSON.parse(JSON.stringify(parsed.value ?? null), (k, v) => (k === 'allow-negative' ? v === true || v === 'true' : v));
  for (const n of negativeAmounts(coerced)) at(n.path, n.message);
  return out;
}

export function compileCatalog(parsed: ParsedYaml): CompiledCatalog {
  const { value: cfg, problems } = validate(parsed, catalogSchema);
  if (!cfg) throw new ConfigError(problems);
  const file = parsed.file;
  const errs: ConfigProblem[] = [];
  const at = (path: (string | number)[], message: string) => errs.push({ file, ...positionOf(parsed, path), message });
  const tz = cfg.timezone;
  let clock: ZoneClock;
  try {
    clock = new ZoneClock(tz);
  } catch (e) {
    at(['timezone'], (e as Error).message);
    clock = new ZoneClock('UTC');
  }
  const date = (text: string, path: (string | number)[]): number => {
    try {
      return parseDate(text, tz);
    } catch (e) {
      at(path, (e as Error).message);
      return 0;
    }
  };

  const windows = new Map<string, TimeWindow>();
  for (const [name, w] of Object.entries(cfg.windows)) {
    try {
      windows.set(name, new TimeWindow(name, w));
    } catch (e) {
      at(['windows', name], (e as Error).message);
    }
  }
  const destinations = new Map(Object.entries(cfg.destinations));

  const exprCtx = { ordinal: false, functions: FUNCTION_REGISTRY, tables: new Map() };
  const whenOf = (text: string, path: (string | number)[]): CompiledExpr | undefined => {
    try {
      return compileExpr(text, exprCtx);
    } catch (e) {
      at(path, exprErrorMessage(e as { message: string; at?: number }, exprCtx));
      return undefined;
    }
  };
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

  // service types
  const serviceTypes = new Map<string, CompiledServiceType>();
  cfg['service-types'].forEach((st, si) => {
    const states = new Map(Object.entries(st.states));
    const transitions = new Map<string, Map<string, Transition>>();
    let initial: string | undefined;
    st.transitions.forEach((t, ti) => {
      const froms = Array.isArray(t.from) ? t.from : [t.from];
      if (!states.has(t.to)) at(['service-types', si, 'transitions', ti, 'to'], `unknown state ${t.to} of service type ${st.id}`);
      for (const f of froms) {
        if (f !== NEW_STATE && !states.has(f)) at(['service-types', si, 'transitions', ti, 'from'], `unknown state ${f} of service type ${st.id}`);
        if (f === NEW_STATE && initial === undefined) initial = t.to;
        const m = transitions.get(f) ?? new Map<string, Transition>();
        m.set(t.to, { from: f, to: t.to, charge: t.charge ? parseMoney(t.charge) : 0n, description: t.description });
        transitions.set(f, m);
      }
    });
    let firstUse: CompiledServiceType['firstUse'];
    const fu = st['bill-on-first-use'];
    if (fu) {
      try {
        if (!states.has(fu.from)) throw new Error(`bill-on-first-use: unknown state ${fu.from}`);
        if (!states.has(fu.to)) throw new Error(`bill-on-first-use: unknown state ${fu.to}`);
        if (!transitions.get(fu.from)?.has(fu.to)) throw new Error(`bill-on-first-use: no transition ${fu.from} → ${fu.to}`);
        if (!fu.threshold && !fu.period) throw new Error('bill-on-first-use needs a threshold, a period or both');
        firstUse = {
          usageClass: fu['usage-class'],
          threshold: fu.threshold ? parseQuantity(fu.threshold, fu.unit) : undefined,
          window: fu.window ? parseDuration(fu.window) : undefined,
          period: fu.period ? parseDuration(fu.period) : undefined,
          from: fu.from,
          to: fu.to,
        };
      } catch (e) {
        at(['service-types', si, 'bill-on-first-use'], (e as Error).message);
      }
    }
    serviceTypes.set(st.id, { id: st.id, states, transitions, initial, firstUse });
  });

  // accounts, services
  const accounts = new Map<string, CatalogConfig['accounts'][number]>();
  const parents = new Map<string, string | undefined>();
  const children = new Map<string, string[]>();
  const services = new Map<string, ServiceRef>();
  const servicesByAccount = new Map<string, ServiceRef[]>();
  cfg.accounts.forEach((a, ai) => {
    if (accounts.has(a.id)) at(['accounts', ai, 'id'], `duplicate account ${a.id}`);
    accounts.set(a.id, a);
    parents.set(a.id, a.parent);
    if (a.plan && !plans.has(a.plan)) at(['accounts', ai, 'plan'], `unknown plan ${a.plan}`);
    const list: ServiceRef[] = [];
    a.services.forEach((s, si) => {
      const path = ['accounts', ai, 'services', si];
      if (!plans.has(s.plan)) at([...path, 'plan'], `unknown plan ${s.plan}`);
      if (services.has(s.id)) at([...path, 'id'], `duplicate service ${s.id}`);
      const type = serviceTypes.get(s.type);
      if (s.type !== 'default' && !type) at([...path, 'type'], `unknown service type ${s.type}`);
      const state = s.state ?? type?.initial ?? 'active';
      if (type && !type.states.has(state)) at([...path, 'state'], `state ${state} is not a state of type ${s.type}`);
      const ref: ServiceRef = { id: s.id, account: a.id, type: s.type, plan: s.plan, state,
        since: s.since ? date(s.since, [...path, 'since']) : 0, until: s.until ? date(s.until, [...path, 'until']) : undefined };
      services.set(s.id, ref);
      list.push(ref);
    });
    servicesByAccount.set(a.id, list);
  });
  cfg.accounts.forEach((a, ai) => {
    if (a.parent) {
      if (!accounts.has(a.parent)) at(['accounts', ai, 'parent'], `unknown parent account ${a.parent}`);
      const l = children.get(a.parent) ?? [];
      l.push(a.id);
      children.set(a.parent, l);
      // cycles
      const seen = new Set([a.id]);
      let p: string | undefined = a.parent;
      while (p) {
        if (seen.has(p)) { at(['accounts', ai, 'parent'], `account hierarchy has a cycle through ${p}`); break; }
        seen.add(p);
        p = parents.get(p);
      }
    }
  });

  const sharePlans: CompiledSharePlan[] = cfg['share-plans'].map((sp, si) => {
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

  const contracts = new Map<string, CompiledContract>();
  cfg.contracts.forEach((c, ci) => {
    const path = ['contracts', ci];
    if (!accounts.has(c.account)) at([...path, 'account'], `unknown account ${c.account}`);
    for (const s of c.services) if (!services.has(s)) at([...path, 'services'], `unknown service ${s}`);
    const commitments: CompiledCommitment[] = c.commitments.map((cm, mi) => {
      const spend = cm.type === 'minimum-spend' || cm.type === 'usage-amount';
      const schedule = cm.schedule.map((s, k) => {
        try {
          return { fromMonth: s['from-month'], amount: spend ? parseMoney(s.amount) : BigInt(parseQuantity(s.amount, cm.unit)) };
        } catch (e) {
          at([...path, 'commitments', mi, 'schedule', k, 'amount'], (e as Error).message);
          return { fromMonth: s['from-month'], amount: 0n };
        }
      }).sort((a, b) => a.fromMonth - b.fromMonth);
      if (schedule[0] && schedule[0].fromMonth !== 1) at([...path, 'commitments', mi, 'schedule'], 'the schedule must start at from-month 1');
      if ((cm.type === 'volume' || cm.type === 'usage-amount') && !cm['usage-class']) at([...path, 'commitments', mi], `${cm.type} commitments need a usage-class`);
      const pen = cm.penalty;
      if (pen.type === 'rate' && !pen.price) at([...path, 'commitments', mi, 'penalty'], 'penalty type rate needs a price');
      if (pen.type === 'fixed' && !pen.amount) at([...path, 'commitments', mi, 'penalty'], 'penalty type fixed needs an amount');
      if (pen.type === 'shortfall' && !spend) at([...path, 'commitments', mi, 'penalty'], `a shortfall penalty needs a money commitment; use type rate or fixed for ${cm.type}`);
      return {
        id: cm.id, type: cm.type, usageClass: cm['usage-class'], unit: cm.unit, schedule,
        penalty: { type: pen.type, price: pen.price ? parseMoney(pen.price) : 0n, per: parseQuantity(pen.per, cm.unit) || 1, amount: pen.amount ? parseMoney(pen.amount) : 0n },
      };
    });
    contracts.set(c.id, {
      id: c.id, account: c.account, scope: c.scope, services: c.services, start: date(c.start, [...path, 'start']),
      termMonths: c['term-months'], renewal: c.renewal, terminationState: c['termination-state'], coTerminate: c['co-terminate'],
      commitments,
      earlyTermination: c['early-termination'].map((t) => ({ untilMonth: t['until-month'], charge: t.charge ? parseMoney(t.charge) : undefined, remainingPercent: t['remaining-percent'] }))
        .sort((a, b) => a.untilMonth - b.untilMonth),
    });
  });
  cfg.contracts.forEach((c, ci) => c['co-terminate'].forEach((o) => { if (!contracts.has(o)) at(['contracts', ci, 'co-terminate'], `unknown contract ${o}`); }));

  const assignments = new Map<string, Assignment[]>();
  const patterns = new Map<string, Assignment[]>();
  cfg.assignments.forEach((a, ai) => {
    if (!plans.has(a.plan)) at(['assignments', ai, 'plan'], `unknown plan ${a.plan}`);
    const as: Assignment = { account: a.account, usageClass: a['usage-class'], from: date(a.from, ['assignments', ai, 'from']), plan: a.plan, fallback: a.fallback };
    const target = a.account.endsWith('*any') ? patterns : assignments;
    const key = a.account.endsWith('*any') ? a.account.slice(0, -4) : a.account;
    const l = target.get(key) ?? [];
    l.push(as);
    target.set(key, l);
  });
  for (const l of [...assignments.values(), ...patterns.values()]) l.sort((x, y) => x.from - y.from);

  let onNet: CompiledCatalog['onNet'];
  if (cfg['on-net']) {
    const trie = new PrefixTrie();
    cfg['on-net'].prefixes.forEach((p, i) => trie.insert(p, i));
    onNet = { trie, attr: cfg['on-net'].attr };
  }
  if (cfg['default-plan'] && !plans.has(cfg['default-plan'])) at(['default-plan'], `unknown plan ${cfg['default-plan']}`);
  for (const n of negativeAmounts(cfg)) at(n.path, n.message);
  if (errs.length) throw new ConfigError(errs.sort((a, b) => a.line - b.line || a.col - b.col));
  return {
    name: cfg.name,
    file,
    version: '',
    currency: cfg.currency,
    timezone: tz,
    clock,
    rounding: cfg.rounding,
    windowSplit: cfg['window-split'],
    cgratesRoundingDecimals: cfg['cgrates-rounding-decimals'],
    plans,
    accounts,
    parents,
    children,
    services,
    servicesByAccount,
    serviceTypes,
    sharePlans,
    contracts,
    assignments,
    assignmentPatterns: [...patterns.entries()].map(([prefix, list]) => ({ prefix, list })).sort((a, b) => b.prefix.length - a.prefix.length),
    onNet,
    windows,
    defaultPlan: cfg['default-plan'],
    config: cfg,
  };
}

/** The top-most ancestor of an account (itself when it has no parent). */
export function rootOf(cat: CompiledCatalog, account: string): string {
  let a = account;
  for (let i = 0; i < 64; i++) {
    const p = cat.parents.get(a);
    if (!p) return a;
    a = p;
  }
  return a;
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
