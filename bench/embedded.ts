/**
 * Embedded end-to-end throughput: generated demo carrier CDRs (CSV) → mediation → rating → the in-process
 * ClickHouse engine (chDB) or a server (CLICKHOUSE_URL), through the same EmbeddedRunner `ratestream run` uses.
 *
 *   npx tsx bench/embedded.ts [--records 300000] [--days 1] [--copies 1] [--feeds DIR] [--threads off|on]
 *                             [--pipeline pipelines/demo-carrier.yaml] [--profile out.cpuprofile]
 *                             [--heap-profile out.heapprofile]
 *
 * `--records` per day file, `--days` files, `--copies` of each (one run over all of them: 10M records =
 * --records 1000000 --days 2 --copies 5).
 * `--feeds DIR`: generate the feed there once and reuse it (generating costs more than running it; `--generate-only`
 * stops after that). The feed is generated in a child process, so the peak RSS reported is the run's. Reports
 * records/s (wall), CPU-seconds per million records (user + system of this process from start to done, all threads),
 * the split of that CPU by thread (the JS main thread; chDB's own pools; threads named "node": V8's GC helpers and the libuv pool where chDB runs each query), the main thread's GC
 * pause time, peak RSS (of the whole process; `peakRssBeforeRunMiB`: before the measured window), and the RSS after each file (flat memory over a long run). `--profile`: a CPU profile of the
 * main thread over the measured window only. `--heap-profile`: a sampling heap profile of the main thread's
 * allocations over the measured window (what is allocated where, collected or not: open it in Chrome DevTools'
 * Memory tab; sampled every 32 KiB, so it barely slows the run). `--digest`: after the measured window, each
 * ledger table's row count and an order-free hash of every stored row (all inserted rows, not FINAL; the columns
 * filled by now64() left out) — equal digests before and after a change: the same rows stored.
 * `--mem-trace [MS]` (default every 150 ms): samples this process's memory on a timer — RSS and the high-water mark
 * (VmHWM, /proc/self/status), V8 heap used and total, external, arrayBuffers — and the in-process engine's own accounting
 * (system.metrics MemoryTracking and MergesMutationsMemoryTracking, the running merges from system.merges; one
 * query at a time, at most every 500 ms), with where the run was (file, bytes into it, phase); prints the sample at
 * which the high-water mark rose to its final value (the peak's moment) and the largest RSS sample.
 * `--mem-trace-log FILE`: every sample as a JSON line.
 * `machineProbeCpuMs`: bench/machine-probe.ts's fixed work timed before and after the measured window (outside it) —
 * how fast the shared cores were at the time (higher: a busier host).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { generateDemoFeeds } from '../engine/demo/generate.ts';
import { loadPipeline } from '../engine/pipeline/load.ts';
import { EmbeddedRunner } from '../engine/runtime/embedded-runner.ts';
import { listInputs } from '../engine/runtime/sources/file.ts';
import { openStore, queryRows, table } from '../engine/store/client.ts';
import { migrate } from '../engine/store/migrate.ts';
import { machineProbe } from './machine-probe.ts';
import { MemTrace } from './mem-trace.ts';
import { embeddedVerdict } from './targets.ts';

const args = process.argv.slice(2);
const arg = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : d;
};
const records = Number(arg('records', '300000'));
const days = Number(arg('days', '1'));
const pipelineFile = resolve(arg('pipeline', 'pipelines/demo-carrier.yaml'));
const threads = arg('threads', 'off');
const feeds = arg('feeds', '');
const profile = arg('profile', '');
const heapProfile = arg('heap-profile', '');
const copies = Number(arg('copies', '1'));
const memTraceAt = args.indexOf('--mem-trace');
const memTraceMs = memTraceAt < 0 ? 0 : /^\d+$/.test(args[memTraceAt + 1] ?? '') ? Number(args[memTraceAt + 1]) : 150;
const memTraceLog = arg('mem-trace-log', '');

/** utime + stime (seconds) per thread of this process, by thread name (/proc/self/task/<tid>/{stat,comm}) */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  const tick = 100; // USER_HZ on Linux
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const sec = (Number(f[11]) + Number(f[12])) / tick;
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const group = Number(tid) === process.pid ? 'js-main' : /^V8 /.test(comm) ? 'v8-helpers' : /^libuv/.test(comm) ? 'libuv' : /^node$/.test(comm) ? 'v8-and-libuv' : 'chdb';
      out.set(group, (out.get(group) ?? 0) + sec);
    } catch { /* the thread ended meanwhile */ }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'rs-bench-embedded-'));
