/**
 * The rating core: UDRs (and service-state events) → charges, state changes and events. Pure and synchronous: no
 * I/O, no promise or closure per UDR; amounts are exact rationals until the explicit rounding point of each charge.
 * All mutable state lives in `this.state` (a serialisable RatingState), so the same input with the same starting
 * state always gives the same charges — ids included (UDR id + kind + sequence).
 *
 * Per UDR, in order:
 *  1. service: its state at the usage time (bill-on-first-use may activate it, or keep the usage unbilled);
 *  2. plan: service plan → account assignments (activation time, fallback accounts, `*any`) → account plan →
 *     default plan;
 *  3. for each measure the plan prices (the UDR quantity, or attrs.<measure>): share-plan pools first (account-level
 *     pools, then parent-level, by share-plan id), then the rate: longest destination prefix, static conditions
 *     (on-net, country, location, service state, custom `when`), then the time window at each instant (highest
 *     weight, then the window that opened most recently, then file order);
 *  4. price model → connect fee → minimum / maximum cost → rounding (one rounding point per charge).
 */
import { createHash } from 'node:crypto';
import type { Charge, RatingResult, Reject, Udr } from '../core/types.ts';
import { formatMoney } from '../core/money.ts';
import {
  type CompiledCatalog, type CompiledPlan, type CompiledRate, type CompiledServiceType, type CompiledSharePlan,
  type CoreState, NEW_STATE, type RateIndex, rootOf, type Rounding, selects, type ServiceRef,
} from './catalog.ts';
import { type Frequency, monthsBetween, type Period, periodOf } from './durations.ts';
import { CgratesSplitter } from './cgrates-split.ts';
import { billSteps, stepAt } from './price/per-unit.ts';
import { add, cmp, type Cost, costText, roundCost, ZERO } from './rational.ts';
import { collectChanges, emptyState, type FirstUseCounter, type RatingState, restoreState, type ServiceStateEntry, type StateChange, stateKey } from './state.ts';
import { type LocalTime, localTime, newLocalTime, nextEdge, type TimeWindow } from './windows.ts';

export function chargeId(udrId: string, kind: string, seq: number): string {
  return createHash('sha1').update(`${udrId}\u001f${kind}\u001f${seq}`).digest('hex').slice(0, 24);
}

/** A service-state event from provisioning / CRM (also an input of the rating core). */
export interface ServiceEvent {
  /** stable event id: the root of the one-time charge id */
  id: string;
  service: string;
  /** target state (type-specific name) */
  to: string;
  /** epoch ms or ISO text */
  at: number | string;
  /** for services not in the catalog: who owns it and how it is priced */
  account?: string;
  type?: string;
  plan?: string;
}

export interface RatingEvent {
  type: 'service-state-changed' | 'bucket-threshold-reached' | 'first-use-activated';
  key: string;
  at: number;
  detail: Record<string, unknown>;
}

/** One row of the service state timeline (what recurringCharges prorates over). */
export interface StateLogRow {
  service: string;
  account: string;
  type: string;
  plan: string;
  from: string;
  to: string;
  core: CoreState | 'unknown';
  at: number;
  cause: string;
}

export interface RateBatchResult extends RatingResult {
  stateChanges: StateChange[];
  events: RatingEvent[];
  /** service timeline rows added by this batch */
  stateLog: StateLogRow[];
}

export interface RaterOptions {
  /** record human-readable computation steps in each charge's lineage (explain) */
  trace?: boolean;
}

interface ServiceView {
  id: string;
  account: string;
  type: string;
  plan: string;
  typeDef?: CompiledServiceType;
  entry?: ServiceStateEntry;
  ref?: ServiceRef;
}

interface PriceOutcome {
  cost: Cost;
  billed: number;
  rate: CompiledRate;
  prefix: string;
  /** the parts of the usage; `cost` (window-split cgrates) is the part's rounded cost */
  segments: { rate: string; window: string; from: number; to: number; billed: number; cost?: string }[];
  detail: string;
  rounding: Rounding;
  capped?: string;
}

const SCRATCH: { items: number[]; prefix: string }[] = [];
const CANDS: CompiledRate[] = [];
const WINDOWS: TimeWindow[] = [];

export class Rater {
  readonly state: RatingState;
  readonly trace: boolean;
  private touched = new Set<string>();
  private events: RatingEvent[] = [];
  private logRows: StateLogRow[] = [];
  private readonly lt: LocalTime = newLocalTime();
  private readonly periodCache = new Map<string, Period>();
  private readonly contractsByAccount = new Map<string, string[]>();
  private steps: string[] | null = null;
  /** trace: steps common to all charges of the UDR, and where the current measure's steps start */
  private stepHead = 0;
  private stepMark = 0;
  /** `window-split: cgrates` pricing, created on first use */
  private cgrates?: CgratesSplitter;

  constructor(readonly catalog: CompiledCatalog, state?: RatingState | string, opts: RaterOptions = {}) {
    this.state = state === undefined ? emptyState() : typeof state === 'string' ? restoreState(state) : state;
    this.trace = !!opts.trace;
    for (const c of catalog.contracts.values()) {
      const l = this.contractsByAccount.get(c.account) ?? [];
      l.push(c.id);
      this.contractsByAccount.set(c.account, l);
    }
  }

  /** JSON text of the whole state (persist it; `new Rater(catalog, text)` restores it). */
  snapshot(): string {
    return JSON.stringify(this.state);
  }

  // ---------------------------------------------------------------- batch entry points

  rate(udrs: readonly Udr[]): RateBatchResult {
    const charges: Charge[] = [];
    const rejects: Reject[] = [];
    for (let i = 0; i < udrs.length; i++) {
      const u = udrs[i]!;
      try {
        this.rateOne(u, charges, rejects);
      } catch (e) {
        rejects.push(this.reject(u, 'RATING_ERROR', `rating failed: ${(e as Error).message}`));
      }
    }
    return this.finish(charges, rejects);
  }

