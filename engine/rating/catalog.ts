/**
 * The rating catalog (`kind: catalog`): products → plans → rates, plus the account/service reference data.
 * Loaded once, validated with positions, compiled (conditions → functions, prices → scaled bigints).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ConfigProblem, positionOf, readYamlFile, validate } from '../config/yaml-loader.ts';
import { parseMoney, ROUNDING_MODES, type RoundingMode } from '../core/money.ts';
import { compileExpr, type CompiledExpr } from '../mediation/expr/compile.ts';
import { FUNCTION_REGISTRY } from '../mediation/functions/index.ts';
import type { Increments } from './increments.ts';
import { parseQuantity } from './units.ts';

const money = z.string().regex(/^-?\d+(\.\d{1,10})?$/, 'a decimal amount as text, e.g. "0.05" (at most 10 decimals)');
const id = z.string().min(1).regex(/^[A-Za-z0-9][A-Za-z0-9._:@+-]*$/, 'letters, digits and . _ : @ + -');

const rateSchema = z.object({
  id,
  'usage-class': z.string().describe('the UDR usageClass this rate prices'),
  unit: z.string().default('ms').describe('the UDR base unit: ms, byte, event, or a custom unit'),
  when: z.string().optional().describe('condition on the UDR (expression), e.g. "destination ~ \'^\\\\+31\'"'),
  model: z.literal('per-unit').default('per-unit'),
  price: money.describe('price per `per` of usage'),
  per: z.string().default('1').describe('rate unit: "60s", "1MB", "1" (event)'),
  increments: z.string().regex(/^\d+[A-Za-z]*\/\d+[A-Za-z]*$/, 'first/subsequent, e.g. 60s/60s, 30s/6s, 1/1').default('1/1'),
  'connect-fee': money.default('0'),
  rounding: z.object({ mode: z.enum(ROUNDING_MODES as [RoundingMode, ...RoundingMode[]]).default('half-up'), decimals: z.coerce.number().int().min(0).max(10).default(4) }).strict().default({ mode: 'half-up', decimals: 4 }),
}).strict();

const serviceSchema = z.object({ id, type: z.string().default('default'), plan: id }).strict();
const accountSchema = z.object({
  id,
  name: z.string().optional(),
  parent: id.optional(),
  plan: id.optional().describe('plan for usage not tied to a service'),
  services: z.array(serviceSchema).default([]),
}).strict();

export const catalogSchema = z.object({
  kind: z.literal('catalog'),
  name: z.string(),
  description: z.string().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR'),
  timezone: z.string().default('UTC'),
  'default-plan': id.optional().describe('plan for accounts without one; omitted = unknown accounts are rejected'),
  products: z.array(z.object({
    id,
    name: z.string().optional(),
    plans: z.array(z.object({ id, name: z.string().optional(), rates: z.array(rateSchema).min(1) }).strict()).min(1),
  }).strict()).min(1),
  accounts: z.array(accountSchema).default([]),
}).strict();

export type CatalogConfig = z.output<typeof catalogSchema>;

export interface CompiledRate {
  id: string;
  usageClass: string;
  unit: string;
  when?: CompiledExpr;
  whenText?: string;
  price: bigint;
  per: number;
  increments: Increments;
  connectFee: bigint;
  rounding: { mode: RoundingMode; decimals: number };
}

export interface CompiledPlan {
  id: string;
  product: string;
  /** rates by usage class, in file order */
  rates: Map<string, CompiledRate[]>;
}

export interface CompiledCatalog {
  name: string;
  file: string;
  version: string;
  currency: string;
  timezone: string;
  plans: Map<string, CompiledPlan>;
  accounts: Map<string, CatalogConfig['accounts'][number]>;
  services: Map<string, { account: string; type: string; plan: string }>;
  defaultPlan?: string;
}

export function loadCatalogFile(file: string): CompiledCatalog {
  const parsed = readYamlFile(file);
  const { value: cfg, problems } = validate(parsed, catalogSchema);
  if (!cfg) throw new ConfigError(problems);
  const errs: ConfigProblem[] = [];
  const at = (path: (string | number)[], message: string) => errs.push({ file, ...positionOf(parsed, path), message });
  const plans = new Map<string, CompiledPlan>();
  cfg.products.forEach((p, pi) => p.plans.forEach((pl, li) => {
    if (plans.has(pl.id)) at(['products', pi, 'plans', li, 'id'], `duplicate plan id ${pl.id}`);
    const rates = new Map<string, CompiledRate[]>();
    pl.rates.forEach((r, ri) => {
      const path = ['products', pi, 'plans', li, 'rates', ri];
      try {
        const [a, b] = r.increments.split('/');
        const rate: CompiledRate = {
          id: r.id,
          usageClass: r['usage-class'],
          unit: r.unit,
          whenText: r.when,
          when: r.when ? compileExpr(r.when, { ordinal: false, functions: FUNCTION_REGISTRY, tables: new Map() }) : undefined,
          price: parseMoney(r.price),
          per: parseQuantity(r.per, r.unit),
          increments: { first: parseQuantity(a!, r.unit), next: parseQuantity(b!, r.unit) },
          connectFee: parseMoney(r['connect-fee']),
          rounding: r.rounding,
        };
        if (rate.per <= 0 || rate.increments.next <= 0) throw new Error('per and increments must be positive');
        const list = rates.get(rate.usageClass) ?? [];
        list.push(rate);
        rates.set(rate.usageClass, list);
      } catch (e) {
        at(path, (e as Error).message);
      }
    });
    plans.set(pl.id, { id: pl.id, product: p.id, rates });
  }));
  const accounts = new Map<string, CatalogConfig['accounts'][number]>();
  const services = new Map<string, { account: string; type: string; plan: string }>();
  cfg.accounts.forEach((a, ai) => {
    accounts.set(a.id, a);
    if (a.plan && !plans.has(a.plan)) at(['accounts', ai, 'plan'], `unknown plan ${a.plan}`);
    a.services.forEach((s, si) => {
      if (!plans.has(s.plan)) at(['accounts', ai, 'services', si, 'plan'], `unknown plan ${s.plan}`);
      services.set(s.id, { account: a.id, type: s.type, plan: s.plan });
    });
  });
  if (cfg['default-plan'] && !plans.has(cfg['default-plan'])) at(['default-plan'], `unknown plan ${cfg['default-plan']}`);
  if (errs.length) throw new ConfigError(errs);
  return {
    name: cfg.name,
    file,
    version: createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12),
    currency: cfg.currency,
    timezone: cfg.timezone,
    plans,
    accounts,
    services,
    defaultPlan: cfg['default-plan'],
  };
}
