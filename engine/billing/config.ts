/**
 * Billing configuration (`kind: billing`, e.g. rules/billing/billing.yaml): time zone and currency of the billing
 * periods, the issuer, invoice numbering and terms, tax jurisdiction per account (with the tax table), the GL account
 * mapping and event thresholds. Loaded with positions; every problem is reported as file:line:col.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { loadYaml } from '../config/yaml-loader.ts';
import { ROUNDING_MODES, type RoundingMode } from '../core/money.ts';
import { type GlMapping, loadGlMapping } from './gl-mapping.ts';
import { loadTaxTable, type TaxTable } from './tax.ts';

const intText = z.coerce.number().int();

export const billingSchema = z.object({
  kind: z.literal('billing'),
  name: z.string(),
  description: z.string().optional(),
  timezone: z.string().default('UTC').describe('time zone of the billing periods (calendar months)'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR'),
  catalog: z.string().optional().describe('rating catalog (relative path) whose account, product and plan names appear on invoices'),
  issuer: z.object({
    name: z.string(),
    address: z.array(z.string()).default([]),
    'vat-id': z.string().optional(),
    iban: z.string().optional(),
  }).strict(),
  invoice: z.object({
    'number-prefix': z.string().regex(/^[A-Z0-9-]{1,12}$/, 'upper-case letters, digits and -').default('INV'),
    'payment-terms-days': intText.pipe(z.number().min(0).max(365)).default(30),
    decimals: intText.pipe(z.number().min(0).max(4)).default(2),
    rounding: z.enum(ROUNDING_MODES as [RoundingMode, ...RoundingMode[]]).default('half-up'),
  }).strict().default({ 'number-prefix': 'INV', 'payment-terms-days': 30, decimals: 2, rounding: 'half-up' }),
  tax: z.object({
    table: z.string().describe('tax table file (kind: tax-table), relative to this file'),
    'default-jurisdiction': z.string(),
  }).strict(),
  gl: z.string().optional().describe('GL mapping file (kind: gl-mapping), relative to this file'),
  accounts: z.record(z.string(), z.object({
    jurisdiction: z.string().optional(),
    name: z.string().optional(),
    address: z.array(z.string()).default([]),
    'vat-id': z.string().optional(),
  }).strict()).default({}),
  events: z.object({
    'bucket-thresholds': z.array(intText.pipe(z.number().min(1).max(1000))).default([80, 100]),
    'expiring-within-days': intText.pipe(z.number().min(0).max(3650)).default(30),
  }).strict().default({ 'bucket-thresholds': [80, 100], 'expiring-within-days': 30 }),
}).strict();

export interface NamedAccount {
  id: string;
  name: string;
  parent?: string;
  jurisdiction: string;
  address: string[];
  vatId?: string;
}

export interface BillingConfig {
  file: string;
  name: string;
  /** the rating catalog named by `catalog:` (absolute), if any */
  catalogFile?: string;
  /** every catalog billing knows: `catalog:` first, then the other catalogs given (e.g. every pipeline's), absolute */
  catalogFiles: string[];
  timezone: string;
  currency: string;
  issuer: { name: string; address: string[]; vatId?: string; iban?: string };
  numberPrefix: string;
  paymentTermsDays: number;
  decimals: number;
  rounding: RoundingMode;
  defaultJurisdiction: string;
  taxTable: TaxTable;
  gl?: GlMapping;
  thresholds: number[];
  expiringWithinDays: number;
  /** account id → name, parent, jurisdiction */
  account(id: string): NamedAccount;
  /** is the account named in the billing settings (`accounts:`) or in one of the catalogs? */
  knowsAccount(id: string): boolean;
  productName(id: string): string;
  planName(id: string): string;
  /** a plan's rate or recurring fee as named in the catalog (its `description`), if it has one */
  rateName(plan: string, rate: string): string | undefined;
}

export const DEFAULT_BILLING_FILE = resolve(import.meta.dirname, '../../rules/billing/billing.yaml');

/**
 * Load billing settings. `catalogs` are further rating catalogs (e.g. the catalog of every pipeline) whose account,
 * product and plan names invoices use too; the billing file's own `catalog:` comes first when a name is in several.
 */
