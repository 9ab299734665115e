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
 *  4. price model → connect fee → minimum / maximum cost → rounding (one rounding point per charge);
 *  5. settle: the UDR's charges debited from the money balances of the catalog's `balances` section.
 *
 * With charging runs (catalog `charging-runs`) each UDR goes through the above once per run: the run's field rewrites
 * applied, its plans (if it lists any) instead of step 2; only the primary run (the first) moves rating state.
 */
import type { Charge, LineageSource, RatingResult, Reject, Udr } from '../core/types.ts';
import { formatMoney } from '../core/money.ts';
import { type ChargingRun, type CompiledCatalog, type CompiledPlan, type CompiledSharePlan, type CoreState, DEFAULT_RUN, NEW_STATE, type RateIndex } from './catalog.ts';
import { type Frequency, monthsBetween, type Period, periodOf } from './durations.ts';
import { CgratesSplitter } from './cgrates-split.ts';
import { RateSelector } from './rate-select.ts';
import { RatedCharge } from './rated-charge.ts';
import { sha1Head } from './sha1-id.ts';
import { sumAddCost, sumReset } from './rational.ts';
import { SESSION_ATTR, type SessionPart, sessionPart } from './sessions.ts';
import { UsageLineage } from './steps/lineage.ts';
import { compileStepPlan, type StepPlan } from './steps/registry.ts';
import { type Lineage, MeasureContext, type PoolSlot, type RatingEvent, type RatingHost, type ServiceView } from './steps/types.ts';
import { emptyState, type FirstUseCounter, type RatingState, restoreState, type ServiceStateEntry, type SessionState, type StateArea, type StateChange, stateKey } from './state.ts';
import { StateTracker } from './state-tracker.ts';
import { FirstUseValue, LogEntry, ServiceEntry } from './state-values.ts';
import { FirstUseActivatedDetail, RatingEventRecord, StateChangedDetail, TimelineRow } from './transition-records.ts';
import { NoteLineage } from './note-lineage.ts';

export type { RatingEvent, ServiceView } from './steps/types.ts';

/** records per chunk of `rate` whose service views are looked up ahead */
const AHEAD = 32;

/** `\u001f${kind}\u001f${seq}` of the usual kinds and first sequence numbers, written once */
const ID_SUFFIX = new Map<string, string[]>();

/** the last kind's list (nearly every charge of a batch is of one kind) */
let lastKind = '';
let lastList: string[] = [];

function idSuffix(kind: string, seq: number): string {
  if (kind === lastKind && seq < 8) return (lastList[seq] ??= `\u001f${kind}\u001f${seq}`);
  let list = ID_SUFFIX.get(kind);
  if (!list) {
    list = [];
    if (ID_SUFFIX.size < 64) ID_SUFFIX.set(kind, list);
  }
  if (ID_SUFFIX.get(kind) === list) { lastKind = kind; lastList = list; }
  return seq < 8 ? (list[seq] ??= `\u001f${kind}\u001f${seq}`) : `\u001f${kind}\u001f${seq}`;
}

