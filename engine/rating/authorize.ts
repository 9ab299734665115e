/**
 * Authorize: for a session about to start (account, destination, start time), the maximum usage per usage class that
 * the account's money balances (with their credit limit) and its bundles/pools allow, and that a `max-cost` with
 * strategy `disconnect` allows (CGRateS' *disconnect: the session is cut where the call would cost more).
 *
 * How: the usage is rated as a record (on a copy of the rating state, each probe undone; the state given is not
 * changed) and the largest quantity
 * whose charges are all covered by the balances and stay within the disconnect max cost is searched (bisection over
 * whole units). Cost only grows with usage and is constant within a charging increment, so the answer is the end
 * of a billed increment: the usage rounded down to the billing increment. Without any limit the answer is the cap
 * (default 3 h of time, 10 GB of data, 1,000,000 of other units).
 */
import { formatMoney } from '../core/money.ts';
import { type Charge, lineageText, type Udr } from '../core/types.ts';
import type { CompiledCatalog, CompiledRate } from './catalog.ts';
import { payersOf, readBalance } from './balances.ts';
import { Rater } from './rater.ts';
import { cloneValue, type RatingState, type StateArea, type StateChange } from './state.ts';
import { catalogUnitOf } from './udr-input.ts';

export const DEFAULT_CAPS: Readonly<Record<string, number>> = { ms: 3 * 3_600_000, byte: 10_000_000_000 };
export const DEFAULT_CAP_OTHER = 1_000_000;

export interface AuthorizeRequest {
  account: string;
  destination: string;
  /** epoch ms */
  start: number;
  /** the service used (its plan, pools); default: the account's first service in the catalog, if any */
  service?: string;
  /** only this usage class (default: every class the plan prices) */
  usageClass?: string;
  /** the most to authorize, per unit (default DEFAULT_CAPS) */
  caps?: Readonly<Record<string, number>>;
}

export type AuthorizeLimit = 'balance' | 'max-cost' | 'cap' | 'no-rate';

export interface AuthorizeClass {
  usageClass: string;
  unit: string;
  /** maximum usage in the unit (ms, byte, event...), rounded down to the billing increment */
  maxUsage: number;
  /** ms: the same in whole seconds */
  seconds?: number;
  /** what stops more usage */
  limit: AuthorizeLimit;
  /** what the maximum usage costs (scaled money as a decimal string) */
  cost: string;
  /** why: the reject message (no-rate), the max cost (max-cost) */
  note?: string;
}

export interface AuthorizeResult {
  account: string;
  destination: string;
  start: string;
  service?: string;
  /** the balances paying for the account at the start: balance and what may still be debited (null: unlimited) */
  balances: { balance: string; amount: string; available: string | null }[];
  classes: AuthorizeClass[];
}

interface Probe {
  ok: boolean;
  why?: AuthorizeLimit;
  note?: string;
  cost: bigint;
}