  /** Apply service-state events (provisioning/CRM): transitions, one-time charges, timeline rows. */
  applyServiceEvents(evs: readonly ServiceEvent[]): RateBatchResult {
    const charges: Charge[] = [];
    const rejects: Reject[] = [];
    for (const ev of evs) this.applyEvent(ev, charges, rejects);
    return this.finish(charges, rejects);
  }

  applyServiceEvent(ev: ServiceEvent): RateBatchResult {
    return this.applyServiceEvents([ev]);
  }

  /** Advance the clock: services waiting for first use whose period elapsed by `now` are activated. */
  tick(now: number): RateBatchResult {
    const charges: Charge[] = [];
    const ids = new Set<string>([...this.catalog.services.keys(), ...Object.keys(this.state.services)]);
    for (const id of [...ids].sort()) {
      const v = this.serviceView(id);
      const fu = v?.typeDef?.firstUse;
      if (!v || !fu?.period) continue;
      const cur = this.currentState(v);
      if (cur.state !== fu.from) continue;
      const due = cur.since + fu.period;
      if (now >= due) this.transition(v, fu.to, due, `first-use-period:${id}`, charges, 'period');
    }
    return this.finish(charges, []);
  }

  private finish(charges: Charge[], rejects: Reject[]): RateBatchResult {
    const stateChanges = collectChanges(this.state, this.touched);
    const events = this.events;
    const stateLog = this.logRows;
    this.touched = new Set();
    this.events = [];
    this.logRows = [];
    return { charges, rejects, stateChanges, events, stateLog };
  }

  // ---------------------------------------------------------------- services

  serviceView(id: string): ServiceView | undefined {
    const entry = this.state.services[id];
    const ref = this.catalog.services.get(id);
    if (!entry && !ref) return undefined;
    const type = entry?.type ?? ref!.type;
    return { id, account: entry?.account ?? ref!.account, type, plan: entry?.plan ?? ref!.plan, typeDef: this.catalog.serviceTypes.get(type), entry, ref };
  }

  private currentState(v: ServiceView): { state: string; since: number } {
    if (v.entry) return { state: v.entry.state, since: v.entry.since };
    if (v.ref) return { state: v.ref.state, since: v.ref.since };
    return { state: NEW_STATE, since: 0 };
  }

  /** state of the service at time t (timeline lookup: late usage is rated in the state it happened in) */
  private stateAt(v: ServiceView, t: number): string {
    const e = v.entry;
    if (!e) return v.ref ? v.ref.state : NEW_STATE;
    const log = e.log;
    for (let i = log.length - 1; i >= 0; i--) if (log[i]!.at <= t) return log[i]!.state;
    return v.ref && log.length && log[0]!.at > t ? v.ref.state : log.length ? log[0]!.state : e.state;
  }

  private ensureEntry(v: ServiceView): ServiceStateEntry {
    if (v.entry) return v.entry;
    const ref = v.ref!;
    const entry: ServiceStateEntry = { account: ref.account, type: ref.type, plan: ref.plan, state: ref.state, since: ref.since, log: [{ state: ref.state, at: ref.since, cause: 'catalog' }] };
    this.state.services[v.id] = entry;
    v.entry = entry;
    return entry;
  }

  private transition(v: ServiceView, to: string, at: number, cause: string, charges: Charge[], why?: string): boolean {
    const from = this.currentState(v).state;
    const t = v.typeDef?.transitions.get(from)?.get(to);
    if (!t) return false;
    const entry = v.entry ?? (v.ref ? this.ensureEntry(v) : undefined);
    if (!entry) return false;
    entry.state = to;
    entry.since = at;
    entry.log.push({ state: to, at, cause });
    this.touched.add(stateKey('services', v.id));
    const core = v.typeDef?.states.get(to) ?? 'unknown';
    this.logRows.push({ service: v.id, account: v.account, type: v.type, plan: v.plan, from, to, core, at, cause });
    this.events.push({ type: 'service-state-changed', key: v.id, at, detail: { from, to, core, cause } });
    if (why) this.events.push({ type: 'first-use-activated', key: v.id, at, detail: { by: why, from, to } });
    if (t.charge !== 0n) {
      const plan = this.catalog.plans.get(v.plan);
      charges.push({
        id: chargeId(cause, 'one_time', 0), udrId: cause, account: v.account, ratingKey: this.ratingKeyOf(v.account), service: v.id,
        usageClass: '', kind: 'one_time', product: plan?.product ?? '', plan: v.plan, rateId: `transition:${from}->${to}`,
        matched: `${v.type}: ${from} → ${to}${why ? ` (bill on first use: ${why})` : ''}`, quantity: 1, unit: 'event',
        amount: t.charge, currency: this.catalog.currency, eventTime: at, source: cause, rulesVersion: '',
        catalogVersion: this.catalog.version,
        lineage: JSON.stringify({ v: 1, kind: 'transition', service: v.id, type: v.type, from, to, charge: formatMoney(t.charge), at, cause, catalog: this.catalog.version, firstUse: why ?? null }),
      });
    }
    return true;
  }

