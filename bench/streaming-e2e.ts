/**
 * End-to-end streaming bench: raw.<feed> → mediate → udr → rate → rated → sink → ClickHouse (in-process engine), through
 * `ratestream serve` child processes on the local Kafka broker + schema registry.
 *
 *   npx tsx bench/streaming-e2e.ts --records 200000 --processes 1|2 [--partitions 4] [--cpu-prof-dir DIR] [--second-roles ROLES]
 *     [--rss-every N]   (RSS of every serve process sampled each N records stored; default records / 10)
 *     [--threads]       (also CPU-s per million of each thread, by thread id and name)
 *     [--node-flags "--flag ..."]   (node / V8 flags for the serve processes, e.g. to measure GC settings)
 *     [--config-yaml "key: { ... }"] (more top-level keys of the serve config, e.g. to measure batch sizes)
 *     [--producer-client kafkajs|platformatic]   (the bench's own producer; default: the default Kafka client)
 *     [--input-cache DIR]  (the records and expected counts made once, reused by later runs of the same tree)
 *     [--roles-apart]      (rate.with-mediation: false — the mediate and rate roles apart, UDRs through the udr topic)
 *     [--with-mediation]   (rate.with-mediation: true — the fused stage, refusing to start where it cannot run; without
 *                          either flag serve's default, auto, runs it: every process here has the mediate, rate and sink roles)
 *   (--cpu-prof-dir, or RATESTREAM_E2E_CPU_PROF_DIR: a V8 CPU profile of each serve process, `node --cpu-prof`;
 *   split it with `npx tsx bench/profile-split.ts DIR/*.cpuprofile`)
 *   (or bash bench/streaming-e2e.sh, which starts the local services and runs the three layouts)
 *
 * Layout: --processes N starts N serve processes; the first runs all roles (mediate, rate, sink: with rate.store auto
 * the rate role stores straight into the in-process ClickHouse engine, whose data dir belongs to this one process). The
 * others run `--second-roles`, by default: serve's default layout (the fused stage: mediate, rate and sink in each
 * process, mediate + rate as one stage in one co-partitioned group) — all roles too, each process with its own
 * in-process engine (data dir), the ledger being the union of theirs; with --roles-apart `mediate` (with the
 * in-process engine only the sink's process can store directly; `mediate,rate` needs rate.store topics everywhere or a
 * ClickHouse server). One layout per deployment: a process of the other layout refuses to start. All processes are started and
 * ready (partitions assigned, state restored) before the clock starts; then the bench produces the demo carrier CDRs
 * (keyed by rating key, as a gateway would) and the clock stops when ClickHouse acknowledged every UDR, charge and
 * reject (the counts come from running the same core over the same lines in this process first).
 *
 * CPU: utime + stime of each serve process from /proc/<pid>/stat, from ready to done (startup excluded), and of the
 * Kafka broker JVM over the same window when its pid file is there; the bench's own producing CPU is reported apart.
 * Peak RSS: VmHWM from /proc/<pid>/status at the end; memory samples every --rss-every records stored, from the first record
 * produced (the produce phase included): VmRSS, and V8 heap used + external memory (prom-client gauges), with their peaks.
 * CPU split per serve process and thread (/proc/<pid>/task/<tid>: js-main = the JS thread; v8-and-libuv = threads named
 * "node" (V8's GC helpers, the libuv pool where chDB runs each query); chdb = the engine's own pools), and the main
 * thread's GC pause time (prom-client's nodejs_gc_duration_seconds from /metrics), ready → done.
 * `machineProbeCpuMs`: bench/machine-probe.ts's fixed work timed in this process before the clock starts (serve ready
 * and idle) and after the serve processes exit — how fast the shared cores were at the time (higher: a busier host).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { generateDemoFeeds } from '../engine/demo/generate.ts';
import { Mediator } from '../engine/mediation/mediator.ts';
import { loadPipeline } from '../engine/pipeline/load.ts';
import { rootOf } from '../engine/rating/catalog.ts';
import { Rater } from '../engine/rating/rater.ts';
import { createKafkaPort, selectKafkaClient } from '../engine/runtime/kafka/client-registry.ts';
import type { KafkaClientName, ProducerRecord } from '../engine/runtime/kafka/port.ts';
import { metricSum, scrapeMetrics } from '../engine/telemetry/prom-text.ts';
import { machineProbe } from './machine-probe.ts';
import { serveVerdict } from './targets.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'engine', 'cli', 'bin.mjs');
const PIPELINE = join(ROOT, 'pipelines', 'demo-carrier.yaml');
const { values: args } = parseArgs({ options: {
  records: { type: 'string', default: '200000' }, processes: { type: 'string', default: '1' }, partitions: { type: 'string', default: '4' }, 'cpu-prof-dir': { type: 'string' },
  'second-roles': { type: 'string' }, 'rss-every': { type: 'string' }, threads: { type: 'boolean', default: false }, 'node-flags': { type: 'string', default: '' },
  'with-mediation': { type: 'boolean', default: false }, 'roles-apart': { type: 'boolean', default: false },
  'producer-client': { type: 'string' }, 'config-yaml': { type: 'string', default: '' }, 'input-cache': { type: 'string' },
} });
if (args['with-mediation'] && args['roles-apart']) throw new Error('--with-mediation and --roles-apart exclude each other');
/** rate.with-mediation as configured: the flag, or serve's default */
const WITH_MEDIATION = args['with-mediation'] ? 'true' : args['roles-apart'] ? 'false' : 'auto';
const SECOND_ROLES = args['second-roles'] ?? (args['roles-apart'] ? 'mediate' : 'mediate,rate,sink');
const RECORDS = Number(args.records);
const PROCESSES = Number(args.processes);
const PARTITIONS = Number(args.partitions);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (!brokers.length || !process.env.SCHEMA_REGISTRY_URL) throw new Error('set KAFKA_BROKERS and SCHEMA_REGISTRY_URL (bash bench/streaming-e2e.sh does)');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // getconf CLK_TCK on Linux

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // fields 14, 15 (utime, stime) counted from after "(comm)"
}
function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}
const peakRssMiB = (pid: number) => statusMiB(pid, 'VmHWM');
/** utime + stime (seconds) per thread group of a process (as bench/embedded.ts groups them) */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const group = Number(tid) === pid ? 'js-main' : /^(node|V8 |libuv)/.test(comm) ? 'v8-and-libuv' : 'chdb';
      out.set(group, (out.get(group) ?? 0) + (Number(f[11]) + Number(f[12])) / TICK);
    } catch { /* the thread ended meanwhile */ }
  }
  return out;
}
/** utime + stime (seconds) per thread id, with the thread's name (which "node" thread does the work: V8's platform
 * workers are started with the process, the libuv pool on its first queued work; --threads prints this per thread) */
