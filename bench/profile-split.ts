/**
 * Splits a V8 CPU profile (node --cpu-prof) into where the time went: GC, the Kafka client, encoding (Avro, JSON,
 * Buffer copies), ClickHouse (chDB, @clickhouse/client, the sink's store), mediation, rating, the serve runtime, and
 * the rest. Self time of each sample's function, bucketed by its script URL and name.
 *
 *   npx tsx bench/profile-split.ts FILE.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });

/** bucket of a function by its script and name (first match wins) */
export function bucketOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program (native, unattributed)';
  if (/avsc|schema-registry|streaming\/codecs|kafka\/avro-batch/.test(url)) return 'encoding (Avro)';
  if (/@platformatic\/kafka|kafkajs|(engine|dist)\/runtime\/kafka\//.test(url)) return 'Kafka client';
  if (/chdb|@clickhouse|(engine|dist)\/store\/|sinks\/clickhouse|sink-role/.test(url)) return 'ClickHouse (sink)';
  if (/(engine|dist)\/(mediation|expr)\/|luxon/.test(url)) return 'mediation';
  if (/(engine|dist)\/rating\//.test(url)) return 'rating';
  if (/(engine|dist)\/(runtime|telemetry|core)\/|prom-client|pino/.test(url)) return 'serve runtime';
  if (/^node:buffer|^node:internal\/buffer/.test(url) || (url === '' && /^(writeBuffer|copy|utf8|latin1|ascii|hex|createUnsafeArrayBuffer|isUtf8)/i.test(fn))) return 'Buffer / strings (node)';
  if (/^node:internal\/crypto/.test(url)) return 'node crypto (hash)';
  if (url === '' && /^(readFileUtf8|dlopen|internalModule|compileFunction|Module|readdir|lstat|openFileHandle)/.test(fn) || /^node:internal\/modules/.test(url)) return 'start-up (module loading)';
  if (url.startsWith('node:')) return 'node (other)';
  if (url === '') return 'native (other)';
  return 'other';
}

export function split(p: Profile): { total: number; buckets: Map<string, number>; fns: Map<string, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const buckets = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const b = bucketOf(n.callFrame.url, n.callFrame.functionName);
    buckets.set(b, (buckets.get(b) ?? 0) + us);
    if (b !== 'idle') total += us;
    const f = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/(node_modules|engine)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    fns.set(f, (fns.get(f) ?? 0) + us);
  }
  return { total, buckets, fns };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('profile-split.ts')) {
  for (const file of positionals) {
    const { total, buckets, fns } = split(JSON.parse(readFileSync(file, 'utf8')) as Profile);
    console.log(`${file}: busy ${(total / 1000).toFixed(0)} ms (idle ${((buckets.get('idle') ?? 0) / 1000).toFixed(0)} ms)`);
    for (const [b, us] of [...buckets].filter(([b]) => b !== 'idle').sort((a, b) => b[1] - a[1])) {
      console.log(`  ${b.padEnd(34)} ${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %`);
    }
    console.log('  top functions (self):');
    for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) {
      console.log(`    ${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${f}`);
    }
  }
}
