/**
 * GL account mapping (`kind: gl-mapping`, e.g. rules/billing/gl-mapping.yaml): receivables, tax accounts by tax
 * code, revenue accounts by invoice line (section, product, plan, usage class); first matching rule wins.
 */
import { z } from 'zod';
import { loadYaml } from '../config/yaml-loader.ts';

const account = z.object({ account: z.string().min(1), name: z.string().default('') }).strict();

export const glMappingSchema = z.object({
  kind: z.literal('gl-mapping'),
  name: z.string(),
  description: z.string().optional(),
  receivable: account,
  tax: z.array(account.extend({ code: z.string().default('*') }).strict()).min(1),
  revenue: z.array(account.extend({
    section: z.string().optional(),
    product: z.string().optional(),
    plan: z.string().optional(),
    'usage-class': z.string().optional(),
  }).strict()).min(1),
}).strict();

export type GlMappingConfig = z.output<typeof glMappingSchema>;

export interface GlAccount {
  account: string;
  name: string;
}

export interface GlMapping {
  name: string;
  file: string;
  receivable: GlAccount;
  taxAccount(code: string): GlAccount;
  revenueAccount(line: { section: string; product: string; plan: string; usageClass: string }): GlAccount;
}

export function compileGlMapping(cfg: GlMappingConfig, file = '(inline)'): GlMapping {
  return {
    name: cfg.name,
    file,
    receivable: { account: cfg.receivable.account, name: cfg.receivable.name },
    taxAccount(code) {
      const t = cfg.tax.find((x) => x.code === code) ?? cfg.tax.find((x) => x.code === '*');
      if (!t) throw new Error(`GL mapping ${cfg.name}: no tax account for tax code ${code} (add one, or code "*")`);
      return { account: t.account, name: t.name };
    },
    revenueAccount(l) {
      const r = cfg.revenue.find((x) => (x.section === undefined || x.section === l.section) && (x.product === undefined || x.product === l.product)
        && (x.plan === undefined || x.plan === l.plan) && (x['usage-class'] === undefined || x['usage-class'] === l.usageClass));
      if (!r) throw new Error(`GL mapping ${cfg.name}: no revenue account for ${l.section} ${l.product}/${l.usageClass} (add a catch-all rule)`);
      return { account: r.account, name: r.name };
    },
  };
}

export function loadGlMapping(file: string): GlMapping {
  const { value } = loadYaml(file, glMappingSchema);
  return compileGlMapping(value, file);
}
