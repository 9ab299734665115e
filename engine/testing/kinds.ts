/**
 * Registry of rule-test kinds: `ratestream test` reads every `*.test.yaml`, looks at its `kind:` and hands it to
 * the runner registered here. Add a kind (e.g. rating's `catalog-test`) by adding one entry to TEST_KINDS; it is
 * then also a YAML kind for `lint` and JSON Schema generation (engine/cli/kinds.ts spreads TEST_KINDS).
 */
import type { z } from 'zod';
import type { ConfigProblem, ParsedYaml } from '../config/yaml-loader.ts';
import { mediationTestKind } from './mediation-test.ts';
import { catalogTestKind } from './catalog-test.ts';

export interface TestCaseResult {
  name: string;
  ok: boolean;
  /** one line per failed expectation ("udr[2].quantity: expected 18000, got 16000") */
  failures: string[];
}

export interface TestFileResult {
  file: string;
  cases: TestCaseResult[];
  /** what the file exercised when it passed (for `ratestream test` coverage lines); free-form keys per area */
  coverage?: Record<string, string[]>;
}

export interface TestKind<S extends z.ZodType = z.ZodType> {
  /** the `kind:` of the test file, e.g. `mediation-test` */
  kind: string;
  description: string;
  /** zod schema of the whole test file (lint and the generated JSON Schema use it) */
  schema: S;
  /**
   * Run every case of one validated test file. Problems with the file itself (bad paths, rules that do not
   * compile) are thrown as ConfigError (file:line:col); failed expectations are returned as failed cases.
   */
  run(file: string, value: z.output<S>, parsed: ParsedYaml): Promise<TestFileResult>;
  /** optional lint beyond the schema (e.g. the referenced rule file exists and compiles); every problem with position */
  check?(file: string, value: z.output<S>, parsed: ParsedYaml): ConfigProblem[];
  /** optional: the full universe per coverage area (e.g. every parser type) so `test` can print "n/m covered" */
  coverageUniverse?(): Record<string, string[]>;
}

export const TEST_KINDS: readonly TestKind[] = [mediationTestKind as unknown as TestKind, catalogTestKind as unknown as TestKind];

export const TEST_KIND_REGISTRY: ReadonlyMap<string, TestKind> = new Map(TEST_KINDS.map((k) => [k.kind, k]));