function perThreadCpu(pid: number): Map<number, { comm: string; sec: number }> {
  const out = new Map<number, { comm: string; sec: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { comm: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), sec: (Number(f[11]) + Number(f[12])) / TICK });
    } catch { /* the thread ended meanwhile */ }
  }
  return out;
}
/** main-thread GC pause seconds so far (prom-client default metric, all kinds) */
const gcSeconds = (m: Map<string, number>) => {
  let s = 0;
  for (const [k, v] of m) if (/nodejs_gc_duration_seconds_sum/.test(k)) s += v;
  return s;
};

const scrape = scrapeMetrics;
/** sum of a metric's series carrying `label` (`key="value"`) */
const metric = (m: Map<string, number>, name: string, label: string) => {
  const [k, v] = label.split('=');
  return metricSum(m, name, { [k!]: JSON.parse(v!) as string });
};

// ---------------------------------------------------------------------------------------------------------- input
/** wall seconds of the bench's phases outside the measured window (input, start-up, shutdown): where a run's time goes */
const phaseT0 = performance.now();
const phases: Record<string, number> = {};
const phaseDone = (name: string, since: number) => { phases[name] = +((performance.now() - since) / 1000).toFixed(1); return performance.now(); };
const dir = mkdtempSync(join(tmpdir(), 'rs-e2e-'));
const p = loadPipeline(PIPELINE);

/** the records to produce (keyed by rating key, as a gateway would) and what the store must hold after them */
interface Input { lines: { key: string | null; line: string }[]; want: { udrs: number; charges: number; rejects: number } }

