/**
 * Rating-only throughput: 1,000 destination prefixes × peak/off-peak windows × 3 steps (first minute, 1–10 min,
 * beyond), UDRs generated in memory (no I/O, no mediation); every charge carries its full lineage JSON. Prints records/s, CPU-s per million and peak RSS.
 *   npx tsx bench/rating-bench.ts [records=1000000] [batch=8192]
 */
import { loadCatalogText } from '../engine/rating/catalog.ts';
import { Rater } from '../engine/rating/rater.ts';
import { lineageText, type Udr } from '../engine/core/types.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = Number(process.argv[3] ?? 8192);

function catalogText(): string {
  const lines: string[] = [];
  lines.push('kind: catalog', 'name: bench', 'currency: EUR', 'timezone: Europe/Amsterdam', 'windows:',
    '  peak: { days: [mon, tue, wed, thu, fri], from: "08:00", to: "19:00" }', 'products:', '  - id: p', '    plans:', '      - id: plan', '        rates:');
  for (let i = 0; i < 1000; i++) {
    const prefix = `+${31 + (i % 60)}${String(100 + Math.floor(i / 60)).padStart(3, '0')}`;
    const price = (k: number) => `"0.${String(10 + ((i * 7 + k) % 80)).padStart(2, '0')}"`;
    const steps = (k: number) => `[{ from: "0", price: ${price(k)}, increment: 60s }, { from: 60s, price: ${price(k + 1)}, increment: 6s }, { from: 10min, price: ${price(k + 2)}, increment: 1s }]`;
    lines.push(`          - { id: p${i}, usage-class: voice, prefixes: ["${prefix}"], window: peak, weight: 10, per: 60s, steps: ${steps(0)} }`);
    lines.push(`          - { id: o${i}, usage-class: voice, prefixes: ["${prefix}"], per: 60s, steps: ${steps(3)} }`);
  }
  lines.push('          - { id: any, usage-class: voice, price: "0.99", per: 60s, increments: 60s/60s }', 'accounts:', '  - { id: acme, plan: plan }');
  return lines.join('\n');
}

const cat = loadCatalogText(catalogText(), 'bench-catalog');
const t0 = Date.parse('2025-03-03T00:00:00Z');
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
function makeBatch(off: number, n: number): Udr[] {
  const out: Udr[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rnd() * 1000);
    out[i] = { id: `u${off + i}`, feed: 'bench', usageClass: 'voice', account: 'acme', service: '', ratingKey: 'acme',
      startTime: t0 + Math.floor(rnd() * 7 * 86_400_000), quantity: Math.floor(rnd() * 1_200_000), unit: 'ms', origin: '',
      destination: `+${31 + (k % 60)}${String(100 + Math.floor(k / 60)).padStart(3, '0')}${Math.floor(rnd() * 1e6)}`, attrs: {}, source: `bench:${off + i}`, rulesVersion: 'b' };
  }
  return out;
}

const rater = new Rater(cat);
// warm-up
rater.rate(makeBatch(0, 20_000));
// 16 distinct batches generated up front and cycled (rating here is stateless: no pools or period tiers), so the
// timing measures rating only and memory stays flat
const pool: Udr[][] = [];
for (let i = 0; i < 16; i++) pool.push(makeBatch(i * BATCH, BATCH));
const batches: Udr[][] = [];
for (let i = 0, k = 0; i < N; i += BATCH, k++) batches.push(pool[k % pool.length]!.slice(0, Math.min(BATCH, N - i)));
const cpu0 = process.cpuUsage();
const w0 = process.hrtime.bigint();
let charges = 0, rejects = 0, split = 0;
for (const b of batches) {
  const r = rater.rate(b);
  charges += r.charges.length;
  rejects += r.rejects.length;
}
const wall = Number(process.hrtime.bigint() - w0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
for (const b of batches.slice(0, 1)) for (const c of rater.rate(b).charges) if (JSON.parse(lineageText(c)).segments?.length > 1) split++;
const rss = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ records: N, batch: BATCH, rates: 2001, charges, rejects, wallSeconds: +wall.toFixed(2), recordsPerSecond: Math.round(N / wall),
  cpuSecondsPerMillion: +(cpuS / (N / 1e6)).toFixed(2), peakRssMiB: Math.round(rss), splitAcrossWindowsInFirstBatch: split, node: process.version }));
