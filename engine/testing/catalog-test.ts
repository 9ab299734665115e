/**
 * `kind: catalog-test`: tests beside a catalog, like the mediation rule tests. Each case rates UDRs (after optional
 * service events) with a fresh Rater and compares the charges (partial match: rate, amount, account, quantity,
 * matched fragment) and rejects (reason, message fragment). Exposed as a TestKind for engine/testing/kinds.ts and as
 * runCatalogTests(file) for direct use.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { didYouMean } from '../config/suggest.ts';
import { ConfigError, type ConfigProblem, loadYaml, type ParsedYaml, positionOf } from '../config/yaml-loader.ts';
import { UDR_FIELDS } from '../mediation/schema.ts';
import { formatMoney, parseMoney } from '../core/money.ts';
import { REJECT_REASONS } from '../core/types.ts';
import type { TestCaseResult, TestFileResult, TestKind } from './kinds.ts';
import { toUdr } from '../rating/udr-input.ts';
import { loadCatalogFile } from '../rating/catalog.ts';
import { PRICE_MODELS } from '../rating/price/index.ts';
import { Rater } from '../rating/rater.ts';

const obj = z.record(z.string(), z.unknown());
export const catalogTestSchema = z.object({
  kind: z.literal('catalog-test'),
  catalog: z.string().describe('the catalog under test, relative to this file'),
  cases: z.array(z.object({
    name: z.string(),
    events: z.array(obj).optional(),
    udrs: z.array(obj).min(1),
    expect: z.object({
      charges: z.array(z.object({
        rate: z.string().optional(), amount: z.string().optional(), account: z.string().optional(), quantity: z.coerce.number().optional(),
        matched: z.string().optional().describe('a fragment of Charge.matched'),
      }).strict()).optional().describe('the charges in order (partial match)'),
      rejects: z.array(z.object({ reason: z.enum(REJECT_REASONS), message: z.string().optional() }).strict()).optional(),
    }).strict(),
  }).strict()).min(1),
}).strict();

export type CatalogTest = z.output<typeof catalogTestSchema>;

function num(o: Record<string, unknown>): Record<string, unknown> {
  const out = { ...o };
  if (typeof out.quantity === 'string') out.quantity = Number(out.quantity);
  return out;
}

export async function runCatalogTest(file: string, value: CatalogTest): Promise<TestFileResult> {
  const catalog = loadCatalogFile(resolve(dirname(file), value.catalog));
  const cases: TestCaseResult[] = [];
  const models = new Set<string>();
  for (const c of value.cases) {
    const failures: string[] = [];
    const rater = new Rater(catalog);
    if (c.events) rater.applyServiceEvents(c.events.map((e) => ({ ...e, at: String(e.at) }) as never));
    const res = rater.rate(c.udrs.map((u, i) => toUdr(num(u), i + 1)));
    for (const ch of res.charges) {
      const plan = catalog.plans.get(ch.plan);
      const rate = plan?.rates.get(ch.usageClass)?.find((r) => r.id === ch.rateId);
      if (rate) models.add(rate.model.model);
    }
    c.expect.charges?.forEach((e, i) => {
      const a = res.charges[i];
      if (!a) return void failures.push(`charge[${i}]: missing (got ${res.charges.length})`);
      if (e.rate !== undefined && a.rateId !== e.rate) failures.push(`charge[${i}].rate: expected ${e.rate}, got ${a.rateId}`);
      if (e.amount !== undefined && a.amount !== parseMoney(e.amount)) failures.push(`charge[${i}].amount: expected ${e.amount}, got ${formatMoney(a.amount)}`);
      if (e.account !== undefined && a.account !== e.account) failures.push(`charge[${i}].account: expected ${e.account}, got ${a.account}`);
      if (e.quantity !== undefined && a.quantity !== e.quantity) failures.push(`charge[${i}].quantity: expected ${e.quantity}, got ${a.quantity}`);
      if (e.matched !== undefined && !a.matched.includes(e.matched)) failures.push(`charge[${i}].matched: expected to contain ${JSON.stringify(e.matched)}, got ${JSON.stringify(a.matched)}`);
    });
    if (c.expect.charges && res.charges.length !== c.expect.charges.length) failures.push(`charges: expected ${c.expect.charges.length}, got ${res.charges.length}`);
    const rej = c.expect.rejects ?? [];
    if (res.rejects.length !== rej.length) failures.push(`rejects: expected ${rej.length}, got ${res.rejects.length}${res.rejects.length ? ` (${res.rejects.map((r) => `${r.reason}: ${r.message}`).join('; ')})` : ''}`);
    rej.forEach((e, i) => {
      const a = res.rejects[i];
      if (!a) return;
      if (a.reason !== e.reason) failures.push(`reject[${i}].reason: expected ${e.reason}, got ${a.reason}`);
      if (e.message && !a.message.includes(e.message)) failures.push(`reject[${i}].message: expected to contain ${JSON.stringify(e.message)}, got ${JSON.stringify(a.message)}`);
    });
    cases.push({ name: `${c.name} (${file})`, ok: failures.length === 0, failures });
  }
  return { file, cases, coverage: { 'price models': [...models] } };
}

/** the shorthands toUdr (cli/commands/rate.ts) accepts besides the UDR fields */
const UDR_SHORTHANDS = ['start', 'class', 'usage'];

/** input UDRs naming a field a UDR does not have (it would be dropped silently and the case test something else) */
function udrFieldProblems(file: string, t: CatalogTest, parsed: ParsedYaml): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  t.cases.forEach((c, ci) => c.udrs.forEach((u, ui) => {
    for (const k of Object.keys(u)) {
      if ((UDR_FIELDS as readonly string[]).includes(k) || UDR_SHORTHANDS.includes(k)) continue;
      const h = didYouMean(k, [...UDR_FIELDS, ...UDR_SHORTHANDS]);
      out.push({ file, ...positionOf(parsed, ['cases', ci, 'udrs', ui, k]), message: `${k} is not a UDR field${h ? ` (${h})` : ''} (attrs go under attrs: { … })` });
    }
  }));
  return out;
}

/** Self-contained entry point: validate and run one catalog test file. */
export async function runCatalogTests(file: string): Promise<TestFileResult> {
  const { value } = loadYaml(file, catalogTestSchema);
  return runCatalogTest(file, value);
}

export const catalogTestKind: TestKind<typeof catalogTestSchema> = {
  kind: 'catalog-test',
  description: 'tests beside a rating catalog: UDRs (and service events) → expected charges and rejects',
  schema: catalogTestSchema,
  run: (file: string, value: CatalogTest, parsed: ParsedYaml) => {
    const wrong = udrFieldProblems(file, value, parsed);
    if (wrong.length) throw new ConfigError(wrong);
    return runCatalogTest(file, value);
  },
  check(file, value, parsed) {
    const problems = udrFieldProblems(file, value, parsed);
    try {
      loadCatalogFile(resolve(dirname(file), value.catalog));
    } catch (e) {
      const first = e instanceof ConfigError ? e.problems[0] : undefined;
      problems.push({ file, ...positionOf(parsed, ['catalog']), message: `catalog ${value.catalog} does not load: ${first ? `${first.file}:${first.line}:${first.col}: ${first.message}` : (e as Error).message}` });
    }
    return problems;
  },
  coverageUniverse: () => ({ 'price models': PRICE_MODELS.map((m) => m.model) }),
};
