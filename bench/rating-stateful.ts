/**
 * Stateful rating throughput: 100k subscribers (services) under 20k accounts (a quarter of them children of another
 * account), share-plan pools (an SMS pool per account tree growing with its lines, a data pool per account), service
 * states (some lines suspended: a rate for suspended lines), bill-on-first-use IoT SIMs (counters until 1 MB, then the
 * activation charge; provisioned by service events), and Zipf-skewed usage (a few lines make most records). Voice is windowed (peak/off-peak).
 * UDRs arrive in time order over one month; each batch is generated before it is timed (only `rate` is timed).
 *   npx tsx bench/rating-stateful.ts [records=1000000] [batch=8192] [subscribers=100000] [--hash]
 * `--hash`: also print `outputSha256`, a sha256 of everything the timed batches produced (each charge with its lineage
 * text, state changes, events, timeline rows), hashed outside the timed part — to check a change keeps outputs identical.
 */
import { createHash } from 'node:crypto';
import { loadCatalogText } from '../engine/rating/catalog.ts';
import { Rater, type ServiceEvent } from '../engine/rating/rater.ts';
import { lineageText, type Udr } from '../engine/core/types.ts';
import { rateTimed } from './timed-rate.ts';

const argv = process.argv.slice(2);
const HASH = argv.includes('--hash');
const pos = argv.filter((a) => !a.startsWith('--'));
const N = Number(pos[0] ?? 1_000_000);
const BATCH = Number(pos[1] ?? 8192);
const SUBS = Number(pos[2] ?? 100_000);
const ACCOUNTS = Math.max(1, Math.floor(SUBS / 5));

function catalogText(): string {
  const l: string[] = [];
  l.push('kind: catalog', 'name: stateful-bench', 'currency: EUR', 'timezone: Europe/Amsterdam',
    'windows:', '  peak: { days: [mon, tue, wed, thu, fri], from: "08:00", to: "19:00" }',
    'service-types:',
    '  - id: line',
    '    states: { active: active, suspended: suspended, cancelled: cancelled }',
    '    transitions: [{ from: "[New]", to: active }, { from: active, to: suspended }, { from: suspended, to: active }]',
    '  - id: sim',
    '    states: { pre-active: prospect, active: active }',
    '    transitions: [{ from: "[New]", to: pre-active }, { from: pre-active, to: active, charge: "5.00" }]',
    '    bill-on-first-use: { usage-class: data, unit: byte, threshold: 1MB, period: 30d }',
    'share-plans:',
    '  - { id: sms-pool, bucket-class: sms, unit: event, level: parent, participating: { service-types: [line] }, contributions: [{ service-types: [line], amount: "50" }], growth: variable }',
    '  - { id: data-pool, bucket-class: data, unit: byte, level: account, participating: { service-types: [line, sim] }, size: 200MB }',
    'products:', '  - id: mobile', '    plans:', '      - id: line-plan', '        rates:');
  for (let i = 0; i < 50; i++) {
    const pf = `+${31 + (i % 20)}${i}`;
    l.push(`          - { id: pk${i}, usage-class: voice, prefixes: ["${pf}"], window: peak, weight: 10, price: "0.${String(10 + i).padStart(2, '0')}", per: 60s, increments: 60s/6s, connect-fee: "0.02" }`);
    l.push(`          - { id: op${i}, usage-class: voice, prefixes: ["${pf}"], price: "0.0${(i % 9) + 1}", per: 60s, increments: 60s/6s }`);
  }
  l.push('          - { id: voice-any, usage-class: voice, price: "0.25", per: 60s, increments: 60s/60s }',
    '          - { id: voice-suspended, usage-class: voice, service-states: [suspended], weight: 20, price: "0", per: 60s }',
    '          - { id: sms, usage-class: sms, unit: event, price: "0.08" }',
    '          - { id: data, usage-class: data, unit: byte, price: "0.01", per: 1MB, increments: 1kB/1kB, rounding: { mode: half-even, decimals: 4 } }',
    '      - id: sim-plan', '        rates:',
    '          - { id: iot-data, usage-class: data, unit: byte, price: "0.005", per: 1MB, increments: 1kB/1kB }',
    'accounts:');
  for (let a = 0; a < ACCOUNTS; a++) l.push(a % 4 === 3 ? `  - { id: A${a}, parent: A${a - 1} }` : `  - { id: A${a} }`);
  return l.join('\n');
}

const tLoad = process.hrtime.bigint();
const cat = loadCatalogText(catalogText(), 'stateful-bench');
const loadSeconds = Number(process.hrtime.bigint() - tLoad) / 1e9;

