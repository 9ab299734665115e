/**
 * Mediation-only throughput: 140-byte switch CDRs (CSV) through bench/mediation-rules.yaml (about 50 rules),
 * framing included (text → line framer → Mediator), one core, no I/O in the timed part.
 *
 *   npx tsx bench/mediation.ts [--records 2000000] [--batch 8192] [--chunk 16384] [--profile out.cpuprofile]
 *
 * Reports records/s, CPU-seconds per million records (all threads of the process, GC helpers included), peak RSS
 * and the main-thread GC pause time of the timed run. The workload is generated here with a fixed seed: 20k
 * subscribers, 50k destinations, a mix of voice / SMS / data / other record types. The input is generated up
 * front as text chunks of `--chunk` characters (default 16 KiB: what the file sources hand the framer: they read
 * with READ_CHUNK_BYTES, and batches of at most `--batch` records as they do), so the bench holds the text
 * once and no giant intermediate strings distort memory and GC. `--profile` writes a V8 CPU profile of the timed
 * run only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { compileMediationFile } from '../engine/mediation/compiler.ts';
import { Mediator } from '../engine/mediation/mediator.ts';
import { READ_CHUNK_BYTES } from '../engine/runtime/sources/source.ts';

const args = process.argv.slice(2);
const arg = (name: string, d: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const N = arg('records', 2_000_000);
const BATCH = arg('batch', 8192);
const profileAt = args.indexOf('--profile');
const PROFILE = profileAt >= 0 ? args[profileAt + 1] : undefined;
const dir = import.meta.dirname;

// deterministic PRNG (mulberry32)
let seed = 0x5eed;
const rnd = () => {
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;

mkdirSync(resolve(dir, 'out'), { recursive: true });
const subscribers = Array.from({ length: 20_000 }, (_, i) => `06${String(10_000_000 + i * 37).slice(0, 8)}`);
writeFileSync(resolve(dir, 'out/msisdn.csv'), `msisdn,account,service\n${subscribers.map((s, i) => `+31${s.slice(1)},ACC-${i % 5000},SVC-${i}`).join('\n')}\n`);
const destinations = Array.from({ length: 50_000 }, (_, i) => (i % 10 === 0 ? `0049301${String(100000 + i)}` : i % 50 === 1 ? `0900${String(100000 + i)}` : `06${String(20_000_000 + i * 13).slice(0, 8)}`));
const imsis = ['204081234567890', '204160000000001', '310410123456789', '204041111111111'];
const events = ['VOICE', 'VOICE', 'VOICE', 'SMS-MO', 'SMS-MT', 'DATA', 'DATA', 'MMS', 'FAX'];

function line(i: number): string {
  const ev = pick(events);
  const rt = rnd() < 0.05 ? '2' : '6';
  const t = 1_709_251_200_000 + Math.floor(rnd() * 28 * 86_400_000);
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  const ts = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  const dur = ev === 'VOICE' ? String(Math.floor(rnd() * 900)) : '0';
  const up = ev === 'DATA' ? String(Math.floor(rnd() * 5_000_000)) : '0';
  const down = ev === 'DATA' ? String(Math.floor(rnd() * 50_000_000)) : '0';
  const s = `${rt},R${String(i).padStart(11, '0')},${ev},${pick(subscribers)},${pick(destinations)},${ts},${dur},${up},${down},C${Math.floor(rnd() * 9000)},${pick(imsis)},${rnd() < 0.2 ? 'iot.example' : 'internet'},${rnd() < 0.1 ? 'R' : 'H'},`;
  return s.length < 140 ? s + 'x'.repeat(140 - s.length) : s;
}

// chunks of --chunk characters (lines cross chunk boundaries, as in a file read); ~10 % of the records first, for the warm-up
const CHUNK = arg('chunk', READ_CHUNK_BYTES); // what the product's file source reads
function generate(from: number, to: number): string[] {
  const chunks: string[] = [];
  let pending: string[] = [];
  let len = 0;
  let carry = '';
  for (let i = from; i < to; i++) {
    const l = `${line(i)}\n`;
    pending.push(l);
    len += l.length;
    if (carry.length + len >= CHUNK || i === to - 1) {
      const all = carry + pending.join('');
      let off = 0;
      for (; all.length - off >= CHUNK; off += CHUNK) chunks.push(all.slice(off, off + CHUNK));
      carry = all.slice(off);
      pending = [];
      len = 0;
    }
  }
  if (carry) chunks.push(carry);
  // flat strings of their own (a slice would keep the joined text alive)
  return chunks.map((c) => Buffer.from(c, 'latin1').toString('latin1'));
}
const warmChunks = generate(0, Math.floor(N / 10));
seed = 0x5eed; // the timed input starts with the same records as the warm-up
const chunks = generate(0, N);
const totalBytes = chunks.reduce((a, c) => a + c.length, 0);
const avgBytes = totalBytes / N;

const rules = compileMediationFile(resolve(dir, 'mediation-rules.yaml'));
const cfg = rules.config;
const ruleCount = cfg.filters.length + cfg['usage-classes'].length + cfg.mappings.length + Object.keys(cfg.defaults).length + cfg.mappings.reduce((a, m) => a + Object.keys(m.fields).length, 0);

function runOnce(input: readonly string[]) {
  const mediator = new Mediator(rules);
  const framer = rules.parser.createFramer('bench.csv', 'bench');
  let udrs = 0, rejects = 0, ignored = 0, inCount = 0;
  const take = (out: { records: { feed: string; source: string; text: string }[]; ignored: Map<string, number> }) => {
    for (const n of out.ignored.values()) { ignored += n; inCount += n; }
    const recs = out.records;
    for (let i = 0; i < recs.length; i += BATCH) {
      const b = recs.length <= BATCH ? recs : recs.slice(i, i + BATCH);
      inCount += b.length;
      const r = mediator.mediate(b);
      udrs += r.udrs.length;
      rejects += r.rejects.length;
      for (const n of r.ignored.values()) ignored += n;
    }
  };
  for (let i = 0; i < input.length; i++) take(framer.push(input[i]!));
  take(framer.end());
  const f = mediator.flush();
  udrs += f.udrs.length; rejects += f.rejects.length;
  return { udrs, rejects, ignored, inCount };
}

// warm-up (JIT), then the timed run
runOnce(warmChunks);
global.gc?.();
const session = PROFILE ? new Session() : undefined;
if (session) {
  session.connect();
  await new Promise((ok) => session.post('Profiler.enable', () => session.post('Profiler.start', ok)));
}
let gcMs = 0, scavenges = 0, majorGcs = 0;
const gcObs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
  }
});
gcObs.observe({ entryTypes: ['gc'] });
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const r = runOnce(chunks);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await new Promise((ok) => setTimeout(ok, 50)); // deliver the gc entries of the timed run
gcObs.disconnect();
if (session) {
  await new Promise<void>((ok, ko) => session.post('Profiler.stop', (err, res) => {
    if (err) return ko(err);
    writeFileSync(PROFILE!, JSON.stringify(res.profile));
    ok();
  }));
  session.disconnect();
}
const cpuS = (cpu.user + cpu.system) / 1e6;
const rss = process.resourceUsage().maxRSS / 1024;

if (r.inCount !== r.udrs + r.ignored + r.rejects) throw new Error(`not reconciled: ${JSON.stringify(r)}`);
const out = {
  records: N,
  chunk: CHUNK,
  batch: BATCH,
  avgRecordBytes: Number(avgBytes.toFixed(1)),
  rules: ruleCount,
  udrs: r.udrs,
  ignored: r.ignored,
  rejects: r.rejects,
  wallSeconds: Number(wall.toFixed(3)),
  recordsPerSecond: Math.round(N / wall),
  cpuSecondsPerMillion: Number((cpuS / (N / 1e6)).toFixed(3)),
  gcPauseShare: Number((gcMs / 1000 / wall).toFixed(3)),
  scavenges,
  majorGcs,
  peakRssMiB: Math.round(rss),
  node: process.version,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
