import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divRound, parseMoney } from '../../engine/core/money.ts';
import { lineageText, type Udr } from '../../engine/core/types.ts';
import { loadCatalogText } from '../../engine/rating/catalog.ts';
import { authorize } from '../../engine/rating/authorize.ts';
import { readBalance } from '../../engine/rating/balances.ts';
import { fullLineageText } from '../../engine/rating/steps/lineage.ts';
import { Rater } from '../../engine/rating/rater.ts';
import { w2Catalog } from '../unit/rating/helpers.ts';

const base = (p: Partial<Udr> & { id: string }): Udr => ({ feed: 't', usageClass: 'voice', account: 'acme', service: '', ratingKey: 'acme', startTime: 0, quantity: 0,
  unit: 'ms', origin: '', destination: '', attrs: {}, source: `p:${p.id}`, rulesVersion: 'r', ...p });

const MIXED = `kind: catalog
name: mixed
currency: EUR
timezone: Europe/Amsterdam
destinations: { NL: ["+31"], MOB: ["+316"] }
windows: { peak: { days: [mon, tue, wed, thu, fri], from: "08:00", to: "19:00" } }
products:
  - id: p
    plans:
      - id: plan
        rates:
          - { id: mob-peak, usage-class: voice, destinations: [MOB], window: peak, weight: 5, price: "0.30", per: 60s, increments: 30s/6s, connect-fee: "0.05" }
          - { id: mob, usage-class: voice, destinations: [MOB], price: "0.10", per: 60s, increments: 60s/1s, max-cost: { amount: "1.00", strategy: free } }
          - { id: nl, usage-class: voice, destinations: [NL], price: "0.05", per: 60s, increments: 60s/60s, min-cost: "0.01" }
          - { id: any, usage-class: voice, price: "0.99", per: 60s, increments: 1s/1s, rounding: { mode: half-even, decimals: 2 } }
          - { id: data, usage-class: data, unit: byte, model: graduated, basis: period, tiers: [{ up-to: 1MB, price: "0.02", per: 1kB }, { up-to: inf, price: "0.001", per: 1kB }] }
          - { id: sms, usage-class: sms, unit: event, model: volume, tiers: [{ up-to: "10", price: "0.10" }, { up-to: inf, price: "0.05" }] }
          - { id: blk, usage-class: blk, unit: byte, model: package, size: 1MB, price: "3" }
          - { id: fee, usage-class: fee, unit: event, model: flat, price: "0.5" }
accounts: [{ id: acme, plan: plan }]
`;

const udrArb = fc.record({
  kind: fc.constantFrom('voice', 'data', 'sms', 'blk', 'fee'),
  dest: fc.constantFrom('+31612', '+3120', '+44', ''),
  q: fc.integer({ min: 0, max: 3_600_000 }),
  t: fc.integer({ min: Date.parse('2025-03-01T00:00:00Z'), max: Date.parse('2025-04-30T00:00:00Z') }),
});

function toUdrs(xs: { kind: string; dest: string; q: number; t: number }[]): Udr[] {
  return xs.map((x, i) => base({ id: `u${i}`, usageClass: x.kind, unit: x.kind === 'voice' ? 'ms' : x.kind === 'data' || x.kind === 'blk' ? 'byte' : 'event', destination: x.dest,
    quantity: x.kind === 'sms' || x.kind === 'fee' ? x.q % 50 : x.q, startTime: x.t }));
}

