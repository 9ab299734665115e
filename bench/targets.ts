/**
 * Issue #10's targets, and a verdict line per bench run against them (printed on stderr: stdout stays one JSON
 * line per run). `npx tsx bench/targets.ts FILE...` reads JSON lines of bench/streaming-e2e.ts runs (what
 * `bash bench/streaming-e2e.sh` collects; several files are pooled, e.g. bench/runs/*.jsonl) and adds the one-process
 * summary and the scale-out check: two serve processes against one.
 *
 * The verdicts only compare the figures of one run with the targets; a claim that a target is met rests on several
 * interleaved runs (bench/RESULTS.md), as the machine's two cores are shared and noisy.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TARGETS = {
  /** `serve`, all roles in one process, demo carrier feed: CPU-s per million records (ready → done), records/s */
  serve: { cpuPerMillion: 20, recordsPerSecond: 40_000 },
  /** embedded `run` into the in-process engine, 300k-record bench */
  embedded: { cpuPerMillion: 12, recordsPerSecond: 80_000 },
  /** RSS samples within ± this fraction of their median (serve: from 20 % stored; embedded: after each file) */
  rssBand: 0.1,
  /** two serve processes: CPU per million at most this fraction above one process's (scale-out adds no overhead per record) */
  scaleOut: 0.1,
} as const;

const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
/** a signed percentage of a fraction (+9.5 %) */
export const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

/** the median of `xs` (not empty) */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** the largest deviations below and above the median of `xs` (fractions), or undefined under 3 samples */
export function band(xs: readonly number[]): { below: number; above: number; median: number } | undefined {
  if (xs.length < 3) return undefined;
  const m = median(xs);
  return { below: Math.min(...xs) / m - 1, above: Math.max(...xs) / m - 1, median: m };
}

/** the samples' band is within ± TARGETS.rssBand of their median */
const withinBand = (b: { below: number; above: number }) => -b.below <= TARGETS.rssBand && b.above <= TARGETS.rssBand;

function rssLine(samples: readonly number[], what: string): string {
  const b = band(samples);
  if (!b) return `RSS ${what}: too few samples for the ± ${TARGETS.rssBand * 100} % check`;
  const ok = withinBand(b);
  return `RSS ${what} ${pct(b.below)} / ${pct(b.above)} of median ${Math.round(b.median)} MiB (± ${TARGETS.rssBand * 100} %: ${mark(ok)})`;
}

/** the subset of a bench/streaming-e2e.ts result the verdict reads */
export interface ServeRun {
  records: number;
  processes: number;
  layout: string[];
  recordsPerSecond: number;
  serveCpuSecondsPerMillion: number;
  peakRssMiB: number[];
  rssSamples: { stored: number; rssMiB: number[] }[];
  /** bench/machine-probe.ts before and after the run */
  machineProbeCpuMs?: number[];
}

/** process `i`'s RSS samples from 20 % stored: the serve band's samples */
const bandSamples = (r: ServeRun, i: number) => r.rssSamples.filter((s) => s.stored >= 0.2 * r.records).map((s) => s.rssMiB[i]!);

export function serveVerdict(r: ServeRun): string {
  const t = TARGETS.serve;
  const lines = [
    `serve ${r.records} records, ${r.processes} process(es), layout ${[...new Set(r.layout)].join('/')}:`,
    `  ${r.serveCpuSecondsPerMillion} CPU-s per million (≤ ${t.cpuPerMillion}: ${mark(r.serveCpuSecondsPerMillion <= t.cpuPerMillion)}), ` +
      `${r.recordsPerSecond} records/s (≥ ${t.recordsPerSecond}: ${mark(r.recordsPerSecond >= t.recordsPerSecond)}), peak RSS ${r.peakRssMiB.join(' / ')} MiB`,
  ];
  for (let i = 0; i < r.processes; i++) lines.push(`  process ${i + 1}: ${rssLine(bandSamples(r, i), 'from 20 % stored')}`);
  if (r.machineProbeCpuMs) lines.push(probeLine(r.machineProbeCpuMs));
  return lines.join('\n');
}

/** bench/machine-probe.ts's figures of a run */
function probeLine(ms: readonly number[]): string {
  return `  machine probe ${ms.join(' / ')} CPU-ms before / after (the same work every run: higher = a slower, busier host)`;
}

/** the subset of a bench/embedded.ts result the verdict reads */
export interface EmbeddedRun {
  records: number;
  recordsPerSecond: number;
  cpuSecondsPerMillion: number;
  peakRssMiB: number;
  rssAfterFileMiB: number[];
  /** bench/machine-probe.ts before and after the run: the core's speed at the time (CPU ms, lower is faster) */
  machineProbeCpuMs?: number[];
}

export function embeddedVerdict(r: EmbeddedRun): string {
  const t = TARGETS.embedded;
  return [
    `embedded ${r.records} records:`,
    `  ${r.cpuSecondsPerMillion} CPU-s per million (≤ ${t.cpuPerMillion}: ${mark(r.cpuSecondsPerMillion <= t.cpuPerMillion)}), ` +
      `${r.recordsPerSecond} records/s (≥ ${t.recordsPerSecond}: ${mark(r.recordsPerSecond >= t.recordsPerSecond)}), peak RSS ${r.peakRssMiB} MiB`,
    `  ${rssLine(r.rssAfterFileMiB, 'after each file')}`,
    ...(r.machineProbeCpuMs ? [probeLine(r.machineProbeCpuMs)] : []),
  ].join('\n');
}

