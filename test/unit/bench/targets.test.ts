import { describe, expect, it } from 'vitest';
import { band, embeddedVerdict, median, oneProcessSummary, pairedScaleOut, scaleOutVerdict, serveVerdict, type ServeRun } from '../../../bench/targets.ts';

const run = (processes: number, cpu: number, rss: number[][]): ServeRun => ({
  records: 1000, processes, layout: Array(processes).fill('fused'), recordsPerSecond: 50_000, serveCpuSecondsPerMillion: cpu,
  peakRssMiB: rss[0]!.map(() => 900), rssSamples: rss.map((r, i) => ({ stored: i * 100, rssMiB: r })),
});

describe('bench targets (issue #10 verdicts)', () => {
  it('band: the largest deviations below and above the median', () => {
    expect(band([100, 90, 110])).toEqual({ below: expect.closeTo(-0.1, 10), above: expect.closeTo(0.1, 10), median: 100 });
    expect(band([1, 2])).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('serve: CPU, records/s and the RSS band from 20 % stored (earlier samples left out)', () => {
    // samples at 0 and 100 of 1000 are before 20 %: their 400 MiB does not count
    const v = serveVerdict(run(1, 19.9, [[400], [400], [800], [820], [780], [800]]));
    expect(v).toContain('19.9 CPU-s per million (≤ 20: met)');
    expect(v).toContain('50000 records/s (≥ 40000: met)');
    expect(v).toMatch(/-2\.5 % \/ \+2\.5 % of median 800 MiB \(± 10 %: met\)/);
    expect(serveVerdict(run(1, 20.1, [[0], [0], [700], [800], [900]]))).toMatch(/≤ 20: NOT met[\s\S]*± 10 %: NOT met/);
  });

  it('scale-out: two processes may cost at most 10 % more per record than one', () => {
    const one = run(1, 20, [[1], [1], [1]]);
    expect(scaleOutVerdict([one, run(2, 21.9, [[1, 1], [1, 1], [1, 1]])])).toContain('+9.5 % (overhead ≤ 10 %: met)');
    expect(scaleOutVerdict([one, run(2, 22.1, [[1, 1], [1, 1], [1, 1]])])).toContain('NOT met');
    expect(scaleOutVerdict([one])).toBeUndefined();
  });

  it('scale-out: interleaved runs (1, 2, 2, 1) compared by their medians; other layouts and sizes left out', () => {
    const apart = { ...run(1, 40, [[1], [1], [1]]), layout: ['apart'] };
    const runs = [run(1, 18, [[1]]), run(2, 19, [[1, 1]]), run(2, 21, [[1, 1]]), run(1, 20, [[1]]), apart, { ...run(2, 90, [[1, 1]]), records: 5 }];
    const v = scaleOutVerdict(runs)!;
    expect(v).toContain('two processes 19, 21 (median 20) vs one 18, 20 (median 19)');
    expect(v).toContain('+5.3 % (overhead ≤ 10 %: met)');
  });

  it('scale-out: decided by the paired changes of adjacent runs, each file paired on its own (host drift between rounds cancels)', () => {
    // a quiet round, a busy one, and one more quiet one-process run: by the medians two processes look 57.5 % dearer,
    // pair by pair they cost 5 % more
    const quiet = [run(1, 10, [[1]]), run(2, 10.5, [[1, 1]])];
    const busy = [run(2, 21, [[1, 1]]), run(1, 20, [[1]])];
    expect(pairedScaleOut([...quiet, ...busy]).map((x) => +x.toFixed(3))).toEqual([0.05, 0.05]);
    const v = scaleOutVerdict([...quiet, ...busy, run(1, 10, [[1]])])!;
    expect(v).toContain('medians +57.5 %');
    expect(v).toContain('paired, 2 pair(s) of adjacent runs: +5.0 %, +5.0 %, median +5.0 % (overhead ≤ 10 %: met)');
    // two files: pairs are not formed across them (the last run of one and the first of the next are apart in time)
    const files = [[run(1, 10, [[1]]), run(2, 10.2, [[1, 1]]), run(1, 30, [[1]])], [run(2, 33, [[1, 1]]), run(1, 31, [[1]])]];
    const w = scaleOutVerdict(files.flat(), files)!;
    expect(w).toContain('2 pair(s) of adjacent runs: +2.0 %, +6.5 %, median +4.2 %');
    // no pair (only a two-process run after the one-process runs of another size): the medians decide
    expect(scaleOutVerdict([run(1, 10, [[1]]), run(1, 10, [[1]]), run(2, 12, [[1, 1]])])).toContain(', by the medians +20.0 % (overhead ≤ 10 %: NOT met)');
  });

  it('one process: the runs of the first one-process layout and size summed up (targets met in n of m)', () => {
    const apart = { ...run(1, 40, [[1], [1], [1]]), layout: ['apart'] };
    const slow = { ...run(1, 21, [[0], [0], [800], [800], [800]]), recordsPerSecond: 39_000 };
    const runs = [run(1, 18, [[0], [0], [800], [820], [780]]), run(2, 19, [[1, 1]]), slow, run(1, 19, [[0], [0], [700], [800], [900]]), apart];
    const v = oneProcessSummary(runs)!;
    expect(v).toContain('one process, 3 run(s) of 1000 records: CPU-s per million median 19 (18–21; ≤ 20 in 2 of 3)');
    expect(v).toContain('records/s ≥ 40000 in 2 of 3');
    expect(v).toContain('met in 2 of 3, peak RSS 900–900 MiB');
    expect(oneProcessSummary([run(2, 19, [[1, 1]])])).toBeUndefined();
  });

  it('embedded: CPU, records/s and RSS after each file', () => {
    const v = embeddedVerdict({ records: 300_000, recordsPerSecond: 79_000, cpuSecondsPerMillion: 11.5, peakRssMiB: 700, rssAfterFileMiB: [700, 720, 680] });
    expect(v).toContain('11.5 CPU-s per million (≤ 12: met)');
    expect(v).toContain('79000 records/s (≥ 80000: NOT met)');
    expect(v).toContain('(± 10 %: met)');
    expect(v).not.toContain('machine probe');
  });

  it('both verdicts print the machine probe of the run when it was taken', () => {
    const e = embeddedVerdict({ records: 300_000, recordsPerSecond: 90_000, cpuSecondsPerMillion: 12, peakRssMiB: 700, rssAfterFileMiB: [700], machineProbeCpuMs: [91.2, 104.5] });
    expect(e).toContain('machine probe 91.2 / 104.5 CPU-ms before / after');
    expect(serveVerdict({ ...run(1, 15, [[1], [1], [1]]), machineProbeCpuMs: [90, 95] })).toContain('machine probe 90 / 95 CPU-ms');
  });
});
