/**
 * CGRateS tariff plan (TP CSV: Timings, Destinations, Rates, DestinationRates, RatingPlans, RatingProfiles) → our
 * catalog, keeping CGRateS semantics with exact decimal arithmetic:
 *  - Rates rows of one ID = rate slots → per-unit `steps` (GroupIntervalStart → from, Rate per RateUnit, RateIncrement);
 *    ConnectFee of the first slot (CGRateS GetRateInterval takes RateSlots[0].ConnectFee); RateUnit/RateIncrement
 *    0 → 1s (GetRateParameters); bare numbers are units (ns in CGRateS = bytes / events for data and sms).
 *  - DestinationRates → rates with destinations (longest prefix wins; `*any` = no destination), RoundingMethod
 *    (*up → up, *down → down, *middle → half-up) and RoundingDecimals, MaxCost with *free (caps the cost) /
 *    *disconnect (a finished call keeps its price: CGRateS uses it to limit the usage a session is authorized for).
 *  - Timings → windows from StartTime to the end of the day (days, months, monthdays, years); RatingPlans bindings
 *    → rate window + weight (equal weights: the window that started most recently wins, as CGRateS' closest left
 *    margin).
 *  - RatingProfiles → time-activated assignments `tenant:subject` per category (usage class), FallbackSubjects →
 *    fallback accounts; subject *any → pattern `tenant:*any`, used when the subject has no profile or no rate.
 *  - `window-split: cgrates` and `cgrates-rounding-decimals` (CGRateS general rounding_decimals, default 5): calls
 *    are cut into CGRateS timespans — at rate-slot starts before time-of-day changes — and each timespan's cost and
 *    increment cost are rounded as CGRateS does (engine/rating/cgrates-split.ts; worked example in IMPORT.md).
 *  - account data (Actions, ActionPlans, AccountActions, SharedGroups → money balances, bundles, balance groups:
 *    cgrates-accounts.ts) and Chargers/Attributes (→ charging runs: cgrates-chargers.ts), where the catalog can
 *    express them; IMPORT.md lists every CSV kind and column and how it maps (cgrates-import-doc.ts).
 * Differences (documented in IMPORT.md): decimal arithmetic instead of float64 (an exact half at the rounding digit
 * goes up; float64 may land either side); a call crossing a RatingProfile activation time is rated with the plan
 * active at its start.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { importAccounts } from './cgrates-accounts.ts';
import { importChargers } from './cgrates-chargers.ts';
import { CATEGORY_UNITS, dec, qty, readCsv } from './cgrates-csv.ts';
import { constructsDoc, KNOWN_CSV } from './cgrates-import-doc.ts';

interface Slot { connectFee: string; rate: string; unit: string; increment: string; gis: string }

function roundingOf(method: string, decimals: string): { mode: string; decimals: string } {
  const m = method.trim();
  const mode = m === '*up' ? 'up' : m === '*down' ? 'down' : m === '*middle' ? 'half-up' : undefined;
  if (!mode) throw new Error(`unsupported RoundingMethod ${JSON.stringify(method)} (*up, *down, *middle)`);
  return { mode, decimals: String(Number(decimals || '0')) };
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function list(s: string): string[] | undefined {
  const t = (s ?? '').trim();
  if (t === '' || t === '*any') return undefined;
  return t.split(';').map((x) => x.trim()).filter(Boolean);
}

export interface ImportResult {
  catalogFile: string;
  reportFile: string;
  stats: Record<string, number>;
  notes: string[];
}

export interface ImportOptions {
  currency?: string;
  timezone?: string;
  name?: string;
  /** CGRateS general rounding_decimals of the engine whose bills must be reproduced (default 5) */
  roundingDecimals?: number;
}

