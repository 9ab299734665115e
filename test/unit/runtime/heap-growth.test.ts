/**
 * serve's V8 heap growth setting (engine/runtime/heap-growth.ts): the command line wins over the config, 0 leaves V8's
 * own factor, and the runtime setting takes effect — a child process that promotes batch after batch keeps a smaller
 * heap at 20 % than at 300 % (V8 may then grow the old generation to 4× the live heap before a full GC).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyHeapGrowth, heapGrowthFlag } from '../../../engine/runtime/heap-growth.ts';
import { serveSchema } from '../../../engine/runtime/streaming/config.ts';

const MODULE = fileURLToPath(new URL('../../../engine/runtime/heap-growth.ts', import.meta.url));

/** the largest V8 heap total (MiB) of a child that keeps the last 8 of many 20k-object batches alive */
function peakHeapMiB(percent: number): number {
  const script = `
    const { applyHeapGrowth } = await import(${JSON.stringify(MODULE)});
    const got = applyHeapGrowth(${percent}, []);
    if (got.percent !== ${percent} || got.source !== 'config') throw new Error('not applied: ' + JSON.stringify(got));
    const live = [];
    let peak = 0;
    for (let i = 0; i < 700; i++) {
      const batch = [];
      for (let j = 0; j < 20000; j++) batch.push({ a: j, b: 'x' + j, c: [j] });
      live.push(batch);
      if (live.length > 8) live.shift();
      if (i > 200) peak = Math.max(peak, process.memoryUsage().heapTotal);
    }
    process.stdout.write(String(peak / 1048576));`;
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('V8 heap growth (serve memory.heap-growing-percent)', () => {
  it('reads the flag from argv in both spellings', () => {
    expect(heapGrowthFlag(['--heap-growing-percent=35'])).toBe(35);
    expect(heapGrowthFlag(['--max-old-space-size=512', '--heap_growing_percent', '50'])).toBe(50);
    expect(heapGrowthFlag(['--heap-growing-percents=1', 'x'])).toBeUndefined();
    expect(heapGrowthFlag([])).toBeUndefined();
  });

  it('leaves a command-line flag and a 0 setting alone', () => {
    expect(applyHeapGrowth(20, ['--heap-growing-percent=60'])).toEqual({ percent: 60, source: 'command line' });
    expect(applyHeapGrowth(20, ['--max-old-space-size=900', '--heap-growing-percent', '45'])).toEqual({ percent: 45, source: 'command line' });
    expect(applyHeapGrowth(0, [])).toEqual({ percent: 0, source: 'v8 default' });
  });

  it("defaults to V8's own factor in the serve config and refuses out-of-range values", () => {
    const base = { kind: 'serve', pipelines: ['p.yaml'] };
    expect(serveSchema.parse(base).memory['heap-growing-percent']).toBe(0);
    expect(serveSchema.parse({ ...base, memory: { 'heap-growing-percent': 20 } }).memory['heap-growing-percent']).toBe(20);
    expect(serveSchema.safeParse({ ...base, memory: { 'heap-growing-percent': 301 } }).success).toBe(false);
    expect(serveSchema.safeParse({ ...base, memory: { 'heap-growth': 20 } }).success).toBe(false);
  });

  it('takes effect when set at run time: a smaller heap at 20 % than at 300 %', { timeout: 60_000 }, () => {
    const tight = peakHeapMiB(20);
    const loose = peakHeapMiB(300);
    expect(tight).toBeGreaterThan(0);
    expect(tight).toBeLessThan(loose * 0.75);
  });
});