/** the one- and two-process runs of the first one-process run's size and layout, in their order */
function comparable(runs: readonly ServeRun[]): ServeRun[] {
  const first = runs.find((r) => r.processes === 1);
  if (!first) return [];
  return runs.filter((r) => (r.processes === 1 || r.processes === 2) && r.records === first.records && r.layout.every((l) => l === first.layout[0]));
}

/** the runs of `n` processes with the first one-process run's size and layout */
const runsLikeFirst = (runs: readonly ServeRun[], n: number) => comparable(runs).filter((r) => r.processes === n);

/**
 * adjacent runs paired in their order — (1st, 2nd), (3rd, 4th), … of the comparable runs, where one has one process and
 * the other two (the script's rounds of 1, 2, 2, 1 give two pairs each): each pair's two-process CPU per million
 * against its one-process run's, as a fraction. A pair's runs are minutes apart; the host's state drifts more between
 * rounds and between script runs.
 */
export function pairedScaleOut(runs: readonly ServeRun[]): number[] {
  const c = comparable(runs);
  const out: number[] = [];
  for (let i = 0; i + 1 < c.length; i += 2) {
    const [a, b] = [c[i]!, c[i + 1]!];
    if (a.processes === b.processes) continue;
    const [one, two] = a.processes === 1 ? [a, b] : [b, a];
    out.push(two.serveCpuSecondsPerMillion / one.serveCpuSecondsPerMillion - 1);
  }
  return out;
}

/**
 * two processes against one (same records and the first one-process run's layout): the CPU per million they add, at
 * most TARGETS.scaleOut. Decided by the median of the paired changes (pairedScaleOut, each batch — one script run's
 * file — paired on its own), which cancels the host's drift between rounds; the medians of all runs are printed too.
 */
export function scaleOutVerdict(runs: readonly ServeRun[], batches: readonly (readonly ServeRun[])[] = [runs]): string | undefined {
  const one = runsLikeFirst(runs, 1).map((r) => r.serveCpuSecondsPerMillion);
  const two = runsLikeFirst(runs, 2).map((r) => r.serveCpuSecondsPerMillion);
  if (!one.length || !two.length) return undefined;
  const byMedians = median(two) / median(one) - 1;
  const pairs = batches.flatMap((b) => pairedScaleOut(b));
  const d = pairs.length ? median(pairs) : byMedians;
  const of = (xs: number[]) => (xs.length > 1 ? `${xs.join(', ')} (median ${+median(xs).toFixed(2)})` : `${xs[0]}`);
  const paired = pairs.length ? `; paired, ${pairs.length} pair(s) of adjacent runs: ${pairs.map(pct).join(', ')}, median` : ', by the medians';
  return `scale-out: two processes ${of(two)} vs one ${of(one)} CPU-s per million: medians ${pct(byMedians)}${paired} ${pct(d)} (overhead ≤ ${TARGETS.scaleOut * 100} %: ${mark(d <= TARGETS.scaleOut)})`;
}

/**
 * the one-process runs of the first one-process run's size and layout, together: how many met each serve target, the
 * median CPU per million, the slowest records/s and the peak RSS range (one run's verdict is one draw of a noisy host)
 */
export function oneProcessSummary(runs: readonly ServeRun[]): string | undefined {
  const one = runsLikeFirst(runs, 1);
  if (!one.length) return undefined;
  const t = TARGETS.serve;
  const cpu = one.map((r) => r.serveCpuSecondsPerMillion);
  const bandMet = one.filter((r) => { const b = band(bandSamples(r, 0)); return !!b && withinBand(b); }).length;
  const peaks = one.map((r) => r.peakRssMiB[0]!);
  return `one process, ${one.length} run(s) of ${one[0]!.records} records: CPU-s per million median ${+median(cpu).toFixed(2)} ` +
    `(${Math.min(...cpu)}–${Math.max(...cpu)}; ≤ ${t.cpuPerMillion} in ${cpu.filter((c) => c <= t.cpuPerMillion).length} of ${one.length}), ` +
    `records/s ≥ ${t.recordsPerSecond} in ${one.filter((r) => r.recordsPerSecond >= t.recordsPerSecond).length} of ${one.length}, ` +
    `RSS band (± ${TARGETS.rssBand * 100} % from 20 % stored) met in ${bandMet} of ${one.length}, peak RSS ${Math.min(...peaks)}–${Math.max(...peaks)} MiB`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error('usage: npx tsx bench/targets.ts RESULTS.jsonl...   (JSON lines of bench/streaming-e2e.ts runs; several files are pooled)');
    process.exit(2);
  }
  const batches = files.map((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ServeRun));
  const runs = batches.flat();
  for (const r of runs) console.log(serveVerdict(r));
  console.log(oneProcessSummary(runs) ?? 'one process: no one-process run');
  console.log(scaleOutVerdict(runs, batches) ?? 'scale-out: needs a one-process and a two-process run of the same size and layout');
}