export function importCgrates(dir: string, outDir: string, opts: ImportOptions = {}): ImportResult {
  const roundingDecimals = opts.roundingDecimals ?? 5;
  if (!Number.isInteger(roundingDecimals) || roundingDecimals < 0 || roundingDecimals > 10) throw new Error(`rounding decimals must be an integer from 0 to 10 (got ${opts.roundingDecimals})`);
  const tariff = ['Destinations', 'Rates', 'DestinationRates', 'RatingPlans', 'RatingProfiles'];
  if (!tariff.some((f) => existsSync(join(dir, `${f}.csv`)))) {
    throw new Error(`no CGRateS tariff CSVs found in ${dir} (expected ${tariff.map((f) => `${f}.csv`).join(', ')}; Timings.csv optional)`);
  }
  const notes: string[] = [];
  const timings = new Map<string, Record<string, unknown>>();
  const oneTimeTimings = new Set<string>();
  for (const r of readCsv(dir, 'Timings')) {
    const [id, years, months, monthdays, weekdays, time] = r;
    if (!id) continue;
    const w: Record<string, unknown> = {};
    const y = list(years!), mo = list(months!), md = list(monthdays!), wd = list(weekdays!);
    if (y) w.years = y;
    if (mo) w.months = mo;
    if (md) w.monthdays = md;
    if (wd) w.days = [...new Set(wd.map((d) => WEEKDAYS[Number(d)]!))];
    let start = (time ?? '').trim();
    if (start === '*asap' || start === '' || start === '*any') {
      if (start === '*asap') {
        oneTimeTimings.add(id);
        notes.push(`timing ${id}: StartTime *asap (an action-plan notion: run once) rated as 00:00:00 where a rating plan uses it`);
      }
      start = '00:00:00';
    }
    w.from = start;
    w.to = '24:00';
    w.description = `CGRateS timing ${id}: from ${start} to the end of the day`;
    timings.set(id, w);
  }
  const destinations = new Map<string, string[]>();
  for (const [id, prefix] of readCsv(dir, 'Destinations')) {
    if (!id || !prefix) continue;
    const l = destinations.get(id) ?? [];
    l.push(prefix);
    destinations.set(id, l);
  }
  const rates = new Map<string, Slot[]>();
  for (const [id, cf, rate, unit, inc, gis] of readCsv(dir, 'Rates')) {
    if (!id) continue;
    const l = rates.get(id) ?? [];
    l.push({ connectFee: dec(cf), rate: dec(rate), unit: unit ?? '', increment: inc ?? '', gis: gis ?? '' });
    rates.set(id, l);
  }
  const destRates = new Map<string, { dest: string; rate: string; method: string; decimals: string; maxCost: string; strategy: string }[]>();
  for (const [id, dest, rate, method, decimals, maxCost, strategy] of readCsv(dir, 'DestinationRates')) {
    if (!id) continue;
    const l = destRates.get(id) ?? [];
    l.push({ dest: dest!, rate: rate!, method: method ?? '*up', decimals: decimals ?? '4', maxCost: maxCost ?? '', strategy: strategy ?? '' });
    destRates.set(id, l);
  }
  const ratingPlans = new Map<string, { dr: string; timing: string; weight: string }[]>();
  for (const [id, dr, timing, weight] of readCsv(dir, 'RatingPlans')) {
    if (!id) continue;
    const l = ratingPlans.get(id) ?? [];
    l.push({ dr: dr!, timing: timing ?? '*any', weight: weight ?? '0' });
    ratingPlans.set(id, l);
  }
  const profiles = readCsv(dir, 'RatingProfiles').filter((r) => r[0]).map(([tenant, category, subject, activation, plan, fallback]) =>
    ({ tenant: tenant!, category: category!, subject: subject!, activation: activation!, plan: plan!, fallback: fallback ?? '' }));

  // categories per rating plan (each rate exists once per usage class that uses the plan)
  const categories = new Map<string, Set<string>>();
  for (const p of profiles) {
    const s = categories.get(p.plan) ?? new Set<string>();
    s.add(p.category);
    categories.set(p.plan, s);
  }
  const usedWindows = new Set<string>();
  const usedDest = new Set<string>();
  const plans: Record<string, unknown>[] = [];
  let rateCount = 0;
  for (const [planId, bindings] of ratingPlans) {
    const cats = [...(categories.get(planId) ?? new Set(['call']))].sort();
    if (!categories.has(planId)) notes.push(`rating plan ${planId} is not used by any rating profile; imported for usage class "call"`);
    const out: Record<string, unknown>[] = [];
    for (const cat of cats) {
      const unit = CATEGORY_UNITS[cat] ?? 'ms';
      for (const b of bindings) {
        const drs = destRates.get(b.dr);
        if (!drs) throw new Error(`RatingPlans ${planId}: unknown DestinationRates ${b.dr}`);
        if (b.timing !== '*any' && !timings.has(b.timing)) throw new Error(`RatingPlans ${planId}: unknown timing ${b.timing}`);
        if (b.timing !== '*any') usedWindows.add(b.timing);
        for (const dr of drs) {
          const slots = rates.get(dr.rate);
          if (!slots) throw new Error(`DestinationRates ${b.dr}: unknown rate ${dr.rate}`);
          const dflt = unit === 'ms' ? '1s' : '1';
          const where = `${b.dr}/${dr.rate}`;
          const steps = slots.map((s) => ({ from: qty(s.gis, unit, `${where} GroupIntervalStart`, '0'), price: s.rate, per: qty(s.unit, unit, `${where} RateUnit`, dflt), increment: qty(s.increment, unit, `${where} RateIncrement`, dflt) }));
          if (!steps.some((s) => s.from === '0')) {
            const first = steps.reduce((a, b) => (parseInt(a.from, 10) <= parseInt(b.from, 10) ? a : b));
            steps.unshift({ from: '0', price: '0', per: first.per, increment: first.from });
            notes.push(`${where}: no rate slot starts at 0 (CGRateS has no rate there); usage before ${first.from} is imported as one free increment`);
          }
          const rate: Record<string, unknown> = {
            id: `${b.dr}.${dr.dest === '*any' ? 'ANY' : dr.dest}.${b.timing === '*any' ? 'ANY' : b.timing}.${cat}`.replace(/[^A-Za-z0-9._:@+-]/g, '_'),
            description: `CGRateS ${planId}: ${b.dr} (${dr.dest} → ${dr.rate}) timing ${b.timing} weight ${b.weight}`,
            'usage-class': cat,
            unit,
          };
          if (dr.dest !== '*any') {
            if (!destinations.has(dr.dest)) throw new Error(`DestinationRates ${b.dr}: unknown destination ${dr.dest}`);
            rate.destinations = [dr.dest];
            usedDest.add(dr.dest);
          }
          if (b.timing !== '*any') rate.window = b.timing;
          rate.weight = String(Number(b.weight || '0'));
          rate['connect-fee'] = slots[0]!.connectFee;
          rate.rounding = roundingOf(dr.method, dr.decimals);
          const mc = dec(dr.maxCost);
          if (Number(mc) > 0) {
            if (dr.strategy === '*free') rate['max-cost'] = { amount: mc, strategy: 'free' };
            else if (dr.strategy === '*disconnect') rate['max-cost'] = { amount: mc, strategy: 'disconnect' };
            else notes.push(`${b.dr}: MaxCost ${mc} without a strategy has no effect in CGRateS; not imported`);
          }
          rate.model = 'per-unit';
          rate.per = steps[0]!.per;
          rate.steps = steps;
          out.push(rate);
          rateCount++;
        }
      }
    }
    plans.push({ id: planId, name: `CGRateS rating plan ${planId}`, rates: out });
  }
  const assignments = profiles.map((p) => {
    const account = p.subject === '*any' ? `${p.tenant}:*any` : `${p.tenant}:${p.subject}`;
    const fb = (p.fallback || '').split(';').map((x) => x.trim()).filter(Boolean).map((s) => (s === '*any' ? `${p.tenant}:*any` : `${p.tenant}:${s}`));
    const a: Record<string, unknown> = { account, 'usage-class': p.category, from: p.activation, plan: p.plan };
    if (fb.length) a.fallback = fb;
    if (!ratingPlans.has(p.plan)) throw new Error(`RatingProfiles ${p.tenant}:${p.category}:${p.subject}: unknown rating plan ${p.plan}`);
    return a;
  });
  // account data (balances, bundles, shared groups) and chargers (charging runs), where the catalog can express them
  const acc = importAccounts(dir, { destinations, rates, destRates, ratingPlans, profiles, oneTimeTimings }, notes);
  for (const d of acc.usedDest) usedDest.add(d);
  const chargers = importChargers(dir, notes);
  const unknownCsv = readdirSync(dir).filter((f) => f.endsWith('.csv') && !KNOWN_CSV.has(f.slice(0, -4))).sort();
  for (const f of unknownCsv) notes.push(`${f}: not a CGRateS TP file kind this importer knows; not imported`);
  const catalog = {
    kind: 'catalog',
    name: opts.name ?? `cgrates-${dir.replace(/\/+$/, '').split('/').pop()}`,
    description: `Imported from the CGRateS tariff plan in ${dir} by ratestream import-cgrates. Accounts are "tenant:subject"; usage classes are CGRateS categories.`,
    currency: opts.currency ?? 'XXX',
    timezone: opts.timezone ?? 'UTC',
    'window-split': 'cgrates',
    'cgrates-rounding-decimals': String(roundingDecimals),
    destinations: Object.fromEntries([...destinations].filter(([k]) => usedDest.has(k))),
    windows: Object.fromEntries([...timings].filter(([k]) => usedWindows.has(k))),
    products: [{ id: 'cgrates', name: 'CGRateS rating plans', plans }],
    assignments,
    ...(acc.sharePlans.length ? { 'share-plans': acc.sharePlans } : {}),
    ...(acc.balances ? { balances: acc.balances } : {}),
    ...(chargers?.runs.length ? { 'charging-runs': chargers.runs } : {}),
  };
  mkdirSync(outDir, { recursive: true });
  const catalogFile = join(outDir, 'catalog.yaml');
  writeFileSync(catalogFile, `# Generated by: ratestream import-cgrates ${dir}\n${stringify(catalog, { lineWidth: 0 })}`);
  const stats = { destinations: destinations.size, timings: timings.size, rates: rates.size, destinationRates: destRates.size, ratingPlans: ratingPlans.size, ratingProfiles: profiles.length, catalogRates: rateCount, ...acc.stats, ...(chargers?.stats ?? {}) };
  const report = [
    `# CGRateS import of ${dir}`,
    '',
    '| CGRateS | rows/ids | catalog |',
    '|---|---|---|',
    `| Destinations | ${destinations.size} ids | destinations: (${usedDest.size} used) |`,
    `| Timings | ${timings.size} | windows: (${usedWindows.size} used), StartTime → end of day |`,
    `| Rates | ${rates.size} ids | per-unit steps (GroupIntervalStart, Rate/RateUnit, RateIncrement); ConnectFee of the first slot |`,
    `| DestinationRates | ${destRates.size} ids | rates: destinations, rounding, max-cost |`,
    `| RatingPlans | ${ratingPlans.size} | plans (one rate per binding × destination × category) = ${rateCount} rates |`,
    `| RatingProfiles | ${profiles.length} | assignments (account tenant:subject, usage class = category, from = ActivationTime, fallback) |`,
    `| AccountActions → ActionPlans → Actions | ${acc.stats.accountActions} accounts | ${acc.stats.topUps} money top-ups of ${acc.stats.balanceAccounts} balances (\`balances.accounts\`); ${acc.stats.bundles} bundles (\`share-plans\`) |`,
    `| SharedGroups | ${acc.stats.balanceGroups} used | balance groups (\`balances.groups\`) |`,
    `| Chargers + Attributes | ${chargers?.stats.chargers ?? 0} chargers, ${chargers?.stats.attributeProfiles ?? 0} profiles | ${chargers?.stats.chargingRuns ?? 0} charging runs (\`charging-runs\`) |`,
    '',
    '## Semantics kept',
    '- longest destination prefix first, then the time window; equal weights: the window that started most recently (CGRateS closest left margin).',
    `- calls are priced as CGRateS timespans (catalog \`window-split: cgrates\`, \`cgrates-rounding-decimals: ${roundingDecimals}\`): see "Calls crossing a time-of-day change" below.`,
    '- connect fee once per call (the rate of the first timespan).',
    '- MaxCost with MaxCostStrategy *free → `max-cost: { strategy: free }`: the cost of the call is capped at MaxCost.',
    '- MaxCost with *disconnect → `max-cost: { strategy: disconnect }`: the price of a finished (rated) call is **not** changed; in CGRateS the strategy limits the usage a session is authorized for (the call is disconnected when its cost would reach MaxCost), which is a session-control decision, not a price: the imported cap limits the usage `ratestream authorize` allows and does not change rated charges.',
    '- subject without a profile, or without a rate for the destination and no FallbackSubjects → the tenant\'s *any profile.',
    '- rounding: CGRateS rounds the total with the method of the timespan with the most decimals (GetLongestRounding); we do the same.',
    '- unit balances (*voice/*data/*sms/*mms top-ups) → bundles: usage to the balance\'s DestinationIds is taken from it in the increments of its RatingSubject\'s rate, whose connect fee is charged even when the bundle covers the whole call; usage beyond it is rated by the plan without a second connect fee.',
    '- *monetary top-ups → the account\'s money balance, debited by every charge of the primary run (a SharedGroup: lowest/highest member first); AllowNegative / *allow_negative → `allow-negative`.',
    '',
    ...cgratesWindowSplitDoc(roundingDecimals),
    '',
    '## Differences',
    '- decimal arithmetic instead of float64: the same roundings at the same points, but an exact half at the rounding digit always goes up, where CGRateS\' float64 may land on either side of it.',
    '- a call crossing a RatingProfile ActivationTime is rated entirely with the plan active at its start (CGRateS splits it there).',
    '- balances and bundles start as the catalog\'s initial state (CGRateS: when the action plan ran); a bundle of a *monthly plan resets on calendar months (CGRateS: a month after each top-up).',
    '',
    ...constructsDoc((f) => existsSync(join(dir, `${f}.csv`))),
    ...(notes.length ? ['', '## Notes', ...notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
  const reportFile = join(outDir, 'IMPORT.md');
  writeFileSync(reportFile, report);
  return { catalogFile, reportFile, stats, notes };
}

/** IMPORT.md section: how CGRateS prices a call crossing a time-of-day change, with a worked example. */
function cgratesWindowSplitDoc(decimals: number): string[] {
  return [
    '## Calls crossing a time-of-day change',
    `The catalog has \`window-split: cgrates\` and \`cgrates-rounding-decimals: ${decimals}\` (CGRateS \`general.rounding_decimals\`, default 5; \`import-cgrates --rounding-decimals N\`). Calls in ms are priced as CGRateS timespans (engine/calldesc.go splitInTimeSpans, engine/timespans.go SplitByRateInterval, engine/rateinterval.go GetRateParameters):`,
    '1. the call is one timespan, cut at local midnight;',
    '2. each timespan, in order, is offered first the rate interval (timing + DestinationRate) in force at its start (highest weight, then the timing that started most recently), then those starting later before its end. If a rate slot of that interval starts strictly inside the timespan (GroupIntervalStart, counted from the call start), the timespan is cut there **first** and its head is finished with the interval it has; otherwise it is cut where the timing starts or ends. So a time-of-day change inside a rate slot takes effect only at the next slot start; inside the last, open-ended slot it takes effect at the change;',
    '3. a timespan shorter than (or not a multiple of) its increment grows to it and eats into the next (roundTimeSpansToIncrement);',
    '4. each timespan is priced with the one slot in force at its start offset: duration × Rate / RateUnit, rounded half-up to rounding_decimals; divided by its number of increments and rounded half-up again; timespan cost = increments × increment cost (createIncrementsSlice);',
    '5. cost = ConnectFee of the first timespan\'s rate + Σ timespan costs, rounded with the RoundingMethod/RoundingDecimals of the DestinationRate with the most decimals.',
    '',
    'Worked example (tariff in test/fixtures/cgrates-w2): PEAK Mon–Fri from 08:00:00, OFFPEAK_MORN Mon–Fri from 00:00:00 (both weight 10); RT_OP_85 = ConnectFee 0.05, 0.0688/60s in 60s increments from 0s, 0.0550/60s in 1s from 60s, 0.0412/60s in 1s from 600s; RT_PK_85 = 0.1375, 0.1100, 0.0825 on the same slots; *up, 4 decimals. Call: Friday 2026-10-09 07:58:43 UTC, 1,918 s to 00178897878170; PEAK starts 77 s into the call.',
    '',
    '| timespan | interval (rate) | slot at its start | duration × rate / unit | rounded (5 dec.) | per increment | cost |',
    '|---|---|---|---|---|---|---|',
    '| 0–60 s | OFFPEAK_MORN (RT_OP_85) | 0.0688 / 60 s, 1 × 60 s | 0.0688 | 0.0688 | 0.0688 | 0.0688 |',
    '| 60–600 s | OFFPEAK_MORN (RT_OP_85) | 0.0550 / 60 s, 540 × 1 s | 0.495 | 0.495 | 0.000916… → 0.00092 | 0.4968 |',
    '| 600–1918 s | PEAK (RT_PK_85) | 0.0825 / 60 s, 1318 × 1 s | 1.81225 | 1.81225 | 0.001375 → 0.00138 | 1.81884 |',
    '',
    '- The cut at 60 s (slot start) leaves the timespan 60–1918 s, which starts off-peak; its interval OFFPEAK_MORN has a slot starting at 600 s inside it, so it is cut at 600 s before the 08:00:00 change (77 s) is looked at: 60–600 s is priced entirely off-peak. The timespan 600–1918 s starts in PEAK (the timing that started most recently) and has no slot start inside: PEAK.',
    '- rounding_decimals 5 (the default): 0.05 + 0.0688 + 0.4968 + 1.81884 = 2.43444 → *up 4 → **2.4345**.',
    '- rounding_decimals 10: increments 0.0009166667 × 540 = 0.495000018 and 0.001375 × 1318 = 1.81225: 0.05 + 0.0688 + 0.495000018 + 1.81225 = 2.426050018 → *up 4 → **2.4261**.',
    '- `ratestream rate --explain` prints these timespans, and the window change CGRateS applies late. Native catalogs (`window-split: increment`, the default) price each increment by the window in force where it starts: 0.05 + 0.0688 (0–60 s off-peak) + 17 × 0.055/60 (60–77 s off-peak) + 523 × 0.11/60 (77–600 s peak) + 1318 × 0.0825/60 (600–1918 s peak) = 2.9054666… → 2.9055.',
  ];
}
