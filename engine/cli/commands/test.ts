/**
 * `ratestream test [path]`: run every `*.test.yaml` under the path through the runner of its `kind`
 * (engine/testing/kinds.ts); print failures with positions, a coverage line per area, exit 1 on any failure.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, formatProblem, readYamlFile, validate } from '../../config/yaml-loader.ts';
import { TEST_KIND_REGISTRY, TEST_KINDS } from '../../testing/kinds.ts';
import { yamlFiles } from './lint.ts';

export interface TestRunSummary {
  files: number;
  cases: number;
  /** failed cases + test files that could not run */
  failed: number;
  failedCases: number;
  coverage: Record<string, { covered: string[]; missing: string[] }>;
  lines: string[];
}

export async function runTests(paths: readonly string[]): Promise<TestRunSummary> {
  const files = yamlFiles(paths, /\.test\.ya?ml$/).filter((f) => /\.test\.ya?ml$/.test(f));
  const lines: string[] = [];
  let cases = 0, failed = 0, failedCases = 0;
  const covered = new Map<string, Set<string>>();
  const universe = new Map<string, Set<string>>();
  for (const k of TEST_KINDS) for (const [area, all] of Object.entries(k.coverageUniverse?.() ?? {})) {
    const u = universe.get(area) ?? new Set<string>();
    all.forEach((x) => u.add(x));
    universe.set(area, u);
  }
  for (const file of files) {
    const rel = relative(process.cwd(), file);
    const parsed = readYamlFile(file);
    const v = parsed.value as Record<string, unknown> | undefined;
    const kind = v && typeof v === 'object' ? v.kind : undefined;
    const k = typeof kind === 'string' ? TEST_KIND_REGISTRY.get(kind) : undefined;
    if (!k) {
      lines.push(`${rel}:1:1: unknown test kind ${JSON.stringify(kind)} (one of: ${TEST_KINDS.map((x) => x.kind).join(', ')})`);
      failed++;
      continue;
    }
    const { value, problems } = validate(parsed, k.schema);
    if (!value) {
      for (const p of problems) lines.push(formatProblem({ ...p, file: rel }));
      failed++;
      continue;
    }
    try {
      const res = await k.run(file, value, parsed);
      for (const c of res.cases) {
        cases++;
        if (c.ok) continue;
        failed++;
        failedCases++;
        lines.push(`FAIL ${c.name}`);
        for (const f of c.failures) lines.push(`    ${f}`);
      }
      for (const [area, names] of Object.entries(res.coverage ?? {})) {
        const s = covered.get(area) ?? new Set<string>();
        names.forEach((n) => s.add(n));
        covered.set(area, s);
      }
    } catch (e) {
      failed++;
      if (e instanceof ConfigError) for (const p of e.problems) lines.push(formatProblem({ ...p, file: relative(process.cwd(), p.file) }));
      else lines.push(`${rel}: ${(e as Error).message}`);
    }
  }
  const coverage: TestRunSummary['coverage'] = {};
  for (const [area, all] of universe) {
    const c = covered.get(area) ?? new Set<string>();
    coverage[area] = { covered: [...all].filter((x) => c.has(x)), missing: [...all].filter((x) => !c.has(x)) };
  }
  return { files: files.length, cases, failed, failedCases, coverage, lines };
}

export function register(program: Command): void {
  program
    .command('test')
    .description('run the *.test.yaml rule tests under a path (default rules/)')
    .argument('[paths...]', 'files or folders (default: rules)')
    .option('--require-coverage', 'fail unless every parser and every function is exercised by a passing test')
    .action(async (paths: string[], flags: { requireCoverage?: boolean }) => {
      const s = await runTests(paths.length ? paths : ['rules']);
      for (const l of s.lines) process.stdout.write(`${l}\n`);
      let incomplete = false;
      for (const [area, c] of Object.entries(s.coverage)) {
        const n = c.covered.length + c.missing.length;
        if (c.missing.length) incomplete = true;
        process.stdout.write(`coverage ${area}: ${c.covered.length}/${n}${c.missing.length ? ` (not covered: ${c.missing.join(', ')})` : ''}\n`);
      }
      process.stdout.write(`${s.files} test file(s), ${s.cases} case(s): ${s.cases - s.failedCases} passed, ${s.failed} failed\n`);
      if (s.failed || s.files === 0 || (flags.requireCoverage && incomplete)) process.exitCode = 1;
    });
}
