/**
 * Explicit registry of YAML kinds (`kind:` at the top of every rule/pipeline/catalog file). `lint`, JSON Schema
 * generation and `ratestream list` are driven from here: add a kind by adding one entry.
 */
import type { z } from 'zod';
import { ConfigError, type ConfigProblem, partialValue, type ParsedYaml, readYamlFile, validate } from './yaml-loader.ts';
import { pipelineSchema } from '../pipeline/schema.ts';
import { mediationSchema } from '../mediation/schema.ts';
import { compileMediationFile, lintMediationExpressions } from '../mediation/compiler.ts';
import { catalogSchema, lintCatalogLeniently, loadCatalogFile } from '../rating/catalog.ts';
import { scenarioSchema as ratingScenarioSchema } from '../rating/scenario.ts';
import { loadPipeline } from '../pipeline/load.ts';
import { usageClassLibrarySchema } from '../mediation/schema.ts';
import { TEST_KINDS, type TestKind } from '../testing/kinds.ts';
import { billingSchema, loadBillingConfig } from '../billing/config.ts';
import { loadTaxTable, taxTableSchema } from '../billing/tax.ts';
import { glMappingSchema, loadGlMapping } from '../billing/gl-mapping.ts';
import { loadServeConfig, serveSchema } from '../runtime/streaming/config.ts';

/** a rule-test kind (engine/testing/kinds.ts) as a YAML kind: schema + its optional extra check */
function testKind(t: TestKind): YamlKind {
  return {
    kind: t.kind,
    description: t.description,
    schema: t.schema,
    check: (file) => {
      if (!t.check) return [];
      const parsed = readYamlFile(file);
      const { value } = validate(parsed, t.schema);
      return value === undefined ? [] : t.check(file, value, parsed);
    },
  };
}

export interface YamlKind {
  kind: string;
  description: string;
  schema: z.ZodType;
  /** full check (schema + compile: expressions, references, tables); returns every problem */
  check(file: string): ConfigProblem[];
  /** what can still be checked when the schema check failed (e.g. expressions): so one mistake hides no other */
  lenient?(parsed: ParsedYaml): ConfigProblem[];
}

function compiled(f: (file: string) => unknown): (file: string) => ConfigProblem[] {
  return (file) => {
    try {
      f(file);
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      return [{ file, line: 1, col: 1, message: (e as Error).message }];
    }
  };
}

export const KINDS: readonly YamlKind[] = [
  { kind: 'pipeline', description: 'a runnable pipeline: feed, mediation rules, catalog', schema: pipelineSchema, check: compiled(loadPipeline) },
  { kind: 'mediation', description: 'mediation rules: parser, filters, usage classes, mappings', schema: mediationSchema, check: compiled(compileMediationFile), lenient: lintMediationExpressions },
  { kind: 'catalog', description: 'rating catalog: products, plans, rates, accounts', schema: catalogSchema, check: compiled(loadCatalogFile), lenient: lintCatalogLeniently },
  { kind: 'usage-classes', description: 'a library of named usage-class rules that mediation files `use:`', schema: usageClassLibrarySchema, check: () => [] },
  { kind: 'billing', description: 'billing settings: invoice numbering and terms, issuer, tax jurisdictions, GL mapping, event thresholds', schema: billingSchema, check: compiled(loadBillingConfig) },
  { kind: 'tax-table', description: 'tax rates by jurisdiction and invoice line item', schema: taxTableSchema, check: compiled(loadTaxTable) },
  { kind: 'gl-mapping', description: 'general-ledger account mapping for journal exports', schema: glMappingSchema, check: compiled(loadGlMapping) },
  { kind: 'serve', description: 'ratestream serve: Kafka, schema registry, ClickHouse, roles, pipelines, ingest, drop directories', schema: serveSchema, check: compiled(loadServeConfig) },
  { kind: 'rating-scenario', description: 'rating scenario with golden output: catalog + events, UDRs, recurring, contracts', schema: ratingScenarioSchema, check: () => [] },
  ...TEST_KINDS.map(testKind),
];

export const KIND_REGISTRY: ReadonlyMap<string, YamlKind> = new Map(KINDS.map((k) => [k.kind, k]));

/**
 * Read `kind:` of a YAML file and run that kind's checks, reporting every problem in one pass: YAML syntax errors,
 * then the schema problems of the part that parsed (before the first syntax error, where they are not echoes of
 * it), then the compile checks (expressions, references) — the full compile when the schema holds, else the
 * kind's lenient checks.
 */
export function checkFile(file: string): ConfigProblem[] {
  const parsed = readYamlFile(file);
  const broken = parsed.value === undefined;
  const value = partialValue(parsed);
  if (value === undefined) return parsed.problems;
  const view: ParsedYaml = broken ? { ...parsed, value, problems: [] } : parsed;
  const firstError = broken ? Math.min(...parsed.problems.map((p) => p.line)) : Infinity;
  const v = value as Record<string, unknown> | null;
  const kind = v && typeof v === 'object' ? v.kind : undefined;
  const k = typeof kind === 'string' ? KIND_REGISTRY.get(kind) : undefined;
  if (!k) {
    return [...(broken ? parsed.problems : []), { file, line: 1, col: 1, message: `unknown or missing "kind" (one of: ${KINDS.map((x) => x.kind).join(', ')})` }];
  }
  const base = validate(view, k.schema).problems
    .filter((p) => !broken || (p.line < firstError && !/missing "/.test(p.message)));
  let more: ConfigProblem[] = [];
  if (!broken && !base.length) more = k.check(file);
  else if (k.lenient) more = k.lenient(view).filter((p) => p.line < firstError);
  const all = [...(broken ? parsed.problems : []), ...base, ...more];
  const seen = new Set<string>();
  return all
    .filter((p) => { const key = `${p.file}:${p.line}:${p.col}:${p.message}`; if (seen.has(key)) return false; seen.add(key); return true; })
    .sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : 0));
}