  private applyEvent(ev: ServiceEvent, charges: Charge[], rejects: Reject[]): void {
    const rej = (message: string) => rejects.push({ feed: 'service-events', source: ev.id, reason: 'RATING_ERROR', message, raw: JSON.stringify(ev), rulesVersion: this.catalog.version });
    const at = typeof ev.at === 'number' ? ev.at : Date.parse(ev.at);
    if (!Number.isFinite(at)) return void rej(`event ${ev.id}: "at" is not a time`);
    let v = this.serviceView(ev.service);
    if (!v) {
      if (!ev.account || !ev.type || !ev.plan) return void rej(`event ${ev.id}: unknown service ${ev.service} (a new service needs account, type and plan)`);
      if (!this.catalog.serviceTypes.has(ev.type)) return void rej(`event ${ev.id}: unknown service type ${ev.type}`);
      if (!this.catalog.plans.has(ev.plan)) return void rej(`event ${ev.id}: unknown plan ${ev.plan}`);
      this.state.services[ev.service] = { account: ev.account, type: ev.type, plan: ev.plan, state: NEW_STATE, since: at, log: [] };
      v = this.serviceView(ev.service)!;
    }
    const cur = this.currentState(v);
    if (at < cur.since) return void rej(`event ${ev.id}: at ${new Date(at).toISOString()} is before the service's last change (${new Date(cur.since).toISOString()}); events must arrive in order per service`);
    if (!v.typeDef) return void rej(`event ${ev.id}: service ${v.id} has no service type with states`);
    if (!v.typeDef.states.has(ev.to)) return void rej(`event ${ev.id}: ${ev.to} is not a state of ${v.type} (${[...v.typeDef.states.keys()].join(', ')})`);
    if (!this.transition(v, ev.to, at, ev.id, charges)) {
      if (cur.state === NEW_STATE) delete this.state.services[ev.service];
      rej(`event ${ev.id}: no transition ${cur.state} → ${ev.to} for service type ${v.type}`);
      return;
    }
    // entering the waiting state of bill-on-first-use starts a fresh counter
    const fu = v.typeDef.firstUse;
    if (fu && ev.to === fu.from) {
      this.state.firstUse[v.id] = { total: 0, recent: [] };
      this.touched.add(stateKey('firstUse', v.id));
    }
  }

  /** Bill on first use. Returns 'billed' to rate normally or a text explaining why the usage is not billed. */
  private firstUse(v: ServiceView, u: Udr, charges: Charge[]): string | null {
    const fu = v.typeDef?.firstUse;
    if (!fu) return null;
    const cur = this.currentState(v);
    if (cur.state !== fu.from) return null;
    if (u.startTime < cur.since) return null;
    if (fu.period && u.startTime >= cur.since + fu.period) {
      this.transition(v, fu.to, cur.since + fu.period, `first-use-period:${v.id}`, charges, 'period');
      if (this.steps) this.step(`bill on first use: the waiting period ended at ${new Date(cur.since + fu.period).toISOString()} → ${fu.to}`);
      return null;
    }
    if (fu.usageClass && fu.usageClass !== u.usageClass) return `not billed: ${v.id} is ${fu.from} (bill on first use counts ${fu.usageClass} only)`;
    const c: FirstUseCounter = this.state.firstUse[v.id] ?? (this.state.firstUse[v.id] = { total: 0, recent: [] });
    this.touched.add(stateKey('firstUse', v.id));
    let counted: number;
    if (fu.window) {
      c.recent.push([u.startTime, u.quantity]);
      const lo = u.startTime - fu.window;
      c.recent = c.recent.filter(([t]) => t > lo && t <= u.startTime);
      counted = c.recent.reduce((s, [, q]) => s + q, 0);
    } else {
      c.total += u.quantity;
      counted = c.total;
    }
    if (fu.threshold !== undefined && counted >= fu.threshold) {
      this.transition(v, fu.to, u.startTime, `first-use:${u.id}`, charges, 'threshold');
      if (this.steps) this.step(`bill on first use: counted ${counted} ≥ threshold ${fu.threshold}${fu.window ? ` within ${fu.window} ms` : ''} → ${fu.to}; this record is billed`);
      return null;
    }
    return `not billed: ${v.id} is ${fu.from} (bill on first use: counted ${counted} of ${fu.threshold ?? '-'}${fu.window ? ` within the last ${fu.window / 3_600_000} h` : ''})`;
  }

  // ---------------------------------------------------------------- plans

  private ratingKeyOf(account: string): string {
    return account;
  }

  /** candidate plans in order (primary, then fallbacks), with how each was found */
  plansFor(u: Udr, svc?: ServiceView): { plan: CompiledPlan; via: string }[] {
    const cat = this.catalog;
    if (svc) {
      const p = cat.plans.get(svc.plan);
      return p ? [{ plan: p, via: `service ${svc.id}` }] : [];
    }
    const out: { plan: CompiledPlan; via: string }[] = [];
    this.assigned(u.account, u.usageClass, u.startTime, 0, out);
    if (out.length) return out;
    const acct = cat.accounts.get(u.account);
    const pid = acct?.plan ?? acct?.services[0]?.plan ?? cat.defaultPlan;
    const p = pid ? cat.plans.get(pid) : undefined;
    return p ? [{ plan: p, via: acct?.plan ? `account ${u.account}` : acct?.services[0] ? `account ${u.account} first service` : 'default-plan' }] : [];
  }

  private assigned(account: string, uc: string, t: number, depth: number, out: { plan: CompiledPlan; via: string }[]): void {
    if (depth > 3) return;
    const cat = this.catalog;
    const list = cat.assignments.get(account);
    const active = list ? activeAssignment(list, uc, t) : undefined;
    if (active) {
      out.push({ plan: cat.plans.get(active.plan)!, via: `assignment ${account}/${active.usageClass} from ${new Date(active.from).toISOString()}` });
      if (active.fallback.length) {
        for (const fb of active.fallback) this.assigned(fb, uc, t, depth + 1, out);
        return;
      }
    }
    if (depth === 0 || !active) {
      for (const pat of cat.assignmentPatterns) {
        if (!account.startsWith(pat.prefix)) continue;
        const a = activeAssignment(pat.list, uc, t);
        if (a) { out.push({ plan: cat.plans.get(a.plan)!, via: `assignment ${pat.prefix}*any/${a.usageClass}` }); break; }
      }
    }
  }

  // ---------------------------------------------------------------- rating one UDR

  private step(s: string): void {
    if (this.steps) this.steps.push(s);
  }

  private reject(u: Udr, reason: 'NO_RATE' | 'UNKNOWN_ACCOUNT' | 'RATING_ERROR', message: string): Reject {
    return { feed: u.feed, source: u.source, reason, message, raw: JSON.stringify(u), rulesVersion: `${u.rulesVersion}/${this.catalog.version}` };
  }

