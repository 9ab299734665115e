/** `ratestream lint <paths...>`: every problem of every YAML file as file:line:col: message; exit 1 if any. */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { foreignYaml } from '../../config/yaml-kind.ts';
import { checkFile } from '../kinds.ts';
import { formatProblem, type ConfigProblem } from '../../config/yaml-loader.ts';

/** YAML files under the paths (folders recursively; hidden folders and node_modules skipped), sorted */
export function yamlFiles(paths: readonly string[], suffix = /\.ya?ml$/): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) {
        if (f.startsWith('.') || f === 'node_modules') continue;
        walk(join(p, f), false);
      }
    } else if (top || suffix.test(p)) out.push(p);
  };
  for (const p of paths) walk(p, true);
  return out;
}

/** every problem of every file; files that are plainly not ours (Docker Compose, Kubernetes) are skipped with a note */
export function lintPaths(paths: readonly string[]): { files: number; problems: ConfigProblem[]; skipped: string[] } {
  const files = yamlFiles(paths);
  const problems: ConfigProblem[] = [];
  const skipped: string[] = [];
  for (const f of files) {
    const rel = relative(process.cwd(), f);
    const foreign = foreignYaml(f);
    if (foreign) {
      skipped.push(`${rel}: skipped, ${foreign} (not a ratestream kind)`);
      continue;
    }
    for (const p of checkFile(f)) problems.push({ ...p, file: relative(process.cwd(), p.file) || rel });
  }
  return { files: files.length - skipped.length, problems, skipped };
}

export function register(program: Command): void {
  program
    .command('lint')
    .description('check rule, pipeline, catalog, test and serve YAML files; report every problem as file:line:col: message')
    .argument('[paths...]', 'files or folders (default: rules pipelines)')
    .action((paths: string[]) => {
      const { files, problems, skipped } = lintPaths(paths.length ? paths : ['rules', 'pipelines']);
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      for (const s of skipped) process.stderr.write(`${s}\n`);
      process.stderr.write(`${files} file(s) checked, ${problems.length} problem(s)${skipped.length ? `, ${skipped.length} skipped` : ''}\n`);
      if (problems.length) process.exitCode = 1;
    });
}