/** the demo carrier CDRs, keyed, and the expected store counts: the same core over the same lines in this process */
function makeInput(): Input {
  const perDay = 10_000;
  const { carrierFiles } = generateDemoFeeds(join(dir, 'in'), { days: Math.ceil(RECORDS / perDay), perDay });
  const byMsisdn = new Map<string, string>();
  for (const row of readFileSync(join(ROOT, 'rules/demo/msisdn.csv'), 'utf8').trim().split('\n').slice(1)) {
    const [msisdn, account] = row.split(',');
    byMsisdn.set(msisdn!, rootOf(p.catalog!, account!));
  }
  const e164 = (s: string) => (s.startsWith('+') ? s : `+31${s.replace(/\s/g, '').slice(1)}`);
  const lines: Input['lines'] = [];
  for (const f of carrierFiles) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      if (!line || lines.length >= RECORDS) continue;
      const calling = line.split(',')[3] ?? '';
      lines.push({ key: calling ? (byMsisdn.get(e164(calling)) ?? null) : null, line });
    }
  }
  const med = new Mediator(p.mediation);
  const rater = new Rater(p.catalog!);
  const want = { udrs: 0, charges: 0, rejects: 0 };
  for (let i = 0; i < lines.length; i += 8192) {
    const r = med.mediate(lines.slice(i, i + 8192).map((l, j) => ({ feed: p.config.feed, source: `b:${i + j}`, text: l.line })));
    const rr = rater.rate(r.udrs);
    want.udrs += r.udrs.length;
    want.charges += rr.charges.length;
    want.rejects += r.rejects.length + rr.rejects.length;
  }
  return { lines, want };
}

/**
 * --input-cache DIR: the input made once and reused by later runs of the same tree (bash bench/streaming-e2e.sh passes
 * a folder of its own, removed when it ends). Making it is ≈ 110 s of a 2M run's ≈ 150 s, all before the clock starts.
 * One JSON line per record, `[key, line]`, then the expected counts as the last line.
 */
function cachedInput(cacheDir: string | undefined): Input {
  if (!cacheDir) return makeInput();
  const file = join(cacheDir, `carrier-${RECORDS}.jsonl`);
  if (existsSync(file)) {
    // read as bytes and cut at newlines: a 6M-record input is past V8's longest string
    const buf = readFileSync(file);
    const rows: string[] = [];
    for (let at = 0; at < buf.length;) {
      const nl = buf.indexOf(0x0a, at);
      const end = nl < 0 ? buf.length : nl;
      rows.push(buf.toString('utf8', at, end));
      at = end + 1;
    }
    const want = JSON.parse(rows.pop()!) as Input['want'];
    const lines = rows.map((r) => { const [key, line] = JSON.parse(r) as [string | null, string]; return { key, line }; });
    return { lines, want };
  }
  const made = makeInput();
  mkdirSync(cacheDir, { recursive: true });
  // written in chunks (no one string of the whole input), whole, then renamed: a run stopped midway leaves no partial cache
  const fd = openSync(`${file}.tmp`, 'w');
  for (let i = 0; i < made.lines.length; i += 10_000) {
    writeSync(fd, made.lines.slice(i, i + 10_000).map((l) => `${JSON.stringify([l.key, l.line])}\n`).join(''));
  }
  writeSync(fd, JSON.stringify(made.want));
  closeSync(fd);
  renameSync(`${file}.tmp`, file);
  return made;
}
const { lines, want } = cachedInput(args['input-cache']);

const phaseInput = phaseDone('input', phaseT0);

