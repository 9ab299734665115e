/**
 * Rating steps: the pricing of one measure of one UDR as a sequence of small components, one file each, listed in
 * the registry (registry.ts) with their phase. The Rater compiles, per plan and rate index, the steps that have
 * anything to do there (`applies`) and runs them in phase order on one reused context (no allocation per step).
 *
 * Phases, in order:
 *  - allocate: usage taken from pools/bundles before it is priced (share plans); may emit charges itself;
 *  - usage   (exclusive: the first step that returns true prices it): the quantity → exact cost and billed units;
 *  - adjust: connect fee, minimum and maximum cost;
 *  - round:  the one rounding point of the charge;
 *  - emit    (exclusive): the charge(s) with their lineage (one charge, or one per account of an allocation);
 *  - settle: once per UDR, after all its measures are priced (none rejected), on the UDR's charges of the primary
 *    charging run (ctx.charges from ctx.udrStart): balance debits. Run with the step plan of the last measure.
 */
import type { Charge, LineageSource, Udr } from '../../core/types.ts';
import type { CgratesSplitter } from '../cgrates-split.ts';
import type { CompiledCatalog, CompiledPlan, CompiledRate, CompiledServiceType, CompiledSharePlan, CoreState, RateIndex, Rounding, ServiceRef } from '../catalog.ts';
import type { Frequency, Period } from '../durations.ts';
import type { RateSelector } from '../rate-select.ts';
import { type Cost, type CostSum, sumCost, sumSet } from '../rational.ts';
import type { PoolState, RatingState, ServiceStateEntry } from '../state.ts';
import type { PoolDebit, PoolPeriodTexts } from './pool-allocation.ts';

export const STEP_PHASES = ['allocate', 'usage', 'adjust', 'round', 'emit', 'settle'] as const;
export type StepPhase = (typeof STEP_PHASES)[number];
/** phases where only the first step that returns true runs */
export const EXCLUSIVE_PHASES: ReadonlySet<StepPhase> = new Set(['usage', 'emit']);

export interface ServiceView {
  id: string;
  account: string;
  type: string;
  plan: string;
  typeDef?: CompiledServiceType;
  entry?: ServiceStateEntry;
  ref?: ServiceRef;
  /** pool-allocation's memo: per share plan, the pool of the period it last used (never serialised) */
  pools?: PoolSlot[];
}

/**
 * A pool of the rating state as the services of its owner reach it: share plan, owner, the period it was last used
 * in, state key and the pool itself (one per share plan and owner; moved to the next period in place).
 */
export interface PoolSlot {
  sp: CompiledSharePlan;
  owner: string;
  period: Period;
  key: string;
  /** the pool's dense id in the Rater's change tracker (its changelog key `pools/<key>`) */
  id: number;
  pool: PoolState;
  /** pool-allocation's memo: this pool's texts of the period (written on its first debit; reset with the period) */
  texts: PoolPeriodTexts | undefined;
  /** pool-allocation's memo: the lowest threshold (percent) the pool has not reported (-1: not read yet; reset with the period) */
  armed: number;
  /** pool-allocation's memo: the last debit of nothing taken (reused while the pool's numbers are those) */
  zero: PoolDebit | undefined;
}

export interface RatingEvent {
  type: 'service-state-changed' | 'bucket-threshold-reached' | 'first-use-activated' | 'balance-low' | 'balance-exhausted';
  key: string;
  at: number;
  detail: Record<string, unknown>;
}

/** One part of the priced usage; `cost` (window-split cgrates) is the part's rounded cost. */
export interface Segment {
  rate: string;
  window: string;
  from: number;
  to: number;
  billed: number;
  cost?: string;
}

/** What steps may use of the Rater (the Rater implements it; steps never import it). */
export interface RatingHost {
  readonly catalog: CompiledCatalog;
  readonly state: RatingState;
  readonly select: RateSelector;
  /** trace on for this UDR (explain) */
  tracing(): boolean;
  step(text: string): void;
  /** mark a changelog key `area/key` changed by this batch */
  touch(key: string): void;
  /** the dense integer id of a pool's changelog key (interned once: keep it on the slot) */
  poolId(key: string): number;
  /** mark an interned id changed by this batch (no string per change); `value`: the key's object in the state now */
  touchId(id: number, value?: object): void;
  /** pool-allocation's memo: the share plan's current slot per owner (shared by the owner's services) */
  poolSlots(sp: CompiledSharePlan): Map<string, PoolSlot>;
  emit(e: RatingEvent): void;
  periodFor(freq: Frequency, t: number): Period;
  /** services under the accounts (catalog and state), sorted by id */
  scopeServices(accounts: string[]): ServiceView[];
  /** the same services in no particular order (cheaper: pool opening only sums and tests them) */
  servicesUnder(accounts: string[]): ServiceView[];
  scopeAccounts(owner: string, level: 'parent' | 'account'): string[];
  coreAt(v: ServiceView, t: number): CoreState | undefined;
  cgrates(): CgratesSplitter;
  /** a usage charge of `u` (id from UDR id + sequence) with this lineage (an object, serialised here; its JSON text; or a source writing it on demand) */
  charge(u: Udr, seq: number, plan: string, product: string, rateId: string, matched: string, quantity: number, amount: bigint, lineage: Lineage | string | LineageSource): Charge;
}

