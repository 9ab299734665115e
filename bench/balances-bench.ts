/**
 * Money balances: the cost of the balance-debit step, and of authorize. The same catalog and records rated with and
 * without a `balances` section (each in its own process run): 10k accounts (the YAML loader refuses a catalog much larger), each with a prepaid balance (initial +
 * a top-up effective mid-month; default low threshold at 20 %; every 10th account postpaid with a credit limit; accounts in pairs sharing a
 * lowest-first group every 5th pair), voice / sms / data with a data pool, Zipf(1.0) usage over the accounts in time
 * order over one month; only `rate` is timed. Then `authorize` calls (all classes, the state after the run) are timed.
 *   npx tsx bench/balances-bench.ts [balances|none] [records=1000000] [batch=8192] [accounts=10000] [authorize-calls=200]
 */
import { lineageText, type Udr } from '../engine/core/types.ts';
import { authorize } from '../engine/rating/authorize.ts';
import { loadCatalogText } from '../engine/rating/catalog.ts';
import { Rater } from '../engine/rating/rater.ts';
import { rateTimed } from './timed-rate.ts';

const MODE = process.argv[2] ?? 'balances';
const N = Number(process.argv[3] ?? 1_000_000);
const BATCH = Number(process.argv[4] ?? 8192);
const ACCOUNTS = Number(process.argv[5] ?? 10_000);
const AUTH = Number(process.argv[6] ?? 200);
if (MODE !== 'balances' && MODE !== 'none') throw new Error('mode: balances or none');

function catalogText(): string {
  const l = ['kind: catalog', 'name: balances-bench', 'currency: EUR', 'timezone: UTC',
    'service-types: [{ id: line, states: { active: active } }]',
    'share-plans: [{ id: data-pool, bucket-class: data, unit: byte, participating: { service-types: [line] }, size: 100MB }]',
    'products:', '  - id: mobile', '    plans:', '      - id: plan', '        rates:',
    '          - { id: intl, usage-class: voice, prefixes: ["+44", "+49", "+1"], price: "0.35", per: 60s, increments: 60s/1s, connect-fee: "0.02" }',
    '          - { id: voice, usage-class: voice, price: "0.09", per: 60s, increments: 60s/1s }',
    '          - { id: sms, usage-class: sms, unit: event, price: "0.08" }',
    '          - { id: data, usage-class: data, unit: byte, price: "0.01", per: 1MB, increments: 1kB/1kB }',
    'accounts:'];
  for (let a = 0; a < ACCOUNTS; a++) l.push(`  - { id: A${a}, services: [{ id: S${a}, type: line, plan: plan, since: "2026-01-01" }] }`);
  if (MODE === 'balances') {
    l.push('balances:', '  accounts:');
    for (let a = 0; a < ACCOUNTS; a++) {
      l.push(a % 10 === 9
        ? `    - { account: A${a}, initial: "0", credit-limit: "50.00", allow-negative: true }`
        : `    - { account: A${a}, initial: "${5 + (a % 20)}", top-ups: [{ amount: "10", effective: "2026-03-15" }] }`);
    }
    l.push('  groups:');
    for (let a = 0; a + 1 < ACCOUNTS; a += 10) l.push(`    - { id: G${a}, strategy: lowest-first, members: [A${a}, A${a + 1}] }`);
  }
  return l.join('\n');
}

const cat = loadCatalogText(catalogText(), 'balances-bench');
const cdf = new Float64Array(ACCOUNTS);
{
  let s = 0;
  for (let i = 0; i < ACCOUNTS; i++) { s += 1 / (i + 1); cdf[i] = s; }
  for (let i = 0; i < ACCOUNTS; i++) cdf[i]! /= s;
}
let seed = 11;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x1_0000_0000);
function zipf(): number {
  const x = rnd();
  let lo = 0, hi = ACCOUNTS - 1;
  while (lo < hi) { const m = (lo + hi) >> 1; if (cdf[m]! < x) lo = m + 1; else hi = m; }
  return (lo * 7919) % ACCOUNTS;
}
const T0 = Date.parse('2026-03-01T00:00:00Z');
const SPAN = 30 * 86_400_000;
const DEST = ['+31201234567', '+31612345678', '+442071234567', '+4930123456', '+12125550100'];
function makeBatch(off: number, n: number): Udr[] {
  const out: Udr[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = off + i;
    const a = zipf();
    const r = rnd();
    const startTime = T0 + Math.floor((k / N) * SPAN);
    let usageClass: string, unit: string, quantity: number, destination = '';
    if (r < 0.25) { usageClass = 'data'; unit = 'byte'; quantity = Math.floor(rnd() * 5_000_000); }
    else if (r < 0.5) { usageClass = 'sms'; unit = 'event'; quantity = 1; }
    else { usageClass = 'voice'; unit = 'ms'; quantity = Math.floor(rnd() * 600_000); destination = DEST[Math.floor(rnd() * DEST.length)]!; }
    out[i] = { id: `r${k}`, feed: 'bench', usageClass, account: `A${a}`, service: `S${a}`, ratingKey: `A${a}`, startTime, quantity, unit, origin: '', destination, attrs: {}, source: `bench:${k}`, rulesVersion: 'b' };
  }
  return out;
}

const rater = new Rater(cat);
let exhausted = 0;
const { charges, stateChanges, events, cpuUs, wall } = rateTimed(rater, N, BATCH, makeBatch, (r) => {
  for (const ch of r.charges) if (lineageText(ch).includes('"status":"exhausted"')) exhausted++;
});
// authorize: every usage class of an account (Zipf-picked: the busy ones have state), from the state after the run
let authMs = 0;
if (AUTH > 0) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < AUTH; i++) authorize(cat, rater.state, { account: `A${zipf()}`, destination: DEST[i % DEST.length]!, start: T0 + SPAN });
  const c = process.cpuUsage(c0);
  authMs = (c.user + c.system) / 1000 / AUTH;
}
console.log(JSON.stringify({
  mode: MODE, records: N, batch: BATCH, accounts: ACCOUNTS, charges, exhaustedCharges: exhausted, stateChanges, events,
  balancesInState: Object.keys(rater.state.balances ?? {}).length, wallSeconds: +wall.toFixed(2), recordsPerSecond: Math.round(N / wall),
  cpuSecondsPerMillion: +(cpuUs / 1e6 / (N / 1e6)).toFixed(2), authorizeCalls: AUTH, authorizeCpuMsPerCall: +authMs.toFixed(1),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), node: process.version,
}));