describe('rating properties', () => {
  const cat = loadCatalogText(MIXED);
  it('no charge is ever negative', () => {
    fc.assert(fc.property(fc.array(udrArb, { maxLength: 40 }), (xs) => {
      const res = new Rater(cat).rate(toUdrs(xs));
      return res.charges.every((c) => c.amount >= 0n);
    }), { numRuns: 300 });
  });
  it('the same input twice gives identical output (ids, amounts, lineage, state)', () => {
    fc.assert(fc.property(fc.array(udrArb, { maxLength: 40 }), (xs) => {
      const a = new Rater(cat), b = new Rater(cat);
      const ra = a.rate(toUdrs(xs)), rb = b.rate(toUdrs(xs));
      expect(rb).toEqual(ra);
      expect(b.snapshot()).toBe(a.snapshot());
    }), { numRuns: 200 });
  });
  it('state survives snapshot/restore: rating in two batches with a restore in between equals one batch', () => {
    fc.assert(fc.property(fc.array(udrArb, { maxLength: 30 }), fc.nat(), (xs, cut) => {
      const udrs = toUdrs(xs);
      const k = udrs.length ? cut % (udrs.length + 1) : 0;
      const whole = new Rater(cat).rate(udrs).charges;
      const first = new Rater(cat);
      const c1 = first.rate(udrs.slice(0, k)).charges;
      const c2 = new Rater(cat, first.snapshot()).rate(udrs.slice(k)).charges;
      expect([...c1, ...c2]).toEqual(whole);
    }), { numRuns: 150 });
  });

  const POOL = `kind: catalog
name: pool
currency: EUR
timezone: UTC
service-types: [{ id: sms, states: { active: active } }]
share-plans:
  - { id: pool, bucket-class: sms, unit: event, level: parent, participating: { service-types: [sms] }, contributions: [{ plans: [small], amount: "7" }, { plans: [big], amount: "19" }], growth: variable, size: "3", overage-price: { price: "0.05" } }
products: [{ id: p, plans: [{ id: small, rates: [{ id: s, usage-class: sms, unit: event, model: flat, price: "0.1" }] }, { id: big, rates: [{ id: s, usage-class: sms, unit: event, model: flat, price: "0.1" }] }] }]
accounts:
  - { id: top, services: [{ id: t1, type: sms, plan: big }] }
  - { id: kid1, parent: top, services: [{ id: k1, type: sms, plan: small }] }
  - { id: kid2, parent: kid1, services: [{ id: k2, type: sms, plan: small }] }
  - { id: solo, services: [{ id: s1, type: sms, plan: small }] }
`;
  it('pool consumption never exceeds the pool in a period', () => {
    const pc = loadCatalogText(POOL);
    const svc = { t1: 'top', k1: 'kid1', k2: 'kid2', s1: 'solo' } as const;
    fc.assert(fc.property(fc.array(fc.record({ s: fc.constantFrom('t1', 'k1', 'k2', 's1'), q: fc.integer({ min: 0, max: 12 }), m: fc.integer({ min: 0, max: 2 }), d: fc.integer({ min: 1, max: 28 }) }), { maxLength: 60 }), (xs) => {
      const r = new Rater(pc);
      const res = r.rate(xs.map((x, i) => base({ id: `s${i}`, usageClass: 'sms', unit: 'event', service: x.s, account: svc[x.s], quantity: x.q, startTime: Date.UTC(2025, x.m, x.d) })));
      const inPool = new Map<string, number>();
      for (const c of res.charges) {
        const l = JSON.parse(lineageText(c));
        if (c.rateId === 'pool:pool') inPool.set(l.debits[0].pool, (inPool.get(l.debits[0].pool) ?? 0) + c.quantity);
      }
      for (const [k, p] of Object.entries(r.state.pools)) {
        expect(p.used).toBeLessThanOrEqual(p.size);
        expect(inPool.get(k) ?? 0).toBe(p.used);
        expect(p.size).toBe(k.startsWith('pool|top|') ? 3 + 19 + 7 + 7 : 3 + 7);
      }
      // every unit is either in a pool or overage
      const q = xs.reduce((s, x) => s + x.q, 0);
      expect(res.charges.reduce((s, c) => s + c.quantity, 0)).toBe(q);
    }), { numRuns: 200 });
  });

  it('a call split at any point by a window boundary agrees with the documented increment rule', () => {
    // rule: increments are laid end to end from the start of the usage (first, then subsequent); each is priced by the
    // rate in force at the instant it starts; the exact sum is rounded once.
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 900_000 }), fc.integer({ min: 0, max: 600_000 }),
      fc.constantFrom('up', 'down', 'half-up', 'half-even'),
      (firstS, nextS, q, before, mode) => {
        const text = `kind: catalog\nname: w\ncurrency: EUR\ntimezone: UTC\nwindows: { peak: { from: "08:00", to: "19:00" } }\nproducts:\n  - id: p\n    plans:\n      - id: plan\n        rates:\n` +
          `          - { id: peak, usage-class: voice, window: peak, weight: 1, price: "0.37", per: 60s, increments: ${firstS}s/${nextS}s, rounding: { mode: ${mode}, decimals: 3 } }\n` +
          `          - { id: off, usage-class: voice, price: "0.11", per: 60s, increments: ${firstS}s/${nextS}s, rounding: { mode: ${mode}, decimals: 3 } }\naccounts: [{ id: acme, plan: plan }]\n`;
        const boundary = Date.parse('2025-03-03T19:00:00Z');
        const start = boundary - before;
        const res = new Rater(loadCatalogText(text)).rate([base({ id: 'c', startTime: start, quantity: q })]);
        // reference walk
        let pos = 0, n = 0n;
        const first = firstS * 1000, next = nextS * 1000;
        while (pos < q) {
          const inc = pos < first ? first : next;
          const t = start + pos;
          const price = t < boundary && t >= Date.parse('2025-03-03T08:00:00Z') ? 3_700_000_000n : 1_100_000_000n;
          n += price * BigInt(inc);
          pos += inc;
        }
        const step = 10n ** 7n;
        const want = divRound(n, 60_000n * step, mode as never) * step;
        expect(res.charges[0]!.amount).toBe(want);
        expect(res.charges[0]!.quantity).toBe(pos);
      }), { numRuns: 500 });
  });

  it('window-split (both modes): a split call\'s parts add up to its charge, and neither depends on where the batch was cut', () => {
    // calls around the off-peak → peak change at 08:00 (inside and across the 60 s / 600 s steps) and midnight
    const callArb = fc.record({ at: fc.integer({ min: -1_500_000, max: 1_500_000 }), q: fc.integer({ min: 0, max: 2_400_000 }), night: fc.boolean() });
    const peak = Date.parse('2026-10-09T08:00:00Z'), midnight = Date.parse('2026-10-10T00:00:00Z');
    for (const mode of ['increment', 'cgrates'] as const) {
      const cat = loadCatalogText(w2Catalog(mode));
      fc.assert(fc.property(fc.array(callArb, { minLength: 1, maxLength: 12 }), fc.nat(), (xs, cutAt) => {
        const udrs = xs.map((x, i) => base({ id: `c${i}`, startTime: (x.night ? midnight : peak) + x.at, quantity: x.q }));
        const cut = cutAt % (udrs.length + 1);
        const whole = new Rater(cat).rate(udrs);
        const split = new Rater(cat);
        const parts = [...split.rate(udrs.slice(0, cut)).charges, ...split.rate(udrs.slice(cut)).charges];
        expect(parts).toEqual(whole.charges);
        expect(whole.rejects).toEqual([]);
        for (const c of whole.charges) {
          const l = JSON.parse(fullLineageText(c)) as { segments?: { from: number; to: number; billed: number; cost?: string }[]; connectFee: string; rounding: string };
          const segs = l.segments ?? [];
          if (c.quantity === 0) continue;
          // the parts tile the billed usage from 0 without gap or overlap
          expect(segs.reduce((n, s) => n + s.billed, 0)).toBe(c.quantity);
          segs.forEach((s, i) => expect(s.from).toBe(i ? segs[i - 1]!.from + segs[i - 1]!.billed : 0));
          if (mode === 'cgrates') {
            // cgrates: the rounded part costs + connect fee, rounded up to 4, is the charge
            const sum = segs.reduce((n, s) => n + parseMoney(s.cost!), parseMoney(l.connectFee));
            expect(c.amount).toBe(divRound(sum, 10n ** 6n, 'up') * 10n ** 6n);
          }
        }
      }), { numRuns: 150 });
    }
  });
});