// ---------------------------------------------------------------------------------------------------------- serve
const name = `e2e-${Date.now().toString(36)}`;
/** process i's config: its own in-process engine data dir (one process per data dir: each sink its own ledger) */
const configOf = (i: number) => {
  const cfg = join(dir, `serve-${i}.yaml`);
  writeFileSync(cfg, [
    'kind: serve', `name: ${name}`, 'pipelines:', `  - ${PIPELINE}`, `topics: { prefix: "${name}.", partitions: ${PARTITIONS} }`,
    `clickhouse: { data-dir: ${join(dir, `db-${i}`)} }`, 'http: { host: 127.0.0.1, port: 0 }',
    // auto (serve's default) unless a flag says: fused (it stores directly) or the roles apart
    ...(WITH_MEDIATION === 'auto' ? [] : [`rate: { with-mediation: ${WITH_MEDIATION} }`]),
    // --config-yaml: more top-level keys of every process's config (e.g. 'mediate: { batch-bytes: 2097152 }')
    ...(args['config-yaml'] ? [args['config-yaml']] : []),
  ].join('\n'));
  return cfg;
};
// HTTP ports below the ephemeral range (32768+) and above the secured test broker's 19092–19094
const basePort = 20_000 + Math.floor(Math.random() * 10_000);
const procs: { child: ChildProcess; port: number; roles: string }[] = [];
for (let i = 0; i < PROCESSES; i++) {
  const roles = i === 0 ? 'mediate,rate,sink' : SECOND_ROLES;
  const cfg = configOf(i);
  const port = basePort + i;
  const log = createWriteStream(join(dir, `serve-${i}.log`));
  const profDir = args['cpu-prof-dir'] ?? process.env.RATESTREAM_E2E_CPU_PROF_DIR;
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profDir)}`] : [];
  const child = spawn(process.execPath, [...prof, ...args['node-flags']!.split(' ').filter(Boolean), BIN, 'serve', '--config', cfg, '--http-port', String(port), '--roles', roles], {
    cwd: ROOT, env: { ...process.env, CLICKHOUSE_URL: '', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  procs.push({ child, port, roles });
}
// a run that fails (an error thrown below) leaves no serve process behind: killed outright, as a graceful stop may
// wait on what failed (its logs stay in the run's folder)
process.on('exit', () => { for (const x of procs) if (x.child.exitCode === null && x.child.signalCode === null) x.child.kill('SIGKILL'); });
const ready = async (port: number) => { try { return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200; } catch { return false; } };
for (const deadline = Date.now() + 120_000; ;) {
  if ((await Promise.all(procs.map((x) => ready(x.port)))).every(Boolean)) break;
  if (Date.now() > deadline) throw new Error(`serve not ready; logs in ${dir}`);
  await sleep(100);
}
await sleep(2000); // let the group settle (a second member triggers a rebalance)
for (const deadline = Date.now() + 60_000; !(await Promise.all(procs.map((x) => ready(x.port)))).every(Boolean);) {
  if (Date.now() > deadline) throw new Error('serve not ready after settling');
  await sleep(100);
}
phaseDone('startUp', phaseInput);
// the layout serve picked: the fused stage reports the mediate and sink roles, no rate role (readyz detail)
const rolesOf = async (port: number) => Object.keys(((await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { roles?: Record<string, boolean> }).roles ?? {});
const layouts = await Promise.all(procs.map(async (x) => {
  const r = await rolesOf(x.port);
  return r.includes('mediate') && !r.includes('rate') && x.roles.includes('rate') ? 'fused' : 'apart';
}));
const kafkaPid = (() => { try { return Number(readFileSync(join(ROOT, 'deploy/local/.run/kafka.pid'), 'utf8').trim()); } catch { return undefined; } })();
const cpu0 = procs.map((x) => cpuSeconds(x.child.pid!));
const threads0 = procs.map((x) => threadCpu(x.child.pid!));
const tids0 = procs.map((x) => perThreadCpu(x.child.pid!));
const gc0 = await Promise.all(procs.map(async (x) => gcSeconds(await scrape(x.port))));
const RSS_EVERY = Number(args['rss-every'] ?? Math.max(1, Math.floor(RECORDS / 10)));
/** one memory sample per serve process: RSS (/proc VmRSS) and the V8 heap used + external (prom-client's default
 * gauges, as of the process's last collection) */
type Mem = { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number };
const MiB = (b: number) => Math.round(b / 2 ** 20);
const memOf = async (x: { child: ChildProcess; port: number }): Promise<Mem> => {
  const m = await scrape(x.port);
  return { rssMiB: statusMiB(x.child.pid!, 'VmRSS'), heapUsedMiB: MiB(metricSum(m, 'ratestream_nodejs_heap_size_used_bytes')),
    heapTotalMiB: MiB(metricSum(m, 'ratestream_nodejs_heap_size_total_bytes')), externalMiB: MiB(metricSum(m, 'ratestream_nodejs_external_memory_bytes')) };
};
const memSamples: { stored: number; phase: 'produce' | 'drain'; mem: Mem[] }[] = [{ stored: 0, phase: 'produce', mem: await Promise.all(procs.map(memOf)) }];
const kafkaCpu0 = kafkaPid && existsSync(`/proc/${kafkaPid}`) ? cpuSeconds(kafkaPid) : undefined;
const load0 = loadavg()[0]!;
// the core's speed before the run (bench/machine-probe.ts; serve is ready and idle), and after it below
const probeBefore = machineProbe().cpuMs;
const self0 = process.cpuUsage();
const t0 = performance.now();

// ---------------------------------------------------------------------------------------------------------- run
// the gateway's producer: the default Kafka client (--producer-client or RATESTREAM_KAFKA_CLIENT picks another),
// idempotent, keyed by rating key; its CPU is reported apart (producerCpuSeconds) but shares the two cores with serve
const PRODUCER_CLIENT = selectKafkaClient(args['producer-client'] as KafkaClientName | undefined);
const port = await createKafkaPort({ brokers, clientId: 'bench' }, { logger: pino({ level: 'error' }), client: PRODUCER_CLIENT });
const producer = port.producer({ idempotent: true });
await producer.connect();
let produced: number | undefined;
let selfCpu: NodeJS.CpuUsage | undefined;
const sinks = procs.filter((x) => x.roles.split(',').includes('sink'));
// watched from the first record produced: memory samples each RSS_EVERY records stored (the produce phase included),
// done when ClickHouse acknowledged everything (summed over the sinks' processes: each has its own ledger)
// per sink process: when its own ledger last grew and its CPU then (the rest of its CPU is spent after its own share
// was stored, waiting for the other processes: background merges, idle fetches)
const lastStore = procs.map(() => ({ charges: 0, seconds: 0, cpu: 0 }));
const watch = (async () => {
  for (const deadline = Date.now() + 1_800_000; ;) {
    const ms = await Promise.all(sinks.map((x) => scrape(x.port)));
    sinks.forEach((x, j) => {
      const i = procs.indexOf(x);
      const c = metric(ms[j]!, 'ratestream_clickhouse_rows_total', 'table="charges"');
      if (c > lastStore[i]!.charges) lastStore[i] = { charges: c, seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(x.child.pid!) - cpu0[i]! };
    });
    const rows = (t: string) => ms.reduce((n, m) => n + metric(m, 'ratestream_clickhouse_rows_total', `table="${t}"`), 0);
    // sampled each RSS_EVERY charges stored (scaled to records)
    const stored = Math.round((rows('charges') / Math.max(1, want.charges)) * lines.length);
    if (stored >= memSamples[memSamples.length - 1]!.stored + RSS_EVERY) {
      memSamples.push({ stored, phase: produced === undefined ? 'produce' : 'drain', mem: await Promise.all(procs.map(memOf)) });
    }
    if (rows('charges') >= want.charges && rows('udrs') >= want.udrs && rows('rejects') >= want.rejects) return;
    if (Date.now() > deadline) throw new Error(`not done: ${rows('charges')}/${want.charges} charges; logs in ${dir}`);
    await sleep(200);
  }
})();
for (let i = 0; i < lines.length; i += 5000) {
  const chunk: ProducerRecord[] = lines.slice(i, i + 5000).map((l) => ({ topic: `${name}.raw.carrier-cdr`, key: l.key, value: Buffer.from(l.line) }));
  await producer.send(chunk);
}
await producer.disconnect();
produced = performance.now();
selfCpu = process.cpuUsage(self0);
await watch;
const seconds = (performance.now() - t0) / 1000;
const cpu = procs.map((x, i) => cpuSeconds(x.child.pid!) - cpu0[i]!);
const kafkaCpu = kafkaCpu0 === undefined ? undefined : cpuSeconds(kafkaPid!) - kafkaCpu0;
const rss = procs.map((x) => peakRssMiB(x.child.pid!));
const perM = (sec: number) => +((sec / lines.length) * 1e6).toFixed(2);
const cpuSplit = procs.map((x, i) => {
  const t1 = threadCpu(x.child.pid!);
  return Object.fromEntries([...t1].map(([k, v]) => [k, perM(v - (threads0[i]!.get(k) ?? 0))]));
});
// --threads: CPU-s per million of every thread of the run (tid order; threads under 0.05 left out)
const perTid = procs.map((x, i) => [...perThreadCpu(x.child.pid!)].sort((a, b) => a[0] - b[0])
  .map(([tid, t]) => ({ tid, comm: t.comm, cpuPerMillion: perM(t.sec - (tids0[i]!.get(tid)?.sec ?? 0)) })).filter((t) => t.cpuPerMillion >= 0.05));
const gcPause = await Promise.all(procs.map(async (x, i) => perM(gcSeconds(await scrape(x.port)) - gc0[i]!)));
const load1 = loadavg()[0]!;
const perProcess = await Promise.all(procs.map(async (x, i) => {
  const m = await scrape(x.port);
  return { roles: x.roles, cpuSeconds: +cpu[i]!.toFixed(2), peakRssMiB: rss[i],
    // when this process's own ledger last grew (s from the clock start) and its CPU-s from then to done
    lastStoreSeconds: +lastStore[i]!.seconds.toFixed(2), cpuSecondsAfterLastStore: +(cpu[i]! - lastStore[i]!.cpu).toFixed(2), mediated: metric(m, 'ratestream_records_in_total', 'role="mediate"'), rated: metric(m, 'ratestream_records_in_total', 'role="rate"'),
    // Kafka transactions per role: fewer, bigger batches = fewer broker round trips per record
    transactions: { mediate: metric(m, 'ratestream_transactions_committed_total', 'role="mediate"'), rate: metric(m, 'ratestream_transactions_committed_total', 'role="rate"') },
    cpuPerMillionByThread: cpuSplit[i], gcPauseSecondsPerMillion: gcPause[i], ...(args.threads && { threads: perTid[i] }) };
}));
const phaseStop = performance.now();
for (const x of procs) x.child.kill('SIGTERM');
await Promise.all(procs.map((x) => new Promise((r) => (x.child.exitCode !== null ? r(null) : x.child.on('exit', r)))));
phaseDone('shutdown', phaseStop);
const probeAfter = machineProbe().cpuMs;

const totalCpu = cpu.reduce((a, b) => a + b, 0);
const result = {
  records: lines.length, processes: PROCESSES, partitions: PARTITIONS, withMediation: WITH_MEDIATION, layout: layouts, ...want,
  wallSeconds: +seconds.toFixed(2), recordsPerSecond: Math.round(lines.length / seconds),
  serveCpuSeconds: +totalCpu.toFixed(2), serveCpuSecondsPerMillion: +((totalCpu / lines.length) * 1e6).toFixed(2),
  kafkaBrokerCpuSeconds: kafkaCpu === undefined ? null : +kafkaCpu.toFixed(2),
  producerClient: PRODUCER_CLIENT, producerWallSeconds: +((produced! - t0) / 1000).toFixed(2), producerCpuSeconds: +((selfCpu!.user + selfCpu!.system) / 1e6).toFixed(2),
  peakRssMiB: rss, perProcess,
  // memory samples (produce phase included) and their peaks per process
  rssSamples: memSamples.map((x) => ({ stored: x.stored, phase: x.phase, rssMiB: x.mem.map((y) => y.rssMiB), heapUsedMiB: x.mem.map((y) => y.heapUsedMiB), heapTotalMiB: x.mem.map((y) => y.heapTotalMiB), externalMiB: x.mem.map((y) => y.externalMiB) })),
  sampledPeakMiB: procs.map((_, i) => ({ rss: Math.max(...memSamples.map((x) => x.mem[i]!.rssMiB)), heapUsed: Math.max(...memSamples.map((x) => x.mem[i]!.heapUsedMiB)), external: Math.max(...memSamples.map((x) => x.mem[i]!.externalMiB)) })), loadAvg1m: { start: +load0.toFixed(2), end: +load1.toFixed(2) }, machineProbeCpuMs: [probeBefore, probeAfter], cpus: cpus().length, node: process.version,
  benchPhaseSeconds: phases,
};
console.log(JSON.stringify(result));
console.error(serveVerdict(result));
rmSync(dir, { recursive: true, force: true });
process.exit(0);