  private rateOne(u: Udr, charges: Charge[], rejects: Reject[]): void {
    const cat = this.catalog;
    this.steps = this.trace ? [] : null;
    this.stepHead = this.stepMark = 0;
    if (this.steps) this.step(`UDR ${u.id}: ${u.usageClass} ${u.quantity} ${u.unit} at ${new Date(u.startTime).toISOString()} account ${u.account}${u.service ? ` service ${u.service}` : ''}${u.destination ? ` → ${u.destination}` : ''}`);
    const svc = u.service ? this.serviceView(u.service) : undefined;
    let svcState = '';
    if (svc) {
      const unbilled = this.firstUse(svc, u, charges);
      svcState = this.stateAt(svc, u.startTime);
      const core = svc.typeDef?.states.get(svcState);
      if (this.steps) this.step(`service ${svc.id} (${svc.type}, plan ${svc.plan}) is ${svcState}${core ? ` (core ${core})` : ''} at the usage time`);
      if (unbilled) {
        if (this.steps) this.step(unbilled);
        charges.push(this.makeCharge(u, 0, svc.plan, cat.plans.get(svc.plan)?.product ?? '', 'first-use', unbilled, u.quantity, 0n, { note: unbilled }));
        return;
      }
      if (core === 'cancelled' || svcState === NEW_STATE) {
        rejects.push(this.reject(u, 'NO_RATE', `service ${svc.id} is ${svcState} at ${new Date(u.startTime).toISOString()}: no usage is rated`));
        return;
      }
    } else if (u.service && !cat.accounts.has(u.account) && !cat.defaultPlan && !cat.assignments.size && !cat.assignmentPatterns.length) {
      rejects.push(this.reject(u, 'UNKNOWN_ACCOUNT', `unknown service ${u.service} and account ${u.account}`));
      return;
    }
    const plans = this.plansFor(u, svc);
    if (!plans.length) {
      rejects.push(this.reject(u, cat.accounts.has(u.account) ? 'NO_RATE' : 'UNKNOWN_ACCOUNT', `no plan for account ${u.account}${u.service ? ` / service ${u.service}` : ''}`));
      return;
    }
    // the first candidate plan that prices this usage class
    let plan: CompiledPlan | undefined;
    let measures: string[] | undefined;
    let via = '';
    let seqBase = 0;
    for (const p of plans) {
      const ms = p.plan.measures.get(u.usageClass);
      if (ms) {
        // with fallbacks, a plan counts only if some rate matches the destination
        if (plans.length > 1 && !this.anyRate(p.plan, u, ms, svcState)) { if (this.steps) this.step(`plan ${p.plan.id} (${p.via}) has no rate for ${u.destination || 'this usage'}; trying the next`); continue; }
        plan = p.plan; measures = ms; via = p.via; break;
      }
    }
    if (!plan || !measures) {
      rejects.push(this.reject(u, 'NO_RATE', `plan ${plans.map((p) => p.plan.id).join(' / ')} has no rate for usage class ${u.usageClass}`));
      return;
    }
    if (this.steps) this.step(`plan ${plan.id} (product ${plan.product}) via ${via}`);
    const before = charges.length;
    if (this.steps) this.stepHead = this.stepMark = this.steps.length;
    for (let mi = 0; mi < measures.length; mi++) {
      const measure = measures[mi]!;
      if (this.steps) this.stepMark = this.steps.length;
      let q = u.quantity;
      if (measure) {
        const raw = u.attrs[measure];
        q = raw === undefined || raw === '' ? NaN : Number(raw);
        if (!Number.isInteger(q) || q < 0) {
          rejects.splice(rejects.length, 0, this.reject(u, 'RATING_ERROR', `measure ${measure}: attrs.${measure} = ${JSON.stringify(raw)} is not a non-negative integer`));
          charges.length = before;
          return;
        }
        if (this.steps) this.step(`measure ${measure}: quantity ${q}`);
      }
      const ix = plan.index.get(`${u.usageClass}\u0000${measure}`)!;
      // share-plan pools (quantity of the UDR itself only)
      let inside = 0;
      const debits: Record<string, unknown>[] = [];
      if (!measure && svc && cat.sharePlans.length) {
        for (const sp of cat.sharePlans) {
          if (q - inside <= 0) break;
          if (sp.bucketClass !== u.usageClass || sp.unit !== u.unit) continue;
          const d = this.debitPool(sp, svc, u, q - inside);
          if (!d) continue;
          inside += d.debit;
          debits.push(d.lineage);
          if (d.debit > 0) {
            const amt = roundCost({ n: sp.poolPrice.price * BigInt(d.debit), d: BigInt(sp.poolPrice.per) }, cat.rounding.decimals, cat.rounding.mode);
            if (this.steps) this.step(`pool ${sp.id} (${d.lineage.owner}, ${d.lineage.period}): debit ${d.debit} of ${q - inside + d.debit}, ${d.lineage.before} → ${d.lineage.after} used of ${d.lineage.size}; priced at pool price ${formatMoney(sp.poolPrice.price)} per ${sp.poolPrice.per} = ${formatMoney(amt)}`);
            charges.push(this.makeCharge(u, seqBase++, plan.id, plan.product, `pool:${sp.id}`, `pool ${sp.id} (${sp.level} ${d.lineage.owner})`, d.debit, amt,
              { via, pool: sp.id, debits: [d.lineage], price: formatMoney(sp.poolPrice.price), per: sp.poolPrice.per }));
          }
          if (q - inside > 0 && sp.overagePrice) {
            const over = q - inside;
            const amt = roundCost({ n: sp.overagePrice.price * BigInt(over), d: BigInt(sp.overagePrice.per) }, cat.rounding.decimals, cat.rounding.mode);
            if (this.steps) this.step(`overage beyond pool ${sp.id}: ${over} at ${formatMoney(sp.overagePrice.price)} per ${sp.overagePrice.per} = ${formatMoney(amt)}`);
            charges.push(this.makeCharge(u, seqBase++, plan.id, plan.product, `overage:${sp.id}`, `beyond pool ${sp.id}`, over, amt,
              { via, pool: sp.id, debits, price: formatMoney(sp.overagePrice.price), per: sp.overagePrice.per, overage: over }));
            inside = q;
          }
        }
      }
      const rest = q - inside;
      if (inside > 0 && rest === 0) continue;
      const out = this.price(ix, u, rest, measure, svcState, svc);
      if (typeof out === 'string') {
        charges.length = before;
        rejects.push(this.reject(u, out.startsWith('max cost') ? 'RATING_ERROR' : 'NO_RATE', `plan ${plan.id}: ${out}`));
        return;
      }
      const amount = roundCost(out.cost, out.rounding.decimals, out.rounding.mode);
      if (this.steps) this.step(`round ${costText(out.cost)} ${out.rounding.mode} to ${out.rounding.decimals} decimals = ${formatMoney(amount, out.rounding.decimals)}`);
      const matched = `${out.rate.matchedText}${out.prefix !== '*any' ? ` [prefix ${out.prefix}]` : ''}`;
      if (out.rate.allocate) {
        let left = amount;
        const al = out.rate.allocate;
        for (let ai = 0; ai < al.length; ai++) {
          const a = al[ai]!;
          const part = ai === al.length - 1 ? left : roundCost({ n: amount * a.num, d: a.den }, out.rounding.decimals, out.rounding.mode);
          left -= part;
          if (this.steps) this.step(`allocate ${a.text} of ${formatMoney(amount, out.rounding.decimals)} to ${a.account} = ${formatMoney(part, out.rounding.decimals)}${ai === al.length - 1 ? ' (remainder)' : ''}`);
          const ch = this.makeCharge(u, seqBase++, plan.id, plan.product, out.rate.id, `${matched} [share ${a.text} of ${u.account}]`, out.billed, part,
            { via, quantity: rest, billed: out.billed, model: out.rate.model.model, detail: out.detail, cost: costText(out.cost), total: formatMoney(amount), share: a.text, allocatedFrom: u.account });
          ch.account = a.account;
          charges.push(ch);
        }
        continue;
      }
      charges.push(this.makeCharge(u, seqBase++, plan.id, plan.product, out.rate.id, matched, out.billed, amount, {
        via, measure: measure || undefined, quantity: rest, billed: out.billed, prefix: out.prefix, window: out.rate.windowId,
        segments: out.segments.length > 1 || out.segments[0]?.window !== '*any' ? out.segments : undefined,
        model: out.rate.model.model, detail: out.detail, connectFee: formatMoney(out.rate.connectFee), cost: costText(out.cost),
        rounding: `${out.rounding.mode}/${out.rounding.decimals}`, capped: out.capped, debits: debits.length ? debits : undefined,
      }));
    }
    // contract counters
    if (this.contractsByAccount.size) this.countContracts(u, charges, before);
  }