const feedDir = feeds ? resolve(feeds) : join(dir, 'feeds');
const marker = join(feedDir, `.generated-${records}x${days}`);
const carrierDir = join(feedDir, 'carrier');
const dayFiles = () => readdirSync(carrierDir).filter((n) => n.startsWith('cdr-'));
const feedReady = () => existsSync(marker) && dayFiles().every((f) => Array.from({ length: copies - 1 }, (_, k) => existsSync(join(carrierDir, `copy${k + 1}-${f}`))).every(Boolean));
if (args.includes('--generate-only')) {
  if (!existsSync(marker)) {
    rmSync(feedDir, { recursive: true, force: true });
    mkdirSync(feedDir, { recursive: true });
    generateDemoFeeds(feedDir, { days, perDay: records });
    writeFileSync(marker, '');
  }
  // --copies N: each day file N times in all, the copies with other record ids (NW… → NA…, NB…): other content, other
  // UDRs, same shape — a long run without generating it all (the generator costs more than the run)
  for (const f of dayFiles()) {
    for (let k = 1; k < copies; k++) {
      const copy = join(carrierDir, `copy${k}-${f}`);
      if (!existsSync(copy)) writeFileSync(copy, readFileSync(join(carrierDir, f), 'utf8').replaceAll(',NW2026', `,N${String.fromCharCode(64 + k)}2026`));
    }
  }
} else if (!feedReady()) {
  // generated in a child process: the generator holds a day's lines as strings (≈ 2.5 GiB of heap for 1M records),
  // which would otherwise stay in this process's peak RSS (VmHWM) and be reported as the run's
  const rest = args.filter((a, i) => a !== '--feeds' && args[i - 1] !== '--feeds');
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...rest, '--feeds', feedDir, '--generate-only'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0 || !feedReady()) throw new Error(`generating the feed in ${feedDir} failed (exit ${r.status})`);
}
if (args.includes('--generate-only')) {
  console.log(JSON.stringify({ feeds: feedDir, files: days * copies, recordsPerFile: records }));
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const inputs = listInputs(carrierDir).filter((i) => copies > 1 || !i.name.includes('/copy'));
const store = await openStore({ dbDir: join(dir, 'ch') });
await migrate(store);
const pipeline = loadPipeline(pipelineFile);
// the machine's core speed right before the measured window (bench/machine-probe.ts; again after it), before the GC
// observer and the profilers start: the probe's work is in no figure of the run
const probeBefore = machineProbe().cpuMs;

let gcMs = 0;
const gcObs = new PerformanceObserver((l) => { for (const e of l.getEntries()) gcMs += e.duration; });
gcObs.observe({ entryTypes: ['gc'] });
const inspector = profile || heapProfile ? new Session() : undefined;
if (inspector) {
  inspector.connect();
  if (profile) {
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  if (heapProfile) {
    await inspector.post('HeapProfiler.enable');
    // every allocation counted, including the ones collected by the young-generation GC (the churn)
    await inspector.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
}

// the high-water mark before the measured window (startup, opening the engine): the peak below is the run's only when
// it is above this
const peakBeforeRun = Math.round(process.resourceUsage().maxRSS / 1024);
const threads0 = threadCpu();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const trace = memTraceMs ? new MemTrace(store, memTraceMs, memTraceLog) : undefined;
const hooks = trace ? trace.hooks() : {};
const runner = new EmbeddedRunner(pipeline, store, undefined, hooks, { worker: threads === 'on' });
const rssAfterFile: number[] = [];
const c = { records: 0, udrs: 0, charges: 0, bytes: 0 };
trace?.start();
for (let i = 0; i < inputs.length; i++) {
  trace?.file(i, inputs[i]!.bytes, c.records);
  const r = await runner.runFile(inputs[i]!, undefined, i === inputs.length - 1);
  trace?.phase('after-file');
  c.records += r.counters.records;
  c.udrs += r.counters.udrs;
  c.charges += r.counters.charges;
  c.bytes += inputs[i]!.bytes;
  rssAfterFile.push(Math.round(process.memoryUsage.rss() / 2 ** 20));
}
trace?.phase('close');
await runner.close();
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const threads1 = threadCpu();
if (inspector) {
  if (profile) {
    const { profile: p } = await inspector.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(p));
  }
  if (heapProfile) {
    const { profile: p } = await inspector.post('HeapProfiler.stopSampling');
    writeFileSync(heapProfile, JSON.stringify(p));
  }
  inspector.disconnect();
}
gcObs.disconnect();
const probeAfter = machineProbe().cpuMs;
trace?.phase('digest');
const digest: Record<string, string> = {};
if (args.includes('--digest')) {
  for (const t of ['udrs', 'charges', 'rejects', 'service_states', 'pool_balances', 'ingest_files']) {
    const cols = await queryRows<{ name: string }>(store, `SELECT name FROM system.columns WHERE database = {d:String} AND table = {t:String}
      AND NOT startsWith(default_expression, 'now64') ORDER BY position`, { d: store.database, t });
    const [r] = await queryRows<{ n: string; h: string }>(store, `SELECT toString(count()) AS n, toString(sum(cityHash64(${cols.map((c) => `\`${c.name}\``).join(', ')}))) AS h FROM ${table(store, t)}`);
    digest[t] = `${r!.n}:${r!.h}`;
  }
}
const memTrace = await trace?.stop();
await store.close();
rmSync(dir, { recursive: true, force: true });

const cpuSec = (cpu.user + cpu.system) / 1e6;
const perM = (s: number) => +((s / c.records) * 1e6).toFixed(2);
const split: Record<string, number> = {};
let known = 0;
for (const [k, v] of threads1) {
  const d = v - (threads0.get(k) ?? 0);
  known += d;
  split[k] = perM(d);
}
split['ended-threads'] = perM(Math.max(0, cpuSec - known));
const out = {
  threads, store: process.env.CLICKHOUSE_URL ? 'server' : 'chdb', files: inputs.length, ...c,
  wallSeconds: +wall.toFixed(2),
  recordsPerSecond: Math.round(c.records / wall),
  cpuSecondsPerMillion: perM(cpuSec),
  cpuSplitPerMillion: split,
  gcPauseSecondsPerMillion: perM(gcMs / 1000),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  peakRssBeforeRunMiB: peakBeforeRun,
  rssAfterFileMiB: rssAfterFile,
  machineProbeCpuMs: [probeBefore, probeAfter],
  ...(Object.keys(digest).length ? { digest } : {}),
  ...(memTrace ? { memTrace } : {}),
};
console.log(JSON.stringify(out));
console.error(embeddedVerdict(out));
