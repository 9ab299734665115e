/**
 * Explicit registry of YAML kinds (`kind:` at the top of every rule/pipeline/catalog/serve file). `lint`, JSON Schema
 * generation and `ratestream list` are driven from here: add a kind by adding one entry. It lists kinds of every
 * layer (mediation … runtime), so it sits at the top, beside the commands that use it; what a kind is and how a file
 * is checked is engine/config/yaml-kind.ts.
 */
import { type ConfigProblem, readYamlFile, validate } from '../config/yaml-loader.ts';
import { checkKindFile, compiled, type YamlKind } from '../config/yaml-kind.ts';
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
import { serveSchema } from '../runtime/streaming/config.ts';
import { checkServeFile } from './serve-check.ts';

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

export const KINDS: readonly YamlKind[] = [
  { kind: 'pipeline', description: 'a runnable pipeline: feed, mediation rules, catalog', schema: pipelineSchema, check: compiled(loadPipeline) },
  { kind: 'mediation', description: 'mediation rules: parser, filters, usage classes, mappings', schema: mediationSchema, check: compiled(compileMediationFile), lenient: lintMediationExpressions },
  { kind: 'catalog', description: 'rating catalog: products, plans, rates, accounts', schema: catalogSchema, check: compiled(loadCatalogFile), lenient: lintCatalogLeniently },
  { kind: 'usage-classes', description: 'a library of named usage-class rules that mediation files `use:`', schema: usageClassLibrarySchema, check: () => [] },
  { kind: 'billing', description: 'billing settings: invoice numbering and terms, issuer, tax jurisdictions, GL mapping, event thresholds', schema: billingSchema, check: compiled(loadBillingConfig) },
  { kind: 'tax-table', description: 'tax rates by jurisdiction and invoice line item', schema: taxTableSchema, check: compiled(loadTaxTable) },
  { kind: 'gl-mapping', description: 'general-ledger account mapping for journal exports', schema: glMappingSchema, check: compiled(loadGlMapping) },
  { kind: 'rating-scenario', description: 'rating scenario with golden output: catalog + events, UDRs, recurring, contracts', schema: ratingScenarioSchema, check: () => [] },
  { kind: 'serve', description: 'a streaming deployment (`ratestream serve --config`): pipelines, roles, Kafka, registry, ClickHouse, HTTP ingest, drop directories', schema: serveSchema, check: checkServeFile },
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
  return checkKindFile(KINDS, file);
}