  private anyRate(plan: CompiledPlan, u: Udr, ms: string[], svcState: string): boolean {
    for (const m of ms) {
      const ix = plan.index.get(`${u.usageClass}\u0000${m}`);
      if (ix && this.candidates(ix, u, m, svcState, 0) !== null) return true;
    }
    return false;
  }

  private makeCharge(u: Udr, seq: number, plan: string, product: string, rateId: string, matched: string, quantity: number, amount: bigint, extra: Record<string, unknown>): Charge {
    // the charge's own columns already carry UDR id, source, plan, rate, matched condition, amount and versions:
    // lineage holds only the computation (billed quantity, model, window/prefix, pool debits, rounding, steps)
    const lineage: Record<string, unknown> = { v: 1 };
    for (const k in extra) if (extra[k] !== undefined) lineage[k] = extra[k];
    if (this.steps) lineage.steps = this.stepMark > this.stepHead ? [...this.steps.slice(0, this.stepHead), ...this.steps.slice(this.stepMark)] : [...this.steps];
    return {
      id: chargeId(u.id, 'usage', seq), udrId: u.id, account: u.account, ratingKey: u.ratingKey, service: u.service, usageClass: u.usageClass,
      kind: 'usage', product, plan, rateId, matched, quantity, unit: u.unit, amount, currency: this.catalog.currency, eventTime: u.startTime,
      source: u.source, rulesVersion: u.rulesVersion, catalogVersion: this.catalog.version, lineage: JSON.stringify(lineage),
    };
  }

  /**
   * Candidate rates at the best destination level for this UDR: the longest matching prefix whose rates pass the
   * static conditions and of which at least one holds at `t`; then the rates without destinations (*any).
   * Fills CANDS; returns the matched prefix or null.
   */
  private candidates(ix: RateIndex, u: Udr, measure: string, svcState: string, t: number): string | null {
    const n = ix.trie.size ? ix.trie.matches(u.destination, SCRATCH) : 0;
    for (let level = 0; level <= n; level++) {
      const items = level < n ? SCRATCH[level]!.items : ix.defaults;
      CANDS.length = 0;
      for (let i = 0; i < items.length; i++) {
        const r = ix.rates[items[i]!]!;
        if (this.staticOk(r, u, measure, svcState)) CANDS.push(r);
      }
      if (!CANDS.length) continue;
      if (t === 0 || this.chooseAt(CANDS, t) !== undefined) return level < n ? SCRATCH[level]!.prefix : '*any';
    }
    CANDS.length = 0;
    return null;
  }

  private staticOk(r: CompiledRate, u: Udr, measure: string, svcState: string): boolean {
    if (!measure && r.unit !== u.unit) return false;
    if (r.onNet !== undefined && this.isOnNet(u) !== r.onNet) return false;
    if (r.countries && !r.countries.has(u.attrs.country ?? '')) return false;
    if (r.locations && !r.locations.has(u.attrs.location ?? '')) return false;
    if (r.serviceStates && !r.serviceStates.has(svcState)) {
      return false;
    }
    if (r.when) {
      const v = r.when(null, u as unknown as Record<string, unknown>);
      if (v === null || v === false || v === '' || v === 0) return false;
    }
    return true;
  }

