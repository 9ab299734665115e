/**
 * The tax hook: jurisdiction + invoice line → tax code and rate. Built in: a table (`kind: tax-table`, e.g.
 * rules/billing/tax-rates.yaml). Pluggable: any module exporting `createTaxHook(config)` that returns a TaxHook
 * (`ratestream invoice --tax-hook ./my-hook.ts`).
 *
 * Rounding (documented in the README): tax is computed PER INVOICE LINE on the line's net amount (already rounded to
 * the invoice decimals), rate × net rounded with the invoice rounding mode (default half-up) to the invoice decimals.
 * Invoice tax = the sum of the line taxes; invoice total = net + tax. So every line is self-consistent and the GL
 * export balances to the cent.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { loadYaml } from '../config/yaml-loader.ts';
import { divRound, parseMoney, type RoundingMode, SCALE } from '../core/money.ts';

export interface TaxLineInput {
  account: string;
  jurisdiction: string;
  period: string;
  /** usage | recurring | one_time | penalty | adjustment */
  section: string;
  product: string;
  plan: string;
  usageClass: string;
  service: string;
  /** net amount of the line, scaled bigint */
  net: bigint;
}

export interface TaxDecision {
  code: string;
  /** the rate as an exact decimal, e.g. "0.21" */
  rate: string;
  label: string;
  jurisdiction: string;
}

export interface TaxHook {
  readonly name: string;
  taxFor(line: TaxLineInput): TaxDecision;
}

const rateText = z.string().regex(/^\d+(\.\d{1,10})?$/, 'a decimal rate as text, e.g. "0.21"');
const decision = z.object({ code: z.string().min(1), rate: rateText, label: z.string() }).strict();
const rule = decision.extend({
  section: z.string().optional(),
  product: z.string().optional(),
  plan: z.string().optional(),
  'usage-class': z.string().optional(),
}).strict();

export const taxTableSchema = z.object({
  kind: z.literal('tax-table'),
  name: z.string(),
  description: z.string().optional(),
  jurisdictions: z.record(z.string(), z.object({
    name: z.string().optional(),
    default: decision,
    rules: z.array(rule).default([]),
  }).strict()),
}).strict();

export type TaxTable = z.output<typeof taxTableSchema> & { file: string };

export function loadTaxTable(file: string): TaxTable {
  const { value } = loadYaml(file, taxTableSchema);
  return { ...value, file };
}

/** The built-in hook: first matching rule of the line's jurisdiction, else its default. Unknown jurisdiction = error. */
export class TableTaxHook implements TaxHook {
  readonly name: string;
  constructor(readonly table: TaxTable) {
    this.name = `table:${table.name}`;
  }

  taxFor(l: TaxLineInput): TaxDecision {
    const j = this.table.jurisdictions[l.jurisdiction];
    if (!j) throw new Error(`tax table ${this.table.name} has no jurisdiction ${l.jurisdiction} (account ${l.account})`);
    for (const r of j.rules) {
      if (r.section !== undefined && r.section !== l.section) continue;
      if (r.product !== undefined && r.product !== l.product) continue;
      if (r.plan !== undefined && r.plan !== l.plan) continue;
      if (r['usage-class'] !== undefined && r['usage-class'] !== l.usageClass) continue;
      return { code: r.code, rate: r.rate, label: r.label, jurisdiction: l.jurisdiction };
    }
    return { ...j.default, jurisdiction: l.jurisdiction };
  }
}

/** tax = net × rate, rounded with `mode` to `decimals` places (scaled bigints in and out). */
export function lineTax(net: bigint, rate: string, decimals: number, mode: RoundingMode): bigint {
  const r = parseMoney(rate);
  const scale = 10n ** BigInt(SCALE);
  const step = 10n ** BigInt(SCALE - decimals);
  return divRound(net * r, scale * step, mode) * step;
}

export interface TaxHookModule {
  createTaxHook(config: { table: TaxTable }): TaxHook | Promise<TaxHook>;
}

/** Load a pluggable tax hook from a module path (resolved against cwd). */
export async function loadTaxHookModule(path: string, table: TaxTable): Promise<TaxHook> {
  const abs = isAbsolute(path) ? path : resolve(path);
  const mod = (await import(pathToFileURL(abs).href)) as Partial<TaxHookModule>;
  if (typeof mod.createTaxHook !== 'function') throw new Error(`${path} does not export createTaxHook(config)`);
  const hook = await mod.createTaxHook({ table });
  if (!hook || typeof hook.taxFor !== 'function') throw new Error(`${path}: createTaxHook() did not return a tax hook`);
  return hook;
}