// Zipf(1.0) over the subscribers: CDF + binary search
const cdf = new Float64Array(SUBS);
{
  let s = 0;
  for (let i = 0; i < SUBS; i++) { s += 1 / (i + 1); cdf[i] = s; }
  for (let i = 0; i < SUBS; i++) cdf[i]! /= s;
}
let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x1_0000_0000);
// rank → subscriber (a fixed shuffle so popular lines are spread over accounts)
const perm = new Uint32Array(SUBS);
for (let i = 0; i < SUBS; i++) perm[i] = i;
for (let i = SUBS - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); const t = perm[i]!; perm[i] = perm[j]!; perm[j] = t; }
function zipf(): number {
  const x = rnd();
  let lo = 0, hi = SUBS - 1;
  while (lo < hi) { const m = (lo + hi) >> 1; if (cdf[m]! < x) lo = m + 1; else hi = m; }
  return perm[lo]!;
}

const T0 = Date.parse('2026-03-01T00:00:00Z');
const SPAN = 30 * 86_400_000;
function makeBatch(off: number, n: number): Udr[] {
  const out: Udr[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = off + i;
    const s = zipf();
    const account = `A${Math.floor(s / 5)}`;
    const sim = s % 5 === 4;
    const r = rnd();
    const startTime = T0 + Math.floor((k / N) * SPAN) + Math.floor(rnd() * 60_000);
    let usageClass: string, unit: string, quantity: number, destination = '';
    if (sim || r < 0.25) { usageClass = 'data'; unit = 'byte'; quantity = Math.floor(rnd() * (sim ? 300_000 : 5_000_000)); }
    else if (r < 0.5) { usageClass = 'sms'; unit = 'event'; quantity = 1; }
    else { usageClass = 'voice'; unit = 'ms'; quantity = Math.floor(rnd() * 900_000); const p = Math.floor(rnd() * 60); destination = `+${31 + (p % 20)}${p}${Math.floor(rnd() * 1e6)}`; }
    out[i] = { id: `r${k}`, feed: 'bench', usageClass, account, service: `S${s}`, ratingKey: account, startTime, quantity, unit, origin: '', destination, attrs: {}, source: `bench:${k}`, rulesVersion: 'b' };
  }
  return out;
}

// subscribers are provisioned (service events, as from CRM), not catalog reference data: 4 lines and 1 SIM per
// account; every 50th line suspended; SIMs wait in pre-active for their first use
const rater = new Rater(cat);
const tProv = process.hrtime.bigint();
const evs: ServiceEvent[] = [];
for (let s = 0; s < SUBS; s++) {
  const account = `A${Math.floor(s / 5)}`;
  const sim = s % 5 === 4;
  evs.push({ id: `prov-${s}`, service: `S${s}`, to: sim ? 'pre-active' : 'active', at: Date.parse('2026-02-01T00:00:00Z'), account, type: sim ? 'sim' : 'line', plan: sim ? 'sim-plan' : 'line-plan' });
  if (!sim && s % 50 === 7) evs.push({ id: `susp-${s}`, service: `S${s}`, to: 'suspended', at: Date.parse('2026-02-15T00:00:00Z') });
}
// only the rejects of the provisioning result are kept: holding its 100k changelog copies, timeline rows and events
// (≈ 70 MB) through the timed loop made every full GC of the rating mark them too (no runtime keeps a batch's result)
const provRejects = rater.applyServiceEvents(evs.splice(0)).rejects;
if (provRejects.length) throw new Error(`provisioning: ${provRejects[0]!.message}`);
const provisionSeconds = Number(process.hrtime.bigint() - tProv) / 1e9;
const hash = HASH ? createHash('sha256') : undefined;
const bigintText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
const { charges, rejects, stateChanges, events, cpuUs, wall } = rateTimed(rater, N, BATCH, makeBatch, hash && ((r) => {
  for (const c of r.charges) hash.update(JSON.stringify({ ...c, lineage: lineageText(c) }, bigintText)).update('\n');
  for (const x of r.rejects) hash.update(JSON.stringify(x)).update('\n');
  for (const x of r.stateChanges) hash.update(JSON.stringify(x)).update('\n');
  for (const x of r.events) hash.update(JSON.stringify(x)).update('\n');
  for (const x of r.stateLog) hash.update(JSON.stringify(x)).update('\n');
}));
const st = rater.state;
console.log(JSON.stringify({
  records: N, batch: BATCH, subscribers: SUBS, accounts: ACCOUNTS, catalogLoadSeconds: +loadSeconds.toFixed(1), provisionSeconds: +provisionSeconds.toFixed(1), charges, rejects, stateChanges, events,
  pools: Object.keys(st.pools).length, firstUseCounters: Object.keys(st.firstUse).length, servicesInState: Object.keys(st.services).length,
  wallSeconds: +wall.toFixed(2), recordsPerSecond: Math.round(N / wall), cpuSecondsPerMillion: +(cpuUs / 1e6 / (N / 1e6)).toFixed(2),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), node: process.version,
  ...(hash ? { outputSha256: hash.digest('hex') } : {}),
}));