  private isOnNet(u: Udr): boolean {
    const on = this.catalog.onNet;
    if (!on) return false;
    const a = u.attrs[on.attr];
    if (a === 'true') return true;
    if (a === 'false') return false;
    return on.trie.matches(u.destination, SCRATCH) > 0;
  }

  /** the rate in force at instant t among cands: holds, highest weight, latest window start, file order */
  private chooseAt(cands: readonly CompiledRate[], t: number): CompiledRate | undefined {
    const lt = localTime(this.catalog.clock, t, this.lt);
    let best: CompiledRate | undefined;
    for (let i = 0; i < cands.length; i++) {
      const r = cands[i]!;
      if (!r.window.holds(lt)) continue;
      if (!best || r.weight > best.weight || (r.weight === best.weight && r.window.from > best.window.from)) best = r;
    }
    return best;
  }

  private price(ix: RateIndex, u: Udr, q: number, measure: string, svcState: string, svc?: ServiceView): PriceOutcome | string {
    const t0 = u.startTime;
    const prefix = this.candidates(ix, u, measure, svcState, t0);
    if (prefix === null) return `no rate for ${u.usageClass}${measure ? `/${measure}` : ''} in ${u.unit}${u.destination ? ` to ${u.destination}` : ''} at ${new Date(t0).toISOString()}`;
    const cands = CANDS.slice();
    const first = this.chooseAt(cands, t0)!;
    if (this.steps) this.step(`rate ${first.id}: ${first.matchedText}${prefix !== '*any' ? ` (longest prefix ${prefix})` : ''}, ${first.model.describe()}`);
    const segments: PriceOutcome['segments'] = [];
    let c: Cost = ZERO;
    let billed = 0;
    let detail = '';
    let rounding = first.rounding;
    const maxC = first.maxCost;
    if (maxC?.strategy === 'disconnect' && first.model.steps && q > 0) {
      return this.disconnect(cands, first, u, q, prefix, maxC.amount);
    }
    let feeRate = first;
    if (q === 0 && first.model.steps) {
      detail = 'zero usage: no charge';
    } else if (this.catalog.windowSplit === 'cgrates' && u.unit === 'ms' && !measure && ix.splittable && cands.length > 0) {
      const r = this.priceCgrates(cands, u.startTime, q, segments);
      if (typeof r === 'string') return r;
      c = r.cost;
      billed = r.billed;
      detail = segments.map((s) => `${s.window}:${s.rate} ${s.from}-${s.to} billed ${s.billed}`).join('; ');
      feeRate = r.feeRate;
      for (const p of r.rates) if (p.rounding.decimals > rounding.decimals) rounding = p.rounding;
    } else if (u.unit === 'ms' && !measure && ix.windowed && ix.splittable && cands.length > 0) {
      // split across windows: each increment is priced by the rate in force where it starts
      const acc = { cost: ZERO, units: 0 };
      let pos = 0;
      const windows: TimeWindow[] = WINDOWS;
      WINDOWS.length = 0;
      for (let i = 0; i < cands.length; i++) WINDOWS.push(cands[i]!.window);
      while (pos < q) {
        const t = t0 + pos;
        const r = pos === 0 ? first : this.chooseAt(cands, t);
        if (!r) return `no rate holds at ${new Date(t).toISOString()} (${pos} ms into the usage)`;
        const edge = nextEdge(this.catalog.clock, t, this.lt, windows) - t0;
        const end = edge < q ? edge : q;
        const u0 = acc.units;
        const c0 = acc.cost;
        const from = pos;
        pos = billSteps(r.model.steps!, pos, end, acc);
        const last = segments[segments.length - 1];
        if (last && last.rate === r.id) { last.to = end; last.billed += acc.units - u0; }
        else segments.push({ rate: r.id, window: r.windowId, from, to: end, billed: acc.units - u0 });
        if (r.rounding.decimals > rounding.decimals) rounding = r.rounding;
        if (this.steps) this.step(`  ${from}–${end} ms in window ${r.windowId} (rate ${r.id}): billed ${acc.units - u0} ms = ${costText(sub(acc.cost, c0))}`);
      }
      c = acc.cost;
      billed = acc.units;
      detail = segments.map((s) => `${s.window}:${s.rate} ${s.from}-${s.to} billed ${s.billed}`).join('; ');
    } else {
      const prior = first.model.basis === 'period' ? this.tierPrior(first, u, svc) : 0;
      const r = first.model.price(q, prior);
      c = r.cost;
      billed = r.billed;
      detail = r.detail;
      if (first.model.basis === 'period') this.tierAdd(first, u, svc, q);
      segments.push({ rate: first.id, window: first.windowId, from: 0, to: q, billed });
      if (this.steps) this.step(`  ${r.detail} = ${costText(r.cost)}`);
    }
    if (q > 0 && feeRate.connectFee !== 0n) {
      c = add(c, { n: feeRate.connectFee, d: 1n });
      if (this.steps) this.step(`connect fee ${formatMoney(feeRate.connectFee)}${feeRate !== first ? ` (of ${feeRate.id}, the rate of the first part)` : ''} → ${costText(c)}`);
    }
    let capped: string | undefined;
    if (q > 0 && first.minCost !== undefined && cmp(c, { n: first.minCost, d: 1n }) < 0) {
      capped = `raised to minimum cost ${formatMoney(first.minCost)}`;
      c = { n: first.minCost, d: 1n };
      if (this.steps) this.step(capped);
    }
    if (maxC && cmp(c, { n: maxC.amount, d: 1n }) > 0) {
      if (maxC.strategy === 'reject') return `max cost ${formatMoney(maxC.amount)} exceeded (${costText(c)}): strategy reject`;
      capped = `capped at maximum cost ${formatMoney(maxC.amount)} (was ${costText(c)}; the rest is free)`;
      c = { n: maxC.amount, d: 1n };
      if (this.steps) this.step(capped);
    }
    return { cost: c, billed, rate: first, prefix, segments, detail, rounding, capped };
  }

