/**
 * Before/after, interleaved on the same machine state: runs one bench command alternately in two trees of this
 * repository and compares the figures of their JSON lines.
 *
 *   npx tsx bench/interleave.ts --base REV [--head REV] [--pairs 3] [--fields a,b.c] [--out FILE] -- COMMAND ARGS…
 *
 * e.g. `npx tsx bench/interleave.ts --base main~1 --pairs 4 -- npx tsx bench/embedded.ts --feeds /tmp/feeds`.
 *
 * - `--base REV` (and `--head REV`; default: this working tree as it is) is checked out in a temporary git worktree that
 *   shares this tree's node_modules; each tree's dist/ is built first (serve's bench runs `ratestream` from dist).
 * - The command runs in each tree's folder (its bench files and its engine), base and head alternating A B B A …
 *   (the machine's state drifts: each tree runs first half the time). Its last stdout line starting with `{` is the
 *   run's result; stderr passes through.
 * - Prints, per field, the medians of each tree and head against base, and the median of the per-pair ratios (a pair
 *   shares the machine's state, so it is the steadier figure). Fields are dotted paths into the JSON; an array counts
 *   as its sum (serve's CPU per process) or, for `peakRssMiB`, its largest entry. Default: the throughput figures both
 *   benches print.
 * - `--out FILE`: every run's JSON line with its tree (`{"tree":"base",…}`) appended to FILE.
 * - A run that fails stops the whole comparison. The worktrees are removed at the end, also after a failure or Ctrl-C.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pct } from './targets.ts';

const ROOT = resolve(import.meta.dirname, '..');
export const DEFAULT_FIELDS = ['recordsPerSecond', 'serveCpuSecondsPerMillion', 'cpuSecondsPerMillion', 'peakRssMiB', 'wallSeconds'];

/** a field of a result: a number, an array's sum (its largest entry for peak figures), or undefined */
export function fieldOf(result: unknown, path: string): number | undefined {
  let v: unknown = result;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'number')) {
    return /^peak/.test(path.split('.').pop()!) ? Math.max(...v) : v.reduce((a, b) => a + b, 0);
  }
  return undefined;
}

export interface FieldSummary {
  field: string;
  base: number[];
  head: number[];
  /** median(head) / median(base) − 1 */
  change: number;
  /** median over pairs of head / base − 1 */
  pairedChange: number;
}

/** per field present in every run: the runs of each tree in order, and head against base */
export function summarize(runs: readonly { tree: 'base' | 'head'; result: unknown }[], fields: readonly string[]): FieldSummary[] {
  const out: FieldSummary[] = [];
  for (const field of fields) {
    const values = runs.map((r) => fieldOf(r.result, field));
    if (values.some((v) => v === undefined)) continue;
    const base = runs.flatMap((r, i) => (r.tree === 'base' ? [values[i]!] : []));
    const head = runs.flatMap((r, i) => (r.tree === 'head' ? [values[i]!] : []));
    const pairs = Math.min(base.length, head.length);
    if (!pairs) continue;
    out.push({
      field, base, head, change: median(head) / median(base) - 1,
      pairedChange: median(Array.from({ length: pairs }, (_, i) => head[i]! / base[i]! - 1)),
    });
  }
  return out;
}

/** the tree order of `pairs` pairs: A B, B A, A B, … */
export function order(pairs: number): ('base' | 'head')[] {
  return Array.from({ length: pairs }, (_, i) => (i % 2 ? ['head', 'base'] as const : ['base', 'head'] as const)).flat();
}

export function report(s: readonly FieldSummary[]): string {
  return s.map((f) => `${f.field}: base ${f.base.join(' ')} (median ${+median(f.base).toFixed(2)}) → head ${f.head.join(' ')} (median ${+median(f.head).toFixed(2)}); ` +
    `${pct(f.change)}, paired ${pct(f.pairedChange)}`).join('\n');
}

function main(argv: string[]): void {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  const opt = (name: string) => {
    const i = own.indexOf(`--${name}`);
    return i >= 0 ? own[i + 1] : undefined;
  };
  const baseRev = opt('base');
  if (!baseRev || !command.length) {
    console.error('usage: npx tsx bench/interleave.ts --base REV [--head REV] [--pairs 3] [--fields a,b.c] [--out FILE] -- COMMAND ARGS…');
    process.exit(2);
  }
  const pairs = Number(opt('pairs') ?? 3);
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs: a whole number ≥ 1, not ${opt('pairs')}`);
  const fields = opt('fields')?.split(',').filter(Boolean) ?? DEFAULT_FIELDS;
  const out = opt('out');
  const headRev = opt('head');

  const made: string[] = [];
  const cleanup = () => {
    for (const dir of made.splice(0)) {
      try { execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' }); } catch { /* removed below */ }
      rmSync(dir, { recursive: true, force: true });
    }
    try { execFileSync('git', ['-C', ROOT, 'worktree', 'prune'], { stdio: 'ignore' }); } catch { /* nothing to prune */ }
  };
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  process.on('SIGTERM', () => { cleanup(); process.exit(143); });
  try {
    const checkout = (rev: string, label: string) => {
      const sha = execFileSync('git', ['-C', ROOT, 'rev-parse', '--verify', `${rev}^{commit}`], { encoding: 'utf8' }).trim();
      const dir = mkdtempSync(join(tmpdir(), `rs-interleave-${label}-`));
      made.push(dir);
      execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--force', '--detach', dir, sha], { stdio: 'ignore' });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      console.error(`[interleave] ${label}: ${rev} (${sha.slice(0, 10)}) in ${dir}`);
      return dir;
    };
    const trees = { base: checkout(baseRev, 'base'), head: headRev ? checkout(headRev, 'head') : ROOT };
    if (!headRev) console.error(`[interleave] head: this working tree (${ROOT})`);
    for (const dir of new Set(Object.values(trees))) execFileSync(process.execPath, ['engine/cli/build-dist.mjs'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });

    const runs: { tree: 'base' | 'head'; result: unknown }[] = [];
    const seq = order(pairs);
    for (const [i, tree] of seq.entries()) {
      console.error(`[interleave] run ${i + 1}/${seq.length}: ${tree}`);
      const r = spawnSync(command[0]!, command.slice(1), { cwd: trees[tree], stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
      const line = r.stdout?.split('\n').filter((l) => l.startsWith('{')).pop();
      if (r.status !== 0 || !line) throw new Error(`run ${i + 1} (${tree}) failed: exit ${r.status ?? r.signal}${line ? '' : ', no JSON line on stdout'}`);
      const result = JSON.parse(line) as unknown;
      runs.push({ tree, result });
      if (out) appendFileSync(out, `${JSON.stringify({ tree, ...(result as object) })}\n`);
    }
    console.log(report(summarize(runs, fields)));
  } finally {
    cleanup();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