/** Deterministic charge id: sha1 of UDR id, kind and sequence, its first 24 hex digits (sha1-id.ts: the same ids as crypto). */
export function chargeId(udrId: string, kind: string, seq: number): string {
  return sha1Head(udrId, idSuffix(kind, seq), 24);
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

interface PlanChoice {
  plan: CompiledPlan;
  via: string;
}

/** a service view with the Rater's memo: the service's candidate plans */
interface CachedView extends ServiceView {
  choices?: readonly PlanChoice[];
  /** the plan id `choices` was found for (compared on the view itself: no walk through the choice to its plan) */
  choicesOf?: string;
  /** the one plan of `choices` and how it was found (undefined: none, or not looked up yet): read without the list */
  onePlan?: CompiledPlan;
  oneVia?: string;
  /** the service's ids in the change tracker (services/<id>, firstUse/<id>), interned on first change */
  svcId?: number;
  fuId?: number;
  /**
   * the last row of the service's timeline (its state from `lastAt` on: the state at any later time without reading
   * the log), or its only state (-Infinity: no log row); kept in step by the Rater, which writes every log row
   */
  lastState: string;
  lastAt: number;
  /** its bill-on-first-use counter in the state (the object `state.firstUse[id]`), once read */
  counter?: FirstUseCounter;
}

export class Rater implements RatingHost {
  readonly state: RatingState;
  readonly trace: boolean;
  /** keys changed by the batch (integer ids for services, counters and pools) */
  private readonly tracker = new StateTracker();
  private events: RatingEvent[] = [];
  private logRows: StateLogRow[] = [];
  readonly select: RateSelector;
  private readonly ctx: MeasureContext;
  private readonly plans = new Map<RateIndex, StepPlan>();
  private readonly accountPlans = new Map<string, readonly PlanChoice[]>();
  /** services of the state by account (pool scopes; kept in step with `state.services`, which only the Rater changes once it exists) */
  private readonly stateServicesOf = new Map<string, Set<string>>();
  private readonly views = new Map<string, ServiceView>();
  /** the cached views of the records of `rate`'s current chunk, looked up ahead */
  private readonly ahead: (ServiceView | undefined)[] = new Array(AHEAD).fill(undefined);
  /** what the look-ahead read of the views (kept only so that the read is not optimised away) */
  private warm = 0;
  private readonly poolSlotMaps = new Map<CompiledSharePlan, Map<string, PoolSlot>>();
  private readonly periodCache = new Map<string, Period>();
  private readonly contractsByAccount = new Map<string, string[]>();
  private steps: string[] | null = null;
  /** trace: steps common to all charges of the UDR, and where the current measure's steps start */
  private stepHead = 0;
  private stepMark = 0;
  /** `window-split: cgrates` pricing, created on first use */
  private cgratesSplitter?: CgratesSplitter;
  /** the charging run being rated (undefined: the catalog has none), whether it moves rating state, its usage id kind */
  private run: ChargingRun | undefined;
  private stateful = true;
  private usageKind = 'usage';
  private readonly runPlans = new Map<ChargingRun, readonly PlanChoice[]>();
  private lastIxPlan: CompiledPlan | undefined;
  private lastIxClass = '';
  private lastIx: RateIndex | undefined;
  /** choosePlan's answer */
  private chosenPlan: CompiledPlan | undefined;
  private chosenMeasures: string[] | undefined;
  private chosenVia = '';

  constructor(readonly catalog: CompiledCatalog, state?: RatingState | string, opts: RaterOptions = {}) {
    this.state = state === undefined ? emptyState() : typeof state === 'string' ? restoreState(state) : state;
    this.trace = !!opts.trace;
    this.select = new RateSelector(catalog);
    for (const id in this.state.services) this.indexService(id, this.state.services[id]!.account);
    this.ctx = new MeasureContext(this);
    for (const c of catalog.contracts.values()) {
      const l = this.contractsByAccount.get(c.account) ?? [];
      l.push(c.id);
      this.contractsByAccount.set(c.account, l);
    }
  }

  /**
   * Forget what the Rater keeps of `state` between records (service views with their plan choices and pool slots).
   * The Rater assumes it is the only writer of `state`; code that changes `state` from outside (authorize undoing its
   * probes) calls this afterwards.
   */
  resetCaches(): void {
    this.tracker.forgetValues();
    this.views.clear();
    this.poolSlotMaps.clear();
  }

  /** JSON text of the whole state (persist it; `new Rater(catalog, text)` restores it). */
  snapshot(): string {
    return JSON.stringify(this.state);
  }

  // ---------------------------------------------------------------- batch entry points

  rate(udrs: readonly Udr[]): RateBatchResult {
    const charges: Charge[] = [];
    const rejects: Reject[] = [];
    const runs = this.catalog.runs;
    if (runs.length) {
      for (let i = 0; i < udrs.length; i++) {
        const u = udrs[i]!;
        try {
          this.rateRuns(u, runs, charges, rejects);
        } catch (e) {
          rejects.push(this.reject(u, 'RATING_ERROR', `rating failed: ${(e as Error).message}`));
        }
      }
      return this.finish(charges, rejects);
    }
    // in chunks: the service views of a chunk's records are looked up first, in a loop of independent look-ups (the
    // 100k-entry map's reads are cache misses; one after the other in rateOne they wait in turn, here they overlap)
    const ahead = this.ahead;
    for (let i0 = 0; i0 < udrs.length; i0 += AHEAD) {
      const n = Math.min(AHEAD, udrs.length - i0);
      let warm = 0;
      for (let j = 0; j < n; j++) {
        const id = udrs[i0 + j]!.service;
        const v = id ? this.views.get(id) : undefined;
        ahead[j] = v;
        // and the view's first read (its state fields, read first by rateOne), for the same reason
        if (v !== undefined) warm += (v as CachedView).lastAt;
      }
      this.warm = warm;
      for (let j = 0; j < n; j++) {
        const u = udrs[i0 + j]!;
        const v = ahead[j];
        ahead[j] = undefined;
        try {
          this.rateOne(u, charges, rejects, v);
        } catch (e) {
          rejects.push(this.reject(u, 'RATING_ERROR', `rating failed: ${(e as Error).message}`));
        }
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
    const stateChanges = this.tracker.collect(this.state);
    const events = this.events;
    const stateLog = this.logRows;
    this.events = [];
    this.logRows = [];
    // the measure context must not keep the batch's charges (and through them their lineage and UDRs) alive until the
    // Rater's next batch: a streaming slot idles between batches, and four slots kept ≈ 40k charges of a 2M run
    this.ctx.charges = [];
    return { charges, rejects, stateChanges, events, stateLog };
  }

  // ---------------------------------------------------------------- services

  private indexService(id: string, account: string): void {
    let set = this.stateServicesOf.get(account);
    if (!set) this.stateServicesOf.set(account, (set = new Set()));
    set.add(id);
  }

  /**
   * The service as the rating sees it (state entry over catalog reference): one cached view per service. The Rater is
   * the only writer of `state.services` once it exists (as for stateServicesOf): it refreshes a view when it adds or
   * removes the service's entry, so a cached view is current and no state look-up is needed per record.
   */
  serviceView(id: string): ServiceView | undefined {
    const hit = this.views.get(id);
    if (hit !== undefined) return hit;
    const entry = this.state.services[id];
    const ref = this.catalog.services.get(id);
    if (!entry && !ref) return undefined;
    const type = entry?.type ?? ref!.type;
    const last = entry?.log.length ? entry.log[entry.log.length - 1]! : undefined;
    const v: CachedView = {
      id, account: entry?.account ?? ref!.account, type, plan: entry?.plan ?? ref!.plan, typeDef: this.catalog.serviceTypes.get(type), entry, ref, pools: undefined, choices: undefined, choicesOf: undefined, onePlan: undefined, oneVia: undefined, svcId: undefined, fuId: undefined,
      lastState: last ? last.state : entry ? entry.state : ref!.state, lastAt: last ? last.at : -Infinity, counter: undefined,
    };
    this.views.set(id, v);
    return v;
  }

  private currentState(v: ServiceView): { state: string; since: number } {
    return { state: stateNow(v), since: sinceNow(v) };
  }

  /** state of the service at time t (timeline lookup: late usage is rated in the state it happened in) */
  private stateAt(v: ServiceView, t: number): string {
    // at or after the last row of the timeline (the usual case): its state, read from the view
    if (t >= (v as CachedView).lastAt) return (v as CachedView).lastState;
    const e = v.entry;
    if (!e) return v.ref ? v.ref.state : NEW_STATE;
    const log = e.log;
    for (let i = log.length - 1; i >= 0; i--) if (log[i]!.at <= t) return log[i]!.state;
    return v.ref && log.length && log[0]!.at > t ? v.ref.state : log.length ? log[0]!.state : e.state;
  }

  private ensureEntry(v: ServiceView): ServiceStateEntry {
    if (v.entry) return v.entry;
    const ref = v.ref!;
    const entry: ServiceStateEntry = new ServiceEntry(ref.account, ref.type, ref.plan, ref.state, ref.since, [new LogEntry(ref.state, ref.since, 'catalog')]);
    this.state.services[v.id] = entry;
    this.indexService(v.id, entry.account);
    v.entry = entry;
    (v as CachedView).lastState = ref.state;
    (v as CachedView).lastAt = ref.since;
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
    entry.log.push(new LogEntry(to, at, cause));
    (v as CachedView).lastState = to;
    (v as CachedView).lastAt = at;
    this.tracker.touchId(((v as CachedView).svcId ??= this.tracker.id('services', v.id)), entry);
    const core = v.typeDef?.states.get(to) ?? 'unknown';
    // rows, events and the charge are class instances, not literals (transition-records.ts, rated-charge.ts)
    this.logRows.push(new TimelineRow(v.id, v.account, v.type, v.plan, from, to, core, at, cause));
    this.events.push(new RatingEventRecord('service-state-changed', v.id, at, new StateChangedDetail(from, to, core, cause)));
    if (why) this.events.push(new RatingEventRecord('first-use-activated', v.id, at, new FirstUseActivatedDetail(why, from, to)));
    if (t.charge !== 0n) {
      const plan = this.catalog.plans.get(v.plan);
      charges.push(new RatedCharge(chargeId(cause, 'one_time', 0), cause, v.account, this.ratingKeyOf(v.account), v.id, '', 'one_time', plan?.product ?? '', v.plan,
        `transition:${from}->${to}`, `${v.type}: ${from} → ${to}${why ? ` (bill on first use: ${why})` : ''}`, 1, 'event', t.charge, this.catalog.currency, at, cause, '',
        this.catalog.version,
        JSON.stringify({ v: 1, kind: 'transition', service: v.id, type: v.type, from, to, charge: formatMoney(t.charge), at, cause, catalog: this.catalog.version, firstUse: why ?? null })));
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
      this.state.services[ev.service] = new ServiceEntry(ev.account, ev.type, ev.plan, NEW_STATE, at, []);
      this.views.delete(ev.service);
      this.indexService(ev.service, ev.account);
      v = this.serviceView(ev.service)!;
    }
    const cur = this.currentState(v);
    if (at < cur.since) return void rej(`event ${ev.id}: at ${new Date(at).toISOString()} is before the service's last change (${new Date(cur.since).toISOString()}); events must arrive in order per service`);
    if (!v.typeDef) return void rej(`event ${ev.id}: service ${v.id} has no service type with states`);
    if (!v.typeDef.states.has(ev.to)) return void rej(`event ${ev.id}: ${ev.to} is not a state of ${v.type} (${[...v.typeDef.states.keys()].join(', ')})`);
    if (!this.transition(v, ev.to, at, ev.id, charges)) {
      if (cur.state === NEW_STATE) {
        delete this.state.services[ev.service];
        this.views.delete(ev.service);
        this.stateServicesOf.get(v.account)?.delete(ev.service);
      }
      rej(`event ${ev.id}: no transition ${cur.state} → ${ev.to} for service type ${v.type}`);
      return;
    }
    // entering the waiting state of bill-on-first-use starts a fresh counter
    const fu = v.typeDef.firstUse;
    if (fu && ev.to === fu.from) {
      this.state.firstUse[v.id] = (v as CachedView).counter = new FirstUseValue(0, []);
      this.touchFirstUse(v);
    }
  }

  /** Bill on first use. Returns 'billed' to rate normally or a text explaining why the usage is not billed. */
  private firstUse(v: ServiceView, u: Udr, charges: Charge[]): string | null {
    const fu = v.typeDef?.firstUse;
    if (!fu) return null;
    // the current state from the view (its last timeline row: the entry's state), without reading the state entry
    if ((v as CachedView).lastState !== fu.from) return null;
    const since = sinceNow(v);
    if (u.startTime < since) return null;
    if (fu.period && u.startTime >= since + fu.period) {
      this.transition(v, fu.to, since + fu.period, `first-use-period:${v.id}`, charges, 'period');
      if (this.steps) this.step(`bill on first use: the waiting period ended at ${new Date(since + fu.period).toISOString()} → ${fu.to}`);
      return null;
    }
    if (fu.usageClass && fu.usageClass !== u.usageClass) return `not billed: ${v.id} is ${fu.from} (bill on first use counts ${fu.usageClass} only)`;
    const view = v as CachedView;
    const c: FirstUseCounter = view.counter ?? (view.counter = this.state.firstUse[v.id] ?? (this.state.firstUse[v.id] = new FirstUseValue(0, [])));
    this.touchFirstUse(v);
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
  plansFor(u: Udr, svc?: ServiceView): readonly PlanChoice[] {
    const cat = this.catalog;
    if (svc) {
      // one cached answer per service and plan (the answer depends on the plan id only: the catalog's plans are fixed)
      const view = svc as CachedView;
      if (view.choicesOf === svc.plan) return view.choices!;
      const p = cat.plans.get(svc.plan);
      const out = p ? [{ plan: p, via: `service ${svc.id}` }] : [];
      view.choices = out;
      view.choicesOf = svc.plan;
      view.onePlan = p;
      view.oneVia = out.length ? out[0]!.via : undefined;
      return out;
    }
    const fixed = !cat.assignments.size && !cat.assignmentPatterns.length;
    if (fixed) {
      const hit = this.accountPlans.get(u.account);
      if (hit) return hit;
    }
    const out: PlanChoice[] = [];
    this.assigned(u.account, u.usageClass, u.startTime, 0, out);
    if (out.length) return out;
    const acct = cat.accounts.get(u.account);
    const pid = acct?.plan ?? acct?.services[0]?.plan ?? cat.defaultPlan;
    const p = pid ? cat.plans.get(pid) : undefined;
    const res = p ? [{ plan: p, via: acct?.plan ? `account ${u.account}` : acct?.services[0] ? `account ${u.account} first service` : 'default-plan' }] : [];
    // without assignments the answer depends on the account only (bounded: accounts of the catalog, or the default plan)
    if (fixed && (acct || this.accountPlans.size < 100_000)) this.accountPlans.set(u.account, res);
    return res;
  }

  private assigned(account: string, uc: string, t: number, depth: number, out: PlanChoice[]): void {
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

  step(s: string): void {
    if (this.steps) this.steps.push(s);
  }

  private reject(u: Udr, reason: 'NO_RATE' | 'UNKNOWN_ACCOUNT' | 'RATING_ERROR', message: string): Reject {
    return { feed: u.feed, source: u.source, reason, message, raw: JSON.stringify(u), rulesVersion: `${u.rulesVersion}/${this.catalog.version}` };
  }

  /**
   * Charging runs: the UDR rated once per run — the other runs first (no pools, bill on first use, sessions or
   * contract counters; period-basis tiers count under their own plan/rate keys), the primary run last. A reject in any run rejects the UDR (the message
   * names the run; `raw` is the UDR as received), and no run keeps a charge of it.
   */
  private rateRuns(u: Udr, runs: readonly ChargingRun[], charges: Charge[], rejects: Reject[]): void {
    const before = charges.length;
    const rejected = rejects.length;
    try {
      for (let k = 1; k <= runs.length; k++) {
        const r = runs[k % runs.length]!;
        this.run = r;
        this.stateful = k === runs.length;
        this.usageKind = r.name === DEFAULT_RUN ? 'usage' : `usage@${r.name}`;
        const from = charges.length;
        this.rateOne(runUdr(u, r), charges, rejects);
        if (rejects.length > rejected) {
          for (let j = rejected; j < rejects.length; j++) rejects[j] = { ...rejects[j]!, message: `charging run ${r.name}: ${rejects[j]!.message}`, raw: JSON.stringify(u) };
          charges.length = before;
          return;
        }
        for (let j = from; j < charges.length; j++) {
          const c = charges[j]!;
          c.run = r.name;
          c.billable = r.billable;
        }
      }
    } catch (e) {
      charges.length = before;
      throw e;
    } finally {
      this.run = undefined;
      this.stateful = true;
      this.usageKind = 'usage';
    }
  }

  /** a run's own plans as plan choices (one cached list per run) */
  private runChoices(r: ChargingRun): readonly PlanChoice[] {
    let hit = this.runPlans.get(r);
    if (!hit) this.runPlans.set(r, (hit = r.plans.map((plan) => ({ plan, via: `charging run ${r.name}` }))));
    return hit;
  }

  /**
   * The first candidate plan (plansFor, or the charging run's) that prices the usage class: chosenPlan / chosenMeasures
   * / chosenVia; false = rejected (the reject pushed).
   */
  private choosePlan(u: Udr, svc: ServiceView | undefined, svcState: string, rejects: Reject[]): boolean {
    let plan: CompiledPlan | undefined;
    let measures: string[] | undefined;
    let via = '';
    const plans = this.run?.plans.length ? this.runChoices(this.run) : this.plansFor(u, svc);
    if (!plans.length) {
      rejects.push(this.reject(u, this.catalog.accounts.has(u.account) ? 'NO_RATE' : 'UNKNOWN_ACCOUNT', `no plan for account ${u.account}${u.service ? ` / service ${u.service}` : ''}`));
      return false;
    }
    for (const p of plans) {
      const ms = p.plan.measures.get(u.usageClass);
      if (ms) {
        // with fallbacks, a plan counts only if some rate matches the destination
        if (plans.length > 1 && !this.anyRate(p.plan, u, ms, svcState)) { if (this.steps) this.step(`plan ${p.plan.id} (${p.via}) has no rate for ${u.destination || 'this usage'}; trying the next`); continue; }
        plan = p.plan; measures = ms; via = p.via; break;
      }
    }
    if (!plan || !measures) {
      const names = plans.map((p) => p.plan.id).join(' / ');
      const priced = plans.some((p) => p.plan.measures.has(u.usageClass));
      rejects.push(this.reject(u, 'NO_RATE', priced
        ? `plan ${names} has no ${u.usageClass} rate for destination ${u.destination || '(none)'}`
        : `plan ${names} has no rate for usage class ${u.usageClass}${u.destination ? ` (destination ${u.destination})` : ''}`));
      return false;
    }
    this.chosenPlan = plan;
    this.chosenMeasures = measures;
    this.chosenVia = via;
    return true;
  }

  /** `cached`: the service's cached view if `rate` looked it up ahead (undefined: look it up here) */
  private rateOne(u: Udr, charges: Charge[], rejects: Reject[], cached?: ServiceView): void {
    const cat = this.catalog;
    this.steps = this.trace ? [] : null;
    this.stepHead = this.stepMark = 0;
    if (this.steps) this.step(`UDR ${u.id}: ${u.usageClass} ${u.quantity} ${u.unit} at ${new Date(u.startTime).toISOString()} account ${u.account}${u.service ? ` service ${u.service}` : ''}${u.destination ? ` → ${u.destination}` : ''}`);
    if (this.steps && this.run) this.step(`charging run ${this.run.name} (${this.run.billable ? 'billable' : 'not billable'})${this.run.rewrites.map((w) => `, ${w.field} = ${w.text}`).join('')}`);
    const svc = cached ?? (u.service ? this.serviceView(u.service) : undefined);
    let svcState = '';
    if (svc) {
      const unbilled = this.stateful ? this.firstUse(svc, u, charges) : null;
      svcState = this.stateAt(svc, u.startTime);
      const core = svc.typeDef?.states.get(svcState);
      if (this.steps) this.step(`service ${svc.id} (${svc.type}, plan ${svc.plan}) is ${svcState}${core ? ` (core ${core})` : ''} at the usage time`);
      if (unbilled) {
        if (this.steps) this.step(unbilled);
        charges.push(this.charge(u, 0, svc.plan, cat.plans.get(svc.plan)?.product ?? '', 'first-use', unbilled, u.quantity, 0n,
          // JSON.stringify({ v: 1, note }) written on demand (the object only when tracing adds its steps)
          this.steps ? { v: 1, note: unbilled } : new NoteLineage(unbilled)));
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
    // the first candidate plan that prices this usage class
    let plan: CompiledPlan | undefined;
    let measures: string[] | undefined;
    let via = '';
    // the service's one plan, kept on its view (no read of the choice list: its only choice)
    const view = svc as CachedView | undefined;
    if (view !== undefined && view.choicesOf === view.plan && view.onePlan !== undefined && !this.run?.plans.length) {
      measures = view.onePlan.measures.get(u.usageClass);
      if (measures !== undefined) { plan = view.onePlan; via = view.oneVia!; }
    }
    if (plan === undefined || measures === undefined) {
      if (!this.choosePlan(u, svc, svcState, rejects)) return;
      plan = this.chosenPlan!; measures = this.chosenMeasures!; via = this.chosenVia;
    }
    if (this.steps) this.step(`plan ${plan.id} (product ${plan.product}) via ${via}`);
    const before = charges.length;
    if (this.steps) this.stepHead = this.stepMark = this.steps.length;
    const ctx = this.ctx;
    ctx.charges = charges;
    ctx.seq = 0;
    let lastSp: StepPlan | undefined;
    for (let mi = 0; mi < measures.length; mi++) {
      const measure = measures[mi]!;
      if (this.steps) this.stepMark = this.steps.length;
      let q = u.quantity;
      if (measure) {
        const raw = u.attrs[measure];
        q = raw === undefined || raw === '' ? NaN : Number(raw);
        if (!Number.isInteger(q) || q < 0) {
          rejects.push(this.reject(u, 'RATING_ERROR', `measure ${measure}: attrs.${measure} = ${JSON.stringify(raw)} is not a non-negative integer`));
          charges.length = before;
          return;
        }
        if (this.steps) this.step(`measure ${measure}: quantity ${q}`);
      }
      const ix = this.indexOf(plan, u.usageClass, measure)!;
      const sp = (lastSp = this.stepPlan(ix));
      ctx.u = u; ctx.measure = measure; ctx.svc = svc; ctx.svcState = svcState; ctx.plan = plan; ctx.via = via; ctx.ix = ix;
      ctx.total = q; ctx.inside = 0; ctx.error = undefined; ctx.feePaid = false;
      while (ctx.debits.length !== 0) ctx.debits.pop();
      if (this.stateful) for (const st of sp.allocate) st.run(ctx);
      const rest = q - ctx.inside;
      // covered by pools: nothing left to price (the debit list is emptied for the next measure)
      if (ctx.inside > 0 && rest === 0) continue;
      if (!this.priceMeasure(ctx, sp, rest)) {
        charges.length = before;
        rejects.push(this.reject(u, ctx.errorReason, `plan ${plan.id}: ${ctx.error}`));
        return;
      }
    }
    // settle (balance debits): once per UDR, its charges of the primary run, after every measure is priced
    if (this.stateful) {
      // the step plan of the last measure (ctx.ix)
      const settle = lastSp?.settle;
      if (settle?.length) { ctx.udrStart = before; for (const st of settle) st.run(ctx); }
    }
    // contract counters
    if (this.contractsByAccount.size && this.stateful) this.countContracts(u, charges, before);
  }

  /** the plan's rates of (usage class, measure); the last answer for the plain measure is kept (records repeat it) */
  private indexOf(plan: CompiledPlan, usageClass: string, measure: string): RateIndex | undefined {
    if (measure) return plan.index.get(`${usageClass}\u0000${measure}`);
    if (plan === this.lastIxPlan && usageClass === this.lastIxClass) return this.lastIx;
    const ix = plan.index.get(`${usageClass}\u0000`);
    this.lastIxPlan = plan;
    this.lastIxClass = usageClass;
    this.lastIx = ix;
    return ix;
  }

  private anyRate(plan: CompiledPlan, u: Udr, ms: string[], svcState: string): boolean {
    for (const m of ms) {
      const ix = this.indexOf(plan, u.usageClass, m);
      if (ix && this.select.candidates(ix, u, m, svcState, 0, this.ctx.cands) !== null) return true;
    }
    return false;
  }

  /**
   * Select the rate and run the usage, adjust, round and emit steps; false = rejected (ctx.error says why). A part
   * of a session (partial records, sessions.ts) is priced as the whole call so far from the session start, and
   * charged the difference to what its earlier parts were charged.
   */
  private priceMeasure(ctx: MeasureContext, sp: StepPlan, q: number): boolean {
    const u = ctx.u;
    let part: SessionPart | null = null;
    if (!ctx.measure && ctx.inside === 0 && this.stateful && u.attrs[SESSION_ATTR]) {
      const p = sessionPart(u, this.state);
      if (typeof p === 'string') return !ctx.fail(p, 'RATING_ERROR');
      part = p;
    }
    const prior = part?.entry;
    // the pricing view of the record: a later part is priced from the session start, for the whole call so far
    const pu = prior ? { ...u, startTime: prior.start } : u;
    const t0 = pu.startTime;
    const prefix = this.select.candidates(ctx.ix, pu, ctx.measure, ctx.svcState, t0, ctx.cands);
    if (prefix === null) return !ctx.fail(`no rate for ${u.usageClass}${ctx.measure ? `/${ctx.measure}` : ''} in ${u.unit}${u.destination ? ` to ${u.destination}` : ''} at ${new Date(t0).toISOString()}`);
    const first = this.select.chosen ?? this.select.chooseAt(ctx.cands, t0)!;
    // period-basis tiers count every record already: a session's parts are rated on their own there
    if (part && first.model.basis === 'period') part = null;
    const callQ = part && prior ? prior.quantity + q : q;
    if (this.steps) this.step(`rate ${first.id}: ${first.matchedText}${prefix !== '*any' ? ` (longest prefix ${prefix})` : ''}, ${first.model.describe()}`);
    if (part && this.steps) this.step(`session ${part.id} part ${part.seq}: ${prior ? `the call so far (${prior.quantity} + ${q} from ${new Date(prior.start).toISOString()}) is priced whole; this part is charged the difference to the ${formatMoney(BigInt(prior.amount))} already charged` : 'first part: priced as a call of its own'}`);
    ctx.u = pu;
    ctx.q = callQ; ctx.prefix = prefix; ctx.first = first; ctx.feeRate = first; ctx.rounding = first.rounding;
    sumReset(ctx); ctx.billed = 0; while (ctx.segments.length !== 0) ctx.segments.pop(); ctx.detail = ''; ctx.detailKind = 0; ctx.capped = undefined; ctx.session = undefined;
    for (const st of sp.usage) if (st.run(ctx)) break;
    if (ctx.error !== undefined) return false;
    for (const st of sp.adjust) { st.run(ctx); if (ctx.error !== undefined) return false; }
    for (const st of sp.round) st.run(ctx);
    ctx.u = u;
    if (part) this.sessionCharged(ctx, part, q, callQ);
    for (const st of sp.emit) if (st.run(ctx)) break;
    return true;
  }

  /** the part's share of the call (after rounding the whole call): amount, billed quantity and cost minus the earlier parts' */
  private sessionCharged(ctx: MeasureContext, part: SessionPart, q: number, callQ: number): void {
    const prior = part.entry;
    const callAmount = ctx.amount;
    const callBilled = ctx.billed;
    const priorAmount = prior ? BigInt(prior.amount) : 0n;
    ctx.amount = callAmount - priorAmount;
    ctx.billed = callBilled - (prior?.billed ?? 0);
    sumAddCost(ctx, { n: -priorAmount, d: 1n });
    ctx.q = q;
    ctx.session = { id: part.id, part: part.seq, prior: prior?.quantity ?? 0, callQuantity: callQ, callBilled, callAmount: formatMoney(callAmount), priorAmount: formatMoney(priorAmount) };
    const sessions = (this.state.sessions ??= Object.create(null) as Record<string, SessionState>);
    if (part.final) delete sessions[part.key];
    else sessions[part.key] = { start: prior?.start ?? ctx.u.startTime, quantity: callQ, billed: callBilled, amount: callAmount.toString(), seq: part.seq, parts: (prior?.parts ?? 0) + 1 };
    this.tracker.touchText(stateKey('sessions', part.key));
    if (this.steps) this.step(`session ${part.id}: call ${formatMoney(callAmount)} − already charged ${formatMoney(priorAmount)} = ${formatMoney(ctx.amount)} for this part${part.final ? ' (last part: session closed)' : ''}`);
  }

  private stepPlan(ix: RateIndex): StepPlan {
    let p = this.plans.get(ix);
    if (!p) this.plans.set(ix, (p = compileStepPlan(ix, this.catalog)));
    return p;
  }

  /** a usage charge; a lineage object is serialised here (with the trace steps when explaining), a text or source kept */
  charge(u: Udr, seq: number, plan: string, product: string, rateId: string, matched: string, quantity: number, amount: bigint, lineage: Lineage | string | LineageSource): Charge {
    // a text, or a source writing it on demand (a usage lineage, a pool debit): kept as it is
    const kept = typeof lineage === 'string' || lineage instanceof UsageLineage || typeof (lineage as LineageSource).text === 'function';
    if (this.steps && !kept) (lineage as Lineage).steps = this.stepMark > this.stepHead ? [...this.steps.slice(0, this.stepHead), ...this.steps.slice(this.stepMark)] : [...this.steps];
    // a class instance, not a literal: see rated-charge.ts (V8 would pretenure the literal's site)
    return new RatedCharge(chargeId(u.id, this.usageKind, seq), u.id, u.account, u.ratingKey, u.service, u.usageClass, 'usage', product, plan, rateId, matched, quantity,
      u.unit, amount, this.catalog.currency, u.startTime, u.source, u.rulesVersion, this.catalog.version, kept ? (lineage as string | LineageSource) : JSON.stringify(lineage));
  }

  cgrates(): CgratesSplitter {
    return (this.cgratesSplitter ??= new CgratesSplitter(this.catalog.clock, this.catalog.cgratesRoundingDecimals));
  }

  tracing(): boolean {
    return this.steps !== null;
  }

  touch(key: string): void {
    const slash = key.indexOf('/');
    const area = key.slice(0, slash) as StateArea;
    if (area === 'services' || area === 'firstUse' || area === 'pools') this.tracker.touchId(this.tracker.id(area, key.slice(slash + 1)));
    else this.tracker.touchText(key);
  }

  poolId(key: string): number {
    return this.tracker.id('pools', key);
  }

  touchId(id: number, value?: object): void {
    this.tracker.touchId(id, value);
  }

  poolSlots(sp: CompiledSharePlan): Map<string, PoolSlot> {
    let m = this.poolSlotMaps.get(sp);
    if (!m) this.poolSlotMaps.set(sp, (m = new Map()));
    return m;
  }

  private touchFirstUse(v: ServiceView): void {
    this.tracker.touchId(((v as CachedView).fuId ??= this.tracker.id('firstUse', v.id)), (v as CachedView).counter);
  }

  emit(e: RatingEvent): void {
    this.events.push(e);
  }

  periodFor(freq: Frequency, t: number): Period {
    const hit = this.periodCache.get(freq);
    if (hit && t >= hit.start && t < hit.end) return hit;
    const p = periodOf(freq, t, this.catalog.timezone);
    this.periodCache.set(freq, p);
    return p;
  }

  // ---------------------------------------------------------------- share plans

  scopeAccounts(owner: string, level: 'parent' | 'account'): string[] {
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

  scopeServices(accounts: string[]): ServiceView[] {
    return this.servicesUnder(accounts).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The services under the accounts (catalog and state), each once, in no particular order (pool opening only sums
   * and tests them). A service of the state is one of its account's; a catalog service that has a state entry too is
   * listed by the catalog (its entry keeps the catalog account), so it is skipped among the state's.
   */
  servicesUnder(accounts: string[]): ServiceView[] {
    const out: ServiceView[] = [];
    const set = accounts.length > 1 ? new Set(accounts) : undefined;
    const inScope = (a: string) => (set ? set.has(a) : a === accounts[0]);
    for (const a of accounts) {
      const refs = this.catalog.servicesByAccount.get(a);
      if (refs) for (const r of refs) { const v = this.serviceView(r.id); if (v) out.push(v); }
    }
    for (const a of accounts) {
      const own = this.stateServicesOf.get(a);
      if (!own) continue;
      for (const id of own) {
        const ref = this.catalog.services.get(id);
        if (ref && inScope(ref.account)) continue;
        const v = this.serviceView(id);
        if (v?.entry && inScope(v.entry.account)) out.push(v);
      }
    }
    return out;
  }

  coreAt(v: ServiceView, t: number): CoreState | undefined {
    const st = this.stateAt(v, t);
    return v.typeDef ? v.typeDef.states.get(st) : st === 'active' ? 'active' : undefined;
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
      this.tracker.touchText(stateKey('contracts', key));
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

/** the service's state now (its state entry over its catalog reference) */
function stateNow(v: ServiceView): string {
  return v.entry ? v.entry.state : v.ref ? v.ref.state : NEW_STATE;
}

/** since when the service is in its state now */
function sinceNow(v: ServiceView): number {
  return v.entry ? v.entry.since : v.ref ? v.ref.since : 0;
}

/** the UDR as a run rates it: its rewrites, each an expression on the UDR as received (the same object without any) */
function runUdr(u: Udr, r: ChargingRun): Udr {
  if (!r.rewrites.length) return u;
  const out: Udr = { ...u };
  for (const w of r.rewrites) {
    const v = w.expr(null, u as unknown as Record<string, unknown>);
    out[w.field] = v === null || v === undefined ? '' : String(v);
  }
  if (r.dropService) out.service = '';
  return out;
}

function activeAssignment(list: readonly { usageClass: string; from: number; plan: string; fallback: string[]; account: string }[], uc: string, t: number) {
  let best: (typeof list)[number] | undefined;
  for (const a of list) {
    if (a.usageClass !== uc && a.usageClass !== '*any') continue;
    if (a.from <= t && (!best || a.from >= best.from)) best = a;
  }
  return best;
}