  /**
   * `window-split: cgrates`: the call priced as CGRateS timespans (see cgrates-split.ts), with the explanation of
   * every part and of each time-window change that CGRateS applies later than it happens (inside a rate slot).
   */
  private priceCgrates(cands: CompiledRate[], t0: number, q: number, segments: PriceOutcome['segments']):
    { cost: Cost; billed: number; feeRate: CompiledRate; rates: CompiledRate[] } | string {
    const dec = this.catalog.cgratesRoundingDecimals;
    const r = (this.cgrates ??= new CgratesSplitter(this.catalog.clock, dec)).price(cands, t0, q);
    if (typeof r === 'string') return r;
    if (this.steps) this.step(`window-split cgrates (CGRateS timespans, rounding_decimals ${dec}): cut at local midnight, then at rate-slot starts (GroupIntervalStart) before time-of-day changes; each part priced by the rate in force at its start, at the slot of its start offset; part cost and increment cost rounded half-up to ${dec} decimals`);
    const sec = (ms: number) => `${ms % 1000 ? (ms / 1000).toFixed(3) : ms / 1000} s`;
    for (const p of r.parts) {
      segments.push({ rate: p.rate.id, window: p.rate.windowId, from: p.from, to: p.to, billed: p.to - p.from, cost: formatMoney(p.cost, dec) });
      if (!this.steps) continue;
      this.step(`  ${sec(p.from)}–${sec(p.to)} in window ${p.rate.windowId} (rate ${p.rate.id}), slot from ${sec(p.step.from)}: ${formatMoney(p.step.price)} per ${sec(p.step.per)}, ${p.increments} × ${sec(p.step.inc)}: ${costText(p.exact)} → ${formatMoney(p.spanCost, dec)}; per increment ${formatMoney(p.incrementCost, dec)} × ${p.increments} = ${formatMoney(p.cost, dec)}`);
      WINDOWS.length = 0;
      for (const c of cands) WINDOWS.push(c.window);
      for (let t = t0 + p.from; ;) {
        const edge = nextEdge(this.catalog.clock, t, localTime(this.catalog.clock, t, this.lt), WINDOWS);
        if (edge >= t0 + p.to) break;
        const now = this.chooseAt(cands, edge);
        if (now && now !== p.rate) {
          this.step(`    window ${now.windowId} holds from ${new Date(edge).toISOString()} (${sec(edge - t0)} into the usage), inside this part: CGRateS cuts at rate-slot starts before time-of-day changes, so ${p.rate.windowId} prices the part to its end (${sec(p.to)})`);
          break;
        }
        t = edge;
      }
    }
    return { cost: r.cost, billed: r.billed, feeRate: r.parts[0]!.rate, rates: r.parts.map((p) => p.rate) };
  }

  /** CGRateS *disconnect: increments are billed until the cost reaches the maximum; usage after that is cut. */
  private disconnect(cands: CompiledRate[], first: CompiledRate, u: Udr, q: number, prefix: string, max: bigint): PriceOutcome | string {
    let c: Cost = { n: first.connectFee, d: 1n };
    let pos = 0;
    const cap: Cost = { n: max, d: 1n };
    while (pos < q && cmp(c, cap) < 0) {
      const r = u.unit === 'ms' ? this.chooseAt(cands, u.startTime + pos) ?? first : first;
      const s = stepAt(r.model.steps!, pos);
      c = add(c, { n: s.price * BigInt(s.inc), d: BigInt(s.per) });
      pos += s.inc;
    }
    const capped = pos < q ? `disconnected at ${pos} of ${q} (max cost ${formatMoney(max)} reached: ${costText(c)})` : undefined;
    if (capped) if (this.steps) this.step(capped);
    return { cost: c, billed: pos, rate: first, prefix, segments: [{ rate: first.id, window: first.windowId, from: 0, to: Math.min(pos, q), billed: pos }], detail: capped ?? `billed ${pos}`, rounding: first.rounding, capped };
  }

  private periodFor(freq: Frequency, t: number): Period {
    const hit = this.periodCache.get(freq);
    if (hit && t >= hit.start && t < hit.end) return hit;
    const p = periodOf(freq, t, this.catalog.timezone);
    this.periodCache.set(freq, p);
    return p;
  }

  private tierKey(r: CompiledRate, u: Udr, svc?: ServiceView): string {
    return `${r.plan}/${r.id}|${svc?.id ?? u.account}|${this.periodFor('monthly', u.startTime).key}`;
  }

  private tierPrior(r: CompiledRate, u: Udr, svc?: ServiceView): number {
    return this.state.tiers[this.tierKey(r, u, svc)] ?? 0;
  }

  private tierAdd(r: CompiledRate, u: Udr, svc: ServiceView | undefined, q: number): void {
    const k = this.tierKey(r, u, svc);
    this.state.tiers[k] = (this.state.tiers[k] ?? 0) + q;
    this.touched.add(stateKey('tiers', k));
  }

  // ---------------------------------------------------------------- share plans

  private scopeAccounts(owner: string, level: 'parent' | 'account'): string[] {
    if (level === 'account') return [owner];
    const out: string[] = [];
    const stack = [owner];
    while (stack.length) {
      const a = stack.pop()!;
      out.push(a);
      for (const ch of this.catalog.children.get(a) ?? []) stack.push(ch);
    }
    return out.sort();
  }

  private scopeServices(accounts: string[]): ServiceView[] {
    const set = new Set(accounts);
    const ids = new Set<string>();
    for (const a of accounts) for (const s of this.catalog.servicesByAccount.get(a) ?? []) ids.add(s.id);
    for (const [id, e] of Object.entries(this.state.services)) if (set.has(e.account)) ids.add(id);
    return [...ids].sort().map((id) => this.serviceView(id)!).filter(Boolean);
  }