// ---------------------------------------------------------------- money balances (catalog `balances`)

const BAL_UDRS = fc.array(fc.record({
  who: fc.constantFrom('a', 'b'),
  kind: fc.constantFrom('voice', 'data', 'sms'),
  q: fc.integer({ min: 0, max: 1_200_000 }),
  day: fc.integer({ min: 1, max: 28 }),
}), { maxLength: 25 });

const BAL_PARAMS = fc.record({
  initial: fc.integer({ min: 0, max: 300 }),
  topUp: fc.integer({ min: 0, max: 300 }),
  topUpDay: fc.integer({ min: 1, max: 28 }),
  expiryDay: fc.integer({ min: 2, max: 29 }),
  credit: fc.integer({ min: 0, max: 100 }),
  allowNegative: fc.boolean(),
  group: fc.constantFrom('none', 'lowest-first', 'highest-first', 'group'),
});

type BalParams = { initial: number; topUp: number; topUpDay: number; expiryDay: number; credit: number; allowNegative: boolean; group: string };
const cents = (n: number) => `${Math.trunc(n / 100)}.${String(n % 100).padStart(2, '0')}`;
const dayOf = (d: number) => `2025-03-${String(d).padStart(2, '0')}`;

/** voice with a connect fee, data with a 1 MB bundle then 100 kB increments, sms; one prepaid (or postpaid) balance per account, maybe grouped */
function balanceCatalog(p: BalParams): string {
  const funding = `initial: "${cents(p.initial)}", expiry: "${dayOf(p.expiryDay)}", credit-limit: "${cents(p.credit)}", allow-negative: ${p.allowNegative}, top-ups: [{ id: t, amount: "${cents(p.topUp)}", effective: "${dayOf(p.topUpDay)}" }]`;
  const accounts = p.group === 'group' ? '' : `    - { account: a, ${funding} }\n    - { account: b, ${funding} }\n`;
  const groups = p.group === 'none' ? '' : `  groups:\n    - { id: g, strategy: ${p.group}, members: [a, b]${p.group === 'group' ? `, ${funding}` : ''} }\n`;
  return `kind: catalog
name: bal
currency: EUR
timezone: UTC
service-types: [{ id: sim, states: { active: active } }]
share-plans:
  - { id: bundle, bucket-class: data, unit: byte, participating: { service-types: [sim] }, size: 1MB }
products:
  - id: p
    plans:
      - id: plan
        rates:
          - { id: voice, usage-class: voice, price: "0.10", per: 60s, increments: 60s/1s, connect-fee: "0.03" }
          - { id: data, usage-class: data, unit: byte, price: "0.02", per: 100kB, increments: 100kB/100kB }
          - { id: sms, usage-class: sms, unit: event, price: "0.07" }
accounts:
  - { id: a, services: [{ id: sa, type: sim, plan: plan, since: "2025-01-01" }] }
  - { id: b, services: [{ id: sb, type: sim, plan: plan, since: "2025-01-01" }] }
balances:
  accounts:
${accounts || '    []\n'}${groups}`.replace('  accounts:\n    []\n', '  accounts: []\n');
}

