/**
 * The rating catalog (`kind: catalog`): products → plans → rates (two tiers), named destinations and time windows,
 * service types with their states and transitions, share plans, contracts, money balances, and the account hierarchy with its
 * services as reference data. Loaded once, validated with positions (file:line:col for every problem), compiled:
 * each section compiles its own part (conditions.ts, plans.ts, states.ts, share-plans.ts, contracts.ts,
 * assignments.ts, balances.ts); this file holds the top-level schema and puts the parts together.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ConfigProblem, parseYamlText, positionOf, type ParsedYaml, validate } from '../../config/yaml-loader.ts';
import { compileExpr } from '../../expr/compile.ts';
import { exprErrorMessage } from '../../mediation/expr-message.ts';
import { FUNCTION_REGISTRY } from '../../mediation/functions/index.ts';
import type { PrefixTrie } from '../prefix-trie.ts';
import type { TimeWindow, ZoneClock } from '../windows.ts';
import { balancesSchema, type CompiledBalances, compileBalances } from './balances.ts';
import { compileAssignments, type Assignment, assignmentSchema } from './assignments.ts';
import { type ChargingRun, chargingRunSchema, compileChargingRuns } from './charging-runs.ts';
import { compileContext, id, type Rounding, roundingSchema } from './common.ts';
import { compileConditions, conditionsSchema } from './conditions.ts';
import { type CompiledContract, compileContracts, contractSchema } from './contracts.ts';
import { type CompiledPlan, compilePlans, planSchema } from './plans.ts';
import { type CompiledSharePlan, compileSharePlans, sharePlanSchema } from './share-plans.ts';
import { accountSchema, compileAccounts, type CompiledServiceType, compileServiceTypes, type ServiceRef, serviceTypeSchema } from './states.ts';

export * from './assignments.ts';
export * from './balances.ts';
export * from './charging-runs.ts';
export * from './common.ts';
export * from './conditions.ts';
export * from './contracts.ts';
export * from './plans.ts';
export * from './share-plans.ts';
export * from './states.ts';

/** catalog `window-split`: the ratestream rule (increment) or CGRateS' timespans (cgrates) */
export const WINDOW_SPLITS = ['increment', 'cgrates'] as const;
export type WindowSplit = (typeof WINDOW_SPLITS)[number];

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
  ...conditionsSchema,
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
  balances: balancesSchema.default({ accounts: [], groups: [] })
    .describe('money balances: prepaid / postpaid accounts (top-ups, expiry, credit limit, allow-negative), shared balance groups, low-balance thresholds; debited by the balance-debit step'),
  'charging-runs': z.array(chargingRunSchema).default([])
    .describe('rate each UDR once per run (retail price, wholesale cost, a reseller price...); omitted = one billable run named default'),
}).strict();

export type CatalogConfig = z.output<typeof catalogSchema>;

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
  /** charging runs in file order (the first is the primary run); empty = the implicit default run */
  runs: ChargingRun[];
  /** money balances and balance groups (empty maps: the catalog has none) */
  balances: CompiledBalances;
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
  const errs: ConfigProblem[] = [];
  const c = compileContext(cfg, parsed, errs);
  const cond = compileConditions(c);
  const plans = compilePlans(c, cond);
  const serviceTypes = compileServiceTypes(c);
  const acc = compileAccounts(c, plans, serviceTypes);
  const sharePlans = compileSharePlans(c);
  const contracts = compileContracts(c, acc);
  const asg = compileAssignments(c, plans);
  const runs = compileChargingRuns(c, cond, plans);
  const balances = compileBalances(c);
  if (cfg['default-plan'] && !plans.has(cfg['default-plan'])) c.at(['default-plan'], `unknown plan ${cfg['default-plan']}`);
  for (const n of negativeAmounts(cfg)) c.at(n.path, n.message);
  if (errs.length) throw new ConfigError(errs.sort((a, b) => a.line - b.line || a.col - b.col));
  return {
    name: cfg.name,
    file: parsed.file,
    version: '',
    currency: cfg.currency,
    timezone: cfg.timezone,
    clock: cond.clock,
    rounding: cfg.rounding,
    windowSplit: cfg['window-split'],
    cgratesRoundingDecimals: cfg['cgrates-rounding-decimals'],
    plans,
    ...acc,
    serviceTypes,
    sharePlans,
    contracts,
    ...asg,
    onNet: cond.onNet,
    windows: cond.windows,
    defaultPlan: cfg['default-plan'],
    runs,
    balances,
    config: cfg,
  };
}
