/**
 * Rating scenarios (`kind: rating-scenario`): a catalog plus a sequence of inputs — service events, UDRs, clock
 * ticks, recurring runs, contract month closes, what-if terminations, authorize calls — rated by one Rater; the outputs are compared
 * with a golden JSON file beside the scenario (`<name>.golden.json`, rewritten with --update).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { loadYaml } from '../config/yaml-loader.ts';
import { formatMoney } from '../core/money.ts';
import { type Charge, lineageText, type Reject } from '../core/types.ts';
import { authorize } from './authorize.ts';
import { type ChargingRun, loadCatalogFile } from './catalog.ts';
import { closeContractMonth, whatIfTerminate } from './contracts.ts';
import { parseDate } from './durations.ts';
import { Rater, type RateBatchResult } from './rater.ts';
import { recurringCharges } from './recurring.ts';
import { toUdr } from './udr-input.ts';

const obj = z.record(z.string(), z.unknown());
export const scenarioSchema = z.object({
  kind: z.literal('rating-scenario'),
  name: z.string(),
  description: z.string().optional(),
  catalog: z.string().describe('catalog file, relative to this file'),
  steps: z.array(z.object({
    note: z.string().optional(),
    events: z.array(obj).optional().describe('service events {id, service, to, at, account?, type?, plan?}'),
    udrs: z.array(obj).optional().describe('UDRs (partial: defaults fill the rest; quantity as a number)'),
    tick: z.string().optional().describe('advance the clock to this time (bill-on-first-use periods)'),
    recurring: z.string().optional().describe('recurring charges of this period (e.g. 2025-03)'),
    'close-contract': z.object({ contract: z.string(), month: z.coerce.number().int().min(1) }).strict().optional(),
    'what-if-terminate': z.object({ contract: z.string(), date: z.string() }).strict().optional(),
    authorize: z.object({
      account: z.string(), destination: z.string().default(''), start: z.string(), service: z.string().optional(), 'usage-class': z.string().optional(),
    }).strict().optional().describe('the maximum usage a session starting then may have (balances, pools, max cost), from the state so far; evaluated first in the step'),
  }).strict()).min(1),
}).strict();

function compactCharge(c: Charge) {
  const l = JSON.parse(lineageText(c)) as Record<string, unknown>;
  return { id: c.id, run: c.run, kind: c.kind, udr: c.udrId, account: c.account, service: c.service || undefined, plan: c.plan || undefined, rate: c.rateId,
    matched: c.matched, quantity: c.quantity, unit: c.unit, amount: formatMoney(c.amount), debits: l.debits, balance: l.balance, steps: l.steps };
}

function compactReject(r: Reject) {
  return { source: r.source, reason: r.reason, message: r.message };
}

function numify(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  for (const k of ['quantity']) if (typeof out[k] === 'string') out[k] = Number(out[k]);
  if (typeof out.startTime === 'string' && !/^\d+$/.test(out.startTime as string)) out.startTime = Date.parse(out.startTime as string);
  return out;
}

export function runScenario(file: string): Record<string, unknown> {
  const { value } = loadYaml(file, scenarioSchema);
  const catalog = loadCatalogFile(resolve(dirname(file), value.catalog));
  const rater = new Rater(catalog, undefined, { trace: true });
  const outputs: unknown[] = [];
  let total = 0n;
  /** charging runs: the amount of each run, for the margin report */
  const byRun = new Map<string, bigint>(catalog.runs.map((r) => [r.name, 0n]));
  const batch = (r: RateBatchResult) => {
    for (const c of r.charges) if (c.run !== undefined) byRun.set(c.run, (byRun.get(c.run) ?? 0n) + c.amount);
    return { charges: r.charges.map(compactCharge), rejects: r.rejects.map(compactReject), events: r.events };
  };
  value.steps.forEach((s, i) => {
    const o: Record<string, unknown> = { step: i + 1, note: s.note };
    // a session is authorized before its usage: first in the step
    if (s.authorize) {
      const a = s.authorize;
      o.authorize = authorize(catalog, rater.state, { account: a.account, destination: a.destination, start: parseDate(a.start, catalog.timezone), service: a.service, usageClass: a['usage-class'] });
    }
    if (s.events) {
      const r = rater.applyServiceEvents(s.events.map((e) => ({ ...e, at: String(e.at) }) as never));
      r.charges.forEach((c) => (total += c.amount));
      o.events = batch(r);
    }
    if (s.tick) {
      const r = rater.tick(parseDate(s.tick, catalog.timezone));
      r.charges.forEach((c) => (total += c.amount));
      o.tick = batch(r);
    }
    if (s.udrs) {
      const r = rater.rate(s.udrs.map((u, k) => toUdr(numify(u), k + 1)));
      r.charges.forEach((c) => (total += c.amount));
      o.udrs = batch(r);
    }
    if (s.recurring) {
      const cs = recurringCharges(catalog, rater.stateLog(), s.recurring);
      cs.forEach((c) => (total += c.amount));
      o.recurring = cs.map(compactCharge);
    }
    if (s['close-contract']) {
      const r = closeContractMonth(rater, s['close-contract'].contract, s['close-contract'].month);
      r.charges.forEach((c) => (total += c.amount));
      o.contract = { results: r.results, charges: r.charges.map(compactCharge) };
    }
    if (s['what-if-terminate']) {
      o.whatIf = whatIfTerminate(catalog, s['what-if-terminate'].contract, parseDate(s['what-if-terminate'].date, catalog.timezone));
    }
    outputs.push(JSON.parse(JSON.stringify(o)));
  });
  return { scenario: value.name, catalog: `${catalog.name}@${catalog.version}`, outputs, total: formatMoney(total), ...marginReport(catalog.runs, byRun), state: JSON.parse(rater.snapshot()) };
}

/** charging runs: each run's total, and the margin (billable runs' revenue − the other runs' cost); nothing without runs */
function marginReport(runs: readonly ChargingRun[], byRun: ReadonlyMap<string, bigint>): { runs?: Record<string, string>; margin?: string } {
  if (!runs.length) return {};
  let margin = 0n;
  const out: Record<string, string> = {};
  for (const r of runs) {
    const t = byRun.get(r.name) ?? 0n;
    out[r.name] = formatMoney(t);
    margin += r.billable ? t : -t;
  }
  return { runs: out, margin: formatMoney(margin) };
}

export function goldenFile(file: string): string {
  return file.replace(/\.scenario\.ya?ml$/, '.golden.json');
}

/** Compare (or with update, rewrite) the golden file; returns null when equal, else a short diff description. */
export function checkGolden(file: string, update = false): string | null {
  const actual = `${JSON.stringify(runScenario(file), null, 2)}\n`;
  const g = goldenFile(file);
  if (update) {
    writeFileSync(g, actual);
    return null;
  }
  if (!existsSync(g)) return `${g} does not exist (run with --update)`;
  const expected = readFileSync(g, 'utf8');
  if (expected === actual) return null;
  const a = actual.split('\n'), e = expected.split('\n');
  const i = a.findIndex((l, k) => l !== e[k]);
  return `${g}:${i + 1}: expected ${JSON.stringify(e[i])}, got ${JSON.stringify(a[i])}`;
}