/** lineage fields (undefined fields are left out of the JSON) */
export type Lineage = Record<string, unknown>;

/** The working state of one measure of one UDR, reused by the Rater from measure to measure. */
export class MeasureContext implements CostSum {
  u!: Udr;
  measure = '';
  svc: ServiceView | undefined;
  svcState = '';
  plan!: CompiledPlan;
  via = '';
  ix!: RateIndex;
  /** charges of this UDR so far (steps of the emit and allocate phases push here) */
  charges!: Charge[];
  /** settle phase: index in `charges` of the UDR's first charge */
  udrStart = 0;
  /** next charge sequence number within the UDR */
  seq = 0;
  /** quantity of the measure */
  total = 0;
  /** quantity taken by pools (allocate phase) */
  inside = 0;
  /**
   * the measure's pool debits: a list the context keeps and reuses (emptied in place for the next measure); a
   * lineage that keeps them takes `keptDebits()`
   */
  readonly debits: Lineage[] = [];
  /** a bundle with its own rating charged its connect fee for this call (the rate adds none) */
  feePaid = false;
  /** quantity left to price (total - inside) */
  q = 0;
  /** selected rates at the matched prefix (reused array) */
  readonly cands: CompiledRate[] = [];
  prefix = '';
  /** the rate in force at the usage start */
  first!: CompiledRate;
  /** the rate whose connect fee applies (first part of a split call) */
  feeRate!: CompiledRate;
  /** the exact cost (rational.ts CostSum): costN / costD as safe integers, or costBig beyond them */
  costN = 0;
  costD = 1;
  costBig: Cost | null = null;
  billed = 0;
  /** the measure's segments; the objects addSegment puts here are reused from measure to measure (a lineage copies what it keeps) */
  readonly segments: Segment[] = [];
  private readonly segPool: Segment[] = [];
  /** the usage step's detail text; with detailKind ≠ 0 (lineage.ts) written on demand from the segments or the model */
  detail = '';
  detailKind: 0 | 1 | 2 = 0;
  rounding!: Rounding;
  capped: string | undefined;
  /** partial records: this part's place in its session (lineage) */
  session: Lineage | undefined;
  /** rounded amount (round phase) */
  amount = 0n;
  /** set by a step: the measure is rejected */
  error: string | undefined;
  errorReason: 'NO_RATE' | 'RATING_ERROR' = 'NO_RATE';

  constructor(readonly host: RatingHost) {}

  /** append a segment (one of the context's reused objects) */
  addSegment(rate: string, window: string, from: number, to: number, billed: number): void {
    const segs = this.segments;
    let s = this.segPool[segs.length];
    if (s === undefined) this.segPool.push((s = { rate, window, from, to, billed }));
    else { s.rate = rate; s.window = window; s.from = from; s.to = to; s.billed = billed; }
    segs.push(s);
  }

  /**
   * The measure's debits as a list a lineage may keep (the context's own list is reused): a debit alone is listed by
   * the list it keeps of itself (one per debit: a pool's shared zero debit lists all its uses with one); undefined: none.
   */
  keptDebits(): readonly Lineage[] | undefined {
    const l = this.debits;
    if (l.length === 0) return undefined;
    if (l.length === 1) {
      const d = l[0] as { alone?: readonly Lineage[] };
      if ('alone' in d) return (d.alone ??= [d as Lineage]);
    }
    return l.slice();
  }

  /** the exact cost as a Cost (a new object while it is held as numbers) */
  get cost(): Cost {
    return sumCost(this);
  }

  set cost(c: Cost) {
    sumSet(this, c);
  }

  fail(message: string, reason: 'NO_RATE' | 'RATING_ERROR' = 'NO_RATE'): boolean {
    this.error = message;
    this.errorReason = reason;
    return true;
  }
}

export interface RatingStep {
  readonly id: string;
  readonly phase: StepPhase;
  readonly description: string;
  /** compile time: whether the step has anything to do for this rate index of this catalog */
  applies(ix: RateIndex, cat: CompiledCatalog): boolean;
  /** run on the context; in exclusive phases, true = handled (the phase ends) */
  run(ctx: MeasureContext): boolean;
}