export function loadBillingConfig(file: string = DEFAULT_BILLING_FILE, catalogs: readonly string[] = []): BillingConfig {
  const abs = resolve(file);
  const { value: cfg } = loadYaml(abs, billingSchema);
  const dir = dirname(abs);
  const catalogFiles = [...new Set([...(cfg.catalog ? [resolve(dir, cfg.catalog)] : []), ...catalogs.map((c) => resolve(c))])];
  const names = mergeNames(catalogFiles.map(catalogNames));
  const taxTable = loadTaxTable(resolve(dir, cfg.tax.table));
  const gl = cfg.gl ? loadGlMapping(resolve(dir, cfg.gl)) : undefined;
  return {
    file: abs,
    name: cfg.name,
    catalogFile: cfg.catalog ? resolve(dir, cfg.catalog) : undefined,
    catalogFiles,
    timezone: cfg.timezone,
    currency: cfg.currency,
    issuer: { name: cfg.issuer.name, address: cfg.issuer.address, vatId: cfg.issuer['vat-id'], iban: cfg.issuer.iban },
    numberPrefix: cfg.invoice['number-prefix'],
    paymentTermsDays: cfg.invoice['payment-terms-days'],
    decimals: cfg.invoice.decimals,
    rounding: cfg.invoice.rounding,
    defaultJurisdiction: cfg.tax['default-jurisdiction'],
    taxTable,
    gl,
    thresholds: [...cfg.events['bucket-thresholds']].sort((a, b) => a - b),
    expiringWithinDays: cfg.events['expiring-within-days'],
    account(id: string): NamedAccount {
      const a = cfg.accounts[id];
      const c = names.accounts.get(id);
      return {
        id,
        name: a?.name ?? c?.name ?? id,
        parent: c?.parent,
        jurisdiction: a?.jurisdiction ?? cfg.tax['default-jurisdiction'],
        address: a?.address ?? [],
        vatId: a?.['vat-id'],
      };
    },
    knowsAccount: (id) => id in cfg.accounts || !!names.accounts.get(id)?.name,
    productName: (id) => names.products.get(id) ?? id,
    planName: (id) => names.plans.get(id) ?? id,
    rateName: (plan, rate) => names.rates.get(`${plan}\u001f${rate}`),
  };
}

type Names = ReturnType<typeof catalogNames>;

/** Names of several catalogs: the first catalog that names an id wins. */
function mergeNames(all: readonly Names[]): Names {
  const out: Names = { accounts: new Map(), products: new Map(), plans: new Map(), rates: new Map() };
  for (const n of all) {
    for (const [k, v] of n.accounts) if (!out.accounts.has(k)) out.accounts.set(k, v);
    for (const [k, v] of n.products) if (!out.products.has(k)) out.products.set(k, v);
    for (const [k, v] of n.plans) if (!out.plans.has(k)) out.plans.set(k, v);
    for (const [k, v] of n.rates) if (!out.rates.has(k)) out.rates.set(k, v);
  }
  return out;
}

/**
 * Names from a rating catalog, read leniently (only ids and names): invoices need them, and this keeps the billing
 * layer independent of the catalog's pricing schema as it evolves.
 */
function catalogNames(file: string): { accounts: Map<string, { name?: string; parent?: string }>; products: Map<string, string>; plans: Map<string, string>; rates: Map<string, string> } {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, any>;
  const accounts = new Map<string, { name?: string; parent?: string }>();
  const products = new Map<string, string>();
  const plans = new Map<string, string>();
  const rates = new Map<string, string>();
  for (const a of (doc?.accounts ?? []) as any[]) if (a?.id) accounts.set(String(a.id), { name: a.name, parent: a.parent });
  for (const p of (doc?.products ?? []) as any[]) {
    if (p?.id) products.set(String(p.id), String(p.name ?? p.id));
    for (const pl of (p?.plans ?? []) as any[]) {
      if (!pl?.id) continue;
      plans.set(String(pl.id), String(pl.name ?? pl.id));
      for (const r of [...(pl.rates ?? []), ...(pl.recurring ?? [])] as any[]) if (r?.id && r.description) rates.set(`${pl.id}\u001f${r.id}`, String(r.description));
    }
  }
  return { accounts, products, plans, rates };
}