  private coreAt(v: ServiceView, t: number): CoreState | undefined {
    const st = this.stateAt(v, t);
    return v.typeDef ? v.typeDef.states.get(st) : st === 'active' ? 'active' : undefined;
  }

  private debitPool(sp: CompiledSharePlan, svc: ServiceView, u: Udr, want: number):
    { debit: number; lineage: { pool: string; owner: string; period: string; size: number; before: number; after: number; debit: number } } | null {
    const svcRef = { id: svc.id, account: svc.account, type: svc.type, plan: svc.plan } as ServiceRef;
    if (!selects(sp.participating, svcRef)) return null;
    const owner = sp.level === 'parent' ? rootOf(this.catalog, svc.account) : svc.account;
    const period = this.periodFor(sp.frequency, u.startTime);
    const key = `${sp.id}|${owner}|${period.key}`;
    let pool = this.state.pools[key];
    if (!pool) {
      const services = this.scopeServices(this.scopeAccounts(owner, sp.level));
      const live = services.filter((s) => this.coreAt(s, u.startTime) === 'active');
      const refOf = (s: ServiceView) => ({ id: s.id, account: s.account, type: s.type, plan: s.plan }) as ServiceRef;
      if (sp.activation === 'selling' && !live.some((s) => selects(sp.selling, refOf(s)))) return null;
      let size = sp.size;
      if (sp.growth === 'variable') {
        for (const s of live) {
          if (!selects(sp.participating, refOf(s))) continue;
          const c = sp.contributions.find((x) => selects(x.sel, refOf(s)));
          if (c) size += c.amount;
        }
      } else if (sp.size === 0) {
        const c = live.map((s) => sp.contributions.find((x) => selects(x.sel, refOf(s)))?.amount ?? 0);
        size = c.length ? Math.max(...c) : 0;
      }
      pool = { size, used: 0, start: period.start, end: period.end, fired: [] };
      this.state.pools[key] = pool;
      if (this.steps) this.step(`pool ${sp.id} opened for ${owner} ${period.key}: size ${size} (${sp.growth}${sp.growth === 'variable' ? `: base ${sp.size} + contributions of ${live.length} active service(s)` : ''})`);
    }
    const before = pool.used;
    const debit = Math.max(0, Math.min(want, pool.size - pool.used));
    pool.used += debit;
    this.touched.add(stateKey('pools', key));
    if (pool.size > 0) {
      for (const th of sp.thresholds) {
        if (pool.fired.includes(th)) continue;
        if (pool.used * 100 >= th * pool.size) {
          pool.fired.push(th);
          this.events.push({ type: 'bucket-threshold-reached', key, at: u.startTime, detail: { pool: sp.id, owner, period: period.key, percent: th, used: pool.used, size: pool.size } });
        }
      }
    }
    return { debit, lineage: { pool: key, owner, period: period.key, size: pool.size, before, after: pool.used, debit } };
  }

  // ---------------------------------------------------------------- contracts

  private countContracts(u: Udr, charges: Charge[], from: number): void {
    const ids = this.contractsByAccount.get(u.account);
    if (!ids) return;
    for (const cid of ids) {
      const c = this.catalog.contracts.get(cid)!;
      if (c.scope === 'line-item' && !c.services.includes(u.service)) continue;
      if (u.startTime < c.start) continue;
      const month = monthsBetween(c.start, u.startTime, this.catalog.timezone) + 1;
      const key = `${cid}|${month}`;
      const k = this.state.contracts[key] ?? (this.state.contracts[key] = { spend: '0', usage: {}, volume: {} });
      let spend = 0n;
      for (let i = from; i < charges.length; i++) spend += charges[i]!.amount;
      const qty = u.quantity;
      k.spend = (BigInt(k.spend) + spend).toString();
      k.usage[u.usageClass] = (BigInt(k.usage[u.usageClass] ?? '0') + spend).toString();
      k.volume[u.usageClass] = (k.volume[u.usageClass] ?? 0) + qty;
      this.touched.add(stateKey('contracts', key));
    }
  }

  /** state of every service at time t (for connection counts) */
  activeServicesOf(accounts: string[], t: number, only?: string[]): string[] {
    const svcs = this.scopeServices(accounts).filter((s) => (!only || only.includes(s.id)) && this.coreAt(s, t) === 'active');
    return svcs.map((s) => s.id);
  }

  /** The full state timeline (catalog initial states + every transition), for recurringCharges. */
  stateLog(): StateLogRow[] {
    const rows: StateLogRow[] = [];
    const ids = new Set<string>([...this.catalog.services.keys(), ...Object.keys(this.state.services)]);
    for (const id of [...ids].sort()) {
      const v = this.serviceView(id)!;
      const core = (s: string) => v.typeDef?.states.get(s) ?? (s === 'active' ? 'active' : 'unknown');
      if (!v.entry) {
        rows.push({ service: id, account: v.account, type: v.type, plan: v.plan, from: NEW_STATE, to: v.ref!.state, core: core(v.ref!.state), at: v.ref!.since, cause: 'catalog' });
        continue;
      }
      let prev = NEW_STATE;
      for (const l of v.entry.log) {
        rows.push({ service: id, account: v.account, type: v.type, plan: v.plan, from: prev, to: l.state, core: core(l.state), at: l.at, cause: l.cause });
        prev = l.state;
      }
    }
    return rows;
  }
}

function sub(a: Cost, b: Cost): Cost {
  return add(a, { n: -b.n, d: b.d });
}

function activeAssignment(list: readonly { usageClass: string; from: number; plan: string; fallback: string[]; account: string }[], uc: string, t: number) {
  let best: (typeof list)[number] | undefined;
  for (const a of list) {
    if (a.usageClass !== uc && a.usageClass !== '*any') continue;
    if (a.from <= t && (!best || a.from >= best.from)) best = a;
  }
  return best;
}