export function authorize(catalog: CompiledCatalog, state: RatingState | string, req: AuthorizeRequest): AuthorizeResult {
  const text = typeof state === 'string' ? state : JSON.stringify(state);
  // `base` is only read (a state object given is used as it is); `work` rates the probes on its own copy, each probe
  // undone from `base` (only the keys it touched)
  const base = new Rater(catalog, typeof state === 'string' ? text : state);
  const work = new Rater(catalog, text);
  const service = req.service ?? [...(catalog.servicesByAccount.get(req.account) ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1))[0]?.id;
  const unitOf = catalogUnitOf(catalog);
  const udr = (usageClass: string, unit: string, quantity: number): Udr => ({
    id: `authorize:${req.account}:${req.start}`, feed: 'authorize', usageClass, account: req.account, service: service ?? '', ratingKey: req.account,
    startTime: req.start, quantity, unit, origin: '', destination: req.destination, attrs: {}, source: 'authorize', rulesVersion: '',
  });
  const rates = new Map<string, CompiledRate>();
  for (const p of catalog.plans.values()) for (const ix of p.index.values()) for (const r of ix.rates) rates.set(`${p.id}\u0000${r.id}`, r);
  // the usage classes the account's (or service's) plan prices by the record quantity
  const svc = service ? base.serviceView(service) : undefined;
  const classes: { usageClass: string; unit: string }[] = [];
  const seen = new Set<string>();
  for (const choice of base.plansFor(udr(req.usageClass ?? '', 'ms', 0), svc)) {
    for (const [uc, ms] of choice.plan.measures) {
      if (seen.has(uc) || !ms.includes('') || (req.usageClass && uc !== req.usageClass)) continue;
      seen.add(uc);
      classes.push({ usageClass: uc, unit: unitOf(uc) ?? choice.plan.index.get(`${uc}\u0000`)!.rates[0]!.unit });
    }
  }
  if (req.usageClass && !seen.has(req.usageClass)) classes.push({ usageClass: req.usageClass, unit: unitOf(req.usageClass) ?? 'ms' });

  const probe = (usageClass: string, unit: string, q: number): Probe => {
    const r = work.rate([udr(usageClass, unit, q)]);
    undo(work.state, base.state, r.stateChanges);
    work.resetCaches();
    if (r.rejects.length) return { ok: false, why: 'no-rate', note: r.rejects[0]!.message, cost: 0n };
    let cost = 0n;
    for (const c of r.charges) cost += c.amount;
    for (const c of r.charges) {
      if (covered(c) === false) return { ok: false, why: 'balance', cost };
      const mc = rates.get(`${c.plan}\u0000${c.rateId}`)?.maxCost;
      if (mc?.strategy === 'disconnect' && c.amount > mc.amount) return { ok: false, why: 'max-cost', note: `max cost ${formatMoney(mc.amount)} (strategy disconnect)`, cost };
    }
    return { ok: true, cost };
  };

  const out: AuthorizeClass[] = [];
  for (const { usageClass, unit } of classes) {
    const cap = req.caps?.[unit] ?? DEFAULT_CAPS[unit] ?? DEFAULT_CAP_OTHER;
    let best = probe(usageClass, unit, 0);
    let q = 0;
    let limit: Probe = best;
    if (best.ok) {
      const top = probe(usageClass, unit, cap);
      if (top.ok) { q = cap; best = top; limit = { ok: false, why: 'cap', cost: top.cost }; }
      else {
        // invariant: probe(lo) ok, probe(hi) not ok
        let lo = 0, hi = cap;
        limit = top;
        while (hi - lo > 1) {
          const mid = lo + Math.floor((hi - lo) / 2);
          const p = probe(usageClass, unit, mid);
          if (p.ok) { lo = mid; best = p; } else { hi = mid; limit = p; }
        }
        q = lo;
      }
    }
    out.push({
      usageClass, unit, maxUsage: q, ...(unit === 'ms' && { seconds: Math.floor(q / 1000) }), limit: limit.why ?? 'cap', cost: formatMoney(best.ok ? best.cost : 0n),
      ...(limit.note !== undefined && { note: limit.note }),
    });
  }
  const balances = payersOf(catalog.balances, base.state, req.account, req.start).map((b) => {
    const r = readBalance(base.state, b, req.start);
    return { balance: b.key, amount: formatMoney(r.balance), available: r.available === null ? null : formatMoney(r.available) };
  });
  return { account: req.account, destination: req.destination, start: new Date(req.start).toISOString(), ...(service && { service }), balances, classes: out };
}

/** put back, from `base`, the state keys a probe changed */
function undo(st: RatingState, base: RatingState, changes: readonly StateChange[]): void {
  for (const c of changes) {
    const slash = c.key.indexOf('/');
    const area = c.key.slice(0, slash) as StateArea;
    const key = c.key.slice(slash + 1);
    const orig = (base[area] as Record<string, unknown> | undefined)?.[key];
    const m = st[area] as Record<string, unknown> | undefined;
    if (!m) continue;
    if (orig === undefined) delete m[key];
    else m[key] = cloneValue(area, orig);
  }
}

/** false when the charge's balance debit left part of it uncovered; undefined when no balance paid for it */
function covered(c: Charge): boolean | undefined {
  const text = lineageText(c);
  if (!text.includes('"balance"')) return undefined;
  const b = (JSON.parse(text) as { balance?: { status?: string } }).balance;
  return b ? b.status !== 'exhausted' : undefined;
}
