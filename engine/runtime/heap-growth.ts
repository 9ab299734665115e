/**
 * V8's old-generation growing factor for a long-running process (`serve`, config `memory.heap-growing-percent`). V8
 * lets the old generation grow to between 1.1× and 4× of what survived the last full GC before it collects again,
 * picking the factor from how fast it collects; `serve` promotes each batch's objects, so its heap saw-tooths between
 * ≈ 200 and ≈ 320 MiB over a 2M-record run. A fixed factor (`--heap-growing-percent`, e.g. 20 %: 1.2×) collects
 * sooner: the heap stays within ≈ 120–170 MiB and peak RSS falls ≈ 19 %, for ≈ 11 % more CPU per record (more full
 * GCs; bench/RESULTS.md, session 2026-12-07 ninth). So it is opt-in (default 0: V8's own factor), for memory-bound
 * deployments.
 *
 * V8 reads the flag at each GC's limit computation, so setting it at start-up takes effect like the command-line flag
 * (test/unit/runtime/heap-growth.test.ts). An explicit `--heap-growing-percent` on the node command line wins (Node
 * refuses it in NODE_OPTIONS).
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_FLAG = '--heap-growing-percent';

/** what `applyHeapGrowth` did: the percent now in force (0 = V8's own factor), and who chose it */
export interface HeapGrowth {
  percent: number;
  source: 'config' | 'command line' | 'v8 default';
}

/** the percent given by a `--heap-growing-percent[=| ]N` in `args`, if any */
export function heapGrowthFlag(args: readonly string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.replace(/_/g, '-');
    if (name === HEAP_FLAG && i + 1 < args.length) return Number(args[i + 1]);
    if (name.startsWith(`${HEAP_FLAG}=`)) return Number(name.slice(HEAP_FLAG.length + 1));
  }
  return undefined;
}

/**
 * Sets V8's heap growing percent to `percent` (0: leave V8's own factor), unless the process was started with the
 * flag (`execArgv`).
 */
export function applyHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv): HeapGrowth {
  const given = heapGrowthFlag(execArgv);
  if (given !== undefined) return { percent: given, source: 'command line' };
  if (!(percent > 0)) return { percent: 0, source: 'v8 default' };
  setFlagsFromString(`${HEAP_FLAG}=${Math.round(percent)}`);
  return { percent: Math.round(percent), source: 'config' };
}
