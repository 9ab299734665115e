import { type Charge, lineageText, type Udr } from '../../../engine/core/types.ts';
import { type CompiledCatalog, loadCatalogText } from '../../../engine/rating/catalog.ts';
import { formatMoney } from '../../../engine/core/money.ts';
import { Rater } from '../../../engine/rating/rater.ts';

export function udr(p: Partial<Udr> & { id: string }): Udr {
  return { feed: 't', usageClass: 'voice', account: 'acme', service: '', ratingKey: 'acme', startTime: Date.parse('2025-03-03T12:00:00Z'), quantity: 0, unit: 'ms',
    origin: '', destination: '', attrs: {}, source: `t:${p.id}`, rulesVersion: 'r', ...p };
}

/** a traced charge's lineage without its steps, as JSON.stringify writes it (what the untraced lineage expanded must equal) */
export function untracedText(c: Charge): string {
  const o = JSON.parse(lineageText(c)) as Record<string, unknown>;
  delete o.steps;
  return JSON.stringify(o);
}

/** a catalog with one plan whose rates are given as YAML flow lines */
export function catalogWith(rates: string[], extra = ''): string {
  return `kind: catalog\nname: t\ncurrency: EUR\ntimezone: UTC\n${extra}\nproducts:\n  - id: p\n    plans:\n      - id: plan\n        rates:\n${rates.map((r) => `          - ${r}`).join('\n')}\naccounts:\n  - { id: acme, plan: plan }\n`;
}

export function rateAll(text: string, udrs: Udr[]) {
  const r = new Rater(loadCatalogText(text));
  const res = r.rate(udrs);
  return { res, amounts: res.charges.map((c) => formatMoney(c.amount)), rater: r };
}

/** the tariff of test/fixtures/cgrates-w2 as a native catalog (PEAK from 08:00, off-peak before; equal weights) */
export function w2Catalog(mode: 'increment' | 'cgrates', decimals = 5): string {
  const steps = (a: string, b: string, c: string) => `[{ from: "0", price: "${a}", increment: 60s }, { from: 60s, price: "${b}", increment: 1s }, { from: 600s, price: "${c}", increment: 1s }]`;
  return `kind: catalog
name: w2
currency: EUR
timezone: UTC
window-split: ${mode}
cgrates-rounding-decimals: "${decimals}"
windows: { OP: { from: "00:00" }, PK: { from: "08:00" } }
products:
  - id: p
    plans:
      - id: plan
        rates:
          - { id: pk, usage-class: voice, window: PK, weight: 10, per: 60s, connect-fee: "0.05", rounding: { mode: up, decimals: 4 }, steps: ${steps('0.1375', '0.11', '0.0825')} }
          - { id: op, usage-class: voice, window: OP, weight: 10, per: 60s, connect-fee: "0.05", rounding: { mode: up, decimals: 4 }, steps: ${steps('0.0688', '0.055', '0.0412')} }
accounts: [{ id: acme, plan: plan }]
`;
}

/** deterministic UDRs for a catalog: its accounts, services, usage classes/units/measures and destination prefixes */
export function generateUdrs(cat: CompiledCatalog, from: string, days: number, n: number): Udr[] {
  let seed = 0x2545f491;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x1_0000_0000);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const kinds = new Map<string, { usageClass: string; unit: string; measures: string[] }>();
  const prefixes = new Set<string>(['+31', '+44', '1002', '49']);
  for (const p of cat.plans.values()) for (const [, ix] of p.index) for (const r of ix.rates) {
    const k = `${r.usageClass}|${r.unit}`;
    const e = kinds.get(k) ?? { usageClass: r.usageClass, unit: r.measure ? 'event' : r.unit, measures: [] };
    if (r.measure && !e.measures.includes(r.measure)) e.measures.push(r.measure);
    kinds.set(k, e);
    for (const pf of r.prefixes) prefixes.add(pf);
  }
  for (const sp of cat.sharePlans) kinds.set(`${sp.bucketClass}|${sp.unit}`, kinds.get(`${sp.bucketClass}|${sp.unit}`) ?? { usageClass: sp.bucketClass, unit: sp.unit, measures: [] });
  const kindList = [...kinds.values()].sort((a, b) => `${a.usageClass}|${a.unit}`.localeCompare(`${b.usageClass}|${b.unit}`));
  const prefixList = [...prefixes].sort();
  const services = [...cat.services.values()].sort((a, b) => a.id.localeCompare(b.id));
  const accounts = new Set<string>([...cat.accounts.keys(), ...cat.assignments.keys(), ...cat.assignmentPatterns.map((p) => `${p.prefix}9999`), 'nobody']);
  const accountList = [...accounts].sort();
  const t0 = Date.parse(from);
  const span = Math.max(1, Math.floor(days * 86_400_000));
  const out: Udr[] = [];
  for (let i = 0; i < n; i++) {
    const k = pick(kindList);
    const svc = services.length && rnd() < 0.7 ? pick(services) : undefined;
    const account = svc ? svc.account : pick(accountList);
    // a third of the calls start just before an hour boundary (window changes are mostly on the hour)
    let start = t0 + Math.floor(rnd() * span);
    if (rnd() < 0.33) start = Math.ceil(start / 3_600_000) * 3_600_000 - Math.floor(rnd() * 900_000);
    const unit = k.unit;
    const quantity = unit === 'ms' ? (rnd() < 0.05 ? 0 : Math.floor(rnd() * 1_500_000))
      : unit === 'byte' ? Math.floor(rnd() * 5_000_000) : 1 + Math.floor(rnd() * 4);
    const attrs: Record<string, string> = {};
    for (const m of k.measures) attrs[m] = String(Math.floor(rnd() * 5000));
    if (rnd() < 0.2) attrs.country = pick(['NL', 'DE', 'US']);
    if (rnd() < 0.2) attrs.roaming = 'true';
    const destination = rnd() < 0.9 ? `${pick(prefixList)}${Math.floor(rnd() * 1e6)}` : '';
    out.push({ id: `g${i}`, feed: 'golden', usageClass: k.usageClass, account, service: svc?.id ?? '', ratingKey: account, startTime: start, quantity, unit,
      origin: '', destination, attrs, source: `golden:${i}`, rulesVersion: 'g' });
  }
  return out;
}