const balUdr = (x: { who: string; kind: string; q: number; day: number }, i: number) => base({ id: `b${i}`, account: x.who, ratingKey: x.who, service: `s${x.who}`, usageClass: x.kind,
  unit: x.kind === 'voice' ? 'ms' : x.kind === 'data' ? 'byte' : 'event', quantity: x.kind === 'sms' ? x.q % 20 : x.kind === 'data' ? x.q * 2 : x.q, startTime: Date.parse(`${dayOf(x.day)}T12:00:00Z`) });

describe('money balance properties', () => {
  it('a balance never goes below -credit-limit unless allow-negative; debited + uncovered = charged', () => {
    let exhausted = 0;
    fc.assert(fc.property(BAL_PARAMS, BAL_UDRS, (p, xs) => {
      const cat = loadCatalogText(balanceCatalog(p));
      const rater = new Rater(cat);
      let charged = 0n, debited = 0n, uncovered = 0n;
      xs.forEach((x, i) => {
        const u = balUdr(x, i);
        const res = rater.rate([u]);
        for (const c of res.charges) {
          charged += c.amount;
          const b = JSON.parse(lineageText(c)).balance as { debits: { debit: string }[]; uncovered?: string } | undefined;
          if (c.amount !== 0n) expect(b).toBeDefined();
          for (const d of b?.debits ?? []) debited += parseMoney(d.debit);
          if (b?.uncovered) uncovered += parseMoney(b.uncovered);
        }
        for (const bal of [...cat.balances.accounts.values(), ...[...cat.balances.groups.values()].flatMap((g) => (g.own ? [g.own] : []))]) {
          const r = readBalance(rater.state, bal, u.startTime);
          if (!bal.allowNegative) expect(r.balance).toBeGreaterThanOrEqual(-bal.creditLimit);
        }
      });
      expect(debited + uncovered).toBe(charged);
      if (p.allowNegative) expect(uncovered).toBe(0n);
      if (uncovered > 0n) exhausted++;
    }), { numRuns: 150, seed: 11 });
    // the generated cases do reach the floor (the property is not vacuous)
    expect(exhausted).toBeGreaterThan(10);
  });

  it('authorize: the maximum usage, rated, is covered by the balance (+credit limit); one unit more is not when the balance limits it', () => {
    const limits = new Set<string>();
    fc.assert(fc.property(BAL_PARAMS, BAL_UDRS, fc.constantFrom('a', 'b'), fc.integer({ min: 1, max: 28 }), fc.constantFrom('+31', ''), (p, xs, who, day, dest) => {
      const cat = loadCatalogText(balanceCatalog({ ...p, allowNegative: false }));
      const rater = new Rater(cat);
      rater.rate(xs.map(balUdr));
      const snap = rater.snapshot();
      const start = Date.parse(`${dayOf(day)}T18:00:00Z`);
      const auth = authorize(cat, snap, { account: who, destination: dest, start, caps: { ms: 3_600_000, byte: 50_000_000, event: 10_000 } });
      expect(auth.classes.map((c) => c.usageClass).sort()).toEqual(['data', 'sms', 'voice']);
      for (const c of auth.classes) {
        const probe = (q: number) => {
          const r = new Rater(cat, snap);
          const res = r.rate([base({ id: `auth-${c.usageClass}-${q}`, account: who, ratingKey: who, service: `s${who}`, usageClass: c.usageClass, unit: c.unit, destination: dest, quantity: q, startTime: start })]);
          expect(res.rejects).toEqual([]);
          return { r, res, uncovered: res.charges.some((ch) => JSON.parse(lineageText(ch)).balance?.status === 'exhausted') };
        };
        const at = probe(c.maxUsage);
        expect(at.uncovered).toBe(false);
        for (const bal of cat.balances.accounts.values()) expect(readBalance(at.r.state, bal, start).balance).toBeGreaterThanOrEqual(-bal.creditLimit);
        if (c.limit === 'balance') expect(probe(c.maxUsage + 1).uncovered).toBe(true);
        limits.add(`${c.usageClass}:${c.limit}`);
      }
    }), { numRuns: 40, seed: 7 });
    expect([...limits].filter((l) => l.endsWith(':balance')).sort()).toEqual(['data:balance', 'sms:balance', 'voice:balance']);
  });
});
