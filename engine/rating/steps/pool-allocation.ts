/**
 * Pool / bundle allocation (share plans): usage of a pooled usage class is taken from the pools of the service's
 * account (account level) or top account (parent level), in share-plan order, before it is priced. Usage inside a
 * pool is charged at the pool price (usually 0); beyond the last pool, an overage price if the share plan has one,
 * else the plan's rate prices the rest. Pools live in the rating state (one key per share plan, owner and period).
 * A share plan selecting `accounts` also pools usage that has no service (the UDR's account).
 *
 * A bundle with its own rating: usage to a destination outside its filter is not taken from it; usage is taken in
 * whole increments (only as many as are left: a rest smaller than an increment stays in the pool); its connect fee
 * is charged with the bundle's charge whenever it takes any of the call, and the plan rate adds no connect fee for
 * the rest of that call (one connect fee per call).
 */
import { formatMoney } from '../../core/money.ts';
import { type CompiledSharePlan, rootOf, selects } from '../catalog.ts';
import type { PrefixTrie } from '../prefix-trie.ts';
import { roundCost } from '../rational.ts';
import type { LineageSource } from '../../core/types.ts';
import { PoolValue } from '../state-values.ts';
import { RatingEventRecord, ThresholdDetail } from '../transition-records.ts';
import type { PoolState } from '../state.ts';
import type { Lineage, MeasureContext, PoolSlot, RatingHost, RatingStep, ServiceView } from './types.ts';

/** one pool debit as the lineage shows it; `covered` / `increment` only with a bundle's increments */
type PoolDebitJson = { pool: string; owner: string; period: string; size: number; before: number; after: number; debit: number; covered?: number; increment?: number };

/**
 * The texts of one pool (share plan, owner) in one period, written once per period and shared by the period's debits:
 * the pool's state key, owner and period key, the constant head of a debit in lineage JSON and the `matched` text of
 * its charges. A slot moving to the next period gets a new one (debits taken before keep theirs).
 */
export class PoolPeriodTexts {
  constructor(
    readonly key: string,
    readonly owner: string,
    readonly period: string,
    /** `{"pool":…,"owner":…,"period":…,"size":` */
    readonly head: string,
    /** the pool charge's `matched`: `pool <share plan> (<level> <owner>)` */
    readonly matched: string,
  ) {}
}

/**
 * One pool debit: the numbers, and the pool's texts of the period it was taken in (the slot moves to the next period in
 * place, so the texts are held here, not read from the slot later). It is the debit record the lineage shows (`toJSON`:
 * the same object, key order included, wherever a lineage lists debits) and, for a pool charge, that charge's lineage
 * source: `text()` writes the charge's lineage JSON when a consumer asks for it (no text per charge while rating).
 */
export class PoolDebit implements LineageSource {
  /** the charge's lineage: its `via` and the share plan's texts (set when the debit is charged) */
  via = '';
  tx: PoolTexts | undefined = undefined;
  /** `[this]`, the debit list of a lineage listing this debit alone (MeasureContext.keptDebits), once made */
  alone: readonly Lineage[] | undefined = undefined;

  constructor(
    /** the pool's texts of the period of the debit */
    readonly per: PoolPeriodTexts,
    readonly size: number,
    readonly before: number,
    readonly after: number,
    readonly debit: number,
    /** the usage it covers (with increments: less than or equal to the debit) */
    readonly covered: number,
    /** the bundle's increment; 0 = none (then `covered` = `debit` and neither is written) */
    readonly increment: number,
  ) {}

  get pool(): string {
    return this.per.key;
  }

  get owner(): string {
    return this.per.owner;
  }

  get period(): string {
    return this.per.period;
  }

  toJSON(): PoolDebitJson {
    const p = this.per;
    const o: PoolDebitJson = { pool: p.key, owner: p.owner, period: p.period, size: this.size, before: this.before, after: this.after, debit: this.debit };
    if (this.increment > 0) { o.covered = this.covered; o.increment = this.increment; }
    return o;
  }

  /**
   * The JSON text of the pool charge's lineage, written from its pieces: the same text as JSON.stringify of
   * `{ v, via, pool, debits: [d], price, per, connectFee? }` (key order as there; numbers are integers, the strings
   * quoted by JSON.stringify, the slot's constant part once per period).
   */
  text(): string {
    const tx = this.tx!;
    const inc = this.increment > 0 ? `,"covered":${this.covered},"increment":${this.increment}` : '';
    return `{"v":1,"via":${JSON.stringify(this.via)},"pool":${tx.idJson},"debits":[${this.per.head}${this.size},"before":${this.before},"after":${this.after},"debit":${this.debit}${inc}}],${tx.tailJson}}`;
  }
}

/** the usage a debit covers (more than the debit never; less with increments) */
const coveredBy = (d: PoolDebit) => d.covered;

/** the one period of an `unlimited` pool (never resets); its end is the last day a store DateTime64 holds */
const UNLIMITED = { key: 'unlimited', start: 0, end: Date.UTC(2299, 11, 31) };

/**
 * Take up to `want` units from the share plan's pool of the service's owner. `debit` is what the pool gives up,
 * `covered` the usage it covers (more than the debit never; less with increments: 90 s in 60 s increments debits 120 s).
 * Returns the debit's lineage record (`coveredBy` gives the covered usage), null when the service does not take part.
 */
export function debitPool(host: RatingHost, sp: CompiledSharePlan, svc: ServiceView, t: number, want: number): PoolDebit | null {
  // the service's pool of this share plan for the period holding t, as found last time (pools are only ever added;
  // a slot exists only for a participating service)
  const slots = svc.pools;
  let slot: PoolSlot | undefined;
  if (slots) for (let i = 0; i < slots.length; i++) if (slots[i]!.sp === sp) { slot = slots[i]; break; }
  if (slot && t >= slot.period.start && t < slot.period.end) return takeFromPool(host, sp, slot, t, want);
  if (!slot && !selects(sp.participating, svc)) return null;
  const cat = host.catalog;
  const owner = sp.level === 'parent' ? rootOf(cat, svc.account) : svc.account;
  // one slot per (share plan, owner), shared by the owner's services: a new period moves all of them at once
  const byOwner = host.poolSlots(sp);
  const shared = byOwner.get(owner);
  if (shared && t >= shared.period.start && t < shared.period.end) return takeFromPool(host, sp, attach(svc, slot, shared), t, want);
  const period = sp.frequency === 'unlimited' ? UNLIMITED : host.periodFor(sp.frequency, t);
  const key = `${sp.id}|${owner}|${period.key}`;
  let pool = host.state.pools[key];
  if (!pool) {
    // the order of the services does not matter here (sums, a test, a maximum)
    const services = host.servicesUnder(host.scopeAccounts(owner, sp.level));
    const live = services.filter((s) => host.coreAt(s, t) === 'active');
    if (sp.activation === 'selling' && !live.some((s) => selects(sp.selling, s))) return null;
    let size = sp.size;
    if (sp.growth === 'variable') {
      for (const s of live) {
        if (!selects(sp.participating, s)) continue;
        const c = sp.contributions.find((x) => selects(x.sel, s));
        if (c) size += c.amount;
      }
    } else if (sp.size === 0) {
      const c = live.map((s) => sp.contributions.find((x) => selects(x.sel, s))?.amount ?? 0);
      size = c.length ? Math.max(...c) : 0;
    }
    pool = new PoolValue(size, 0, period.start, period.end, []);
    host.state.pools[key] = pool;
    if (host.tracing()) host.step(`pool ${sp.id} opened for ${owner} ${period.key}: size ${size} (${sp.growth}${sp.growth === 'variable' ? `: base ${sp.size} + contributions of ${live.length} active service(s)` : ''})`);
  }
  let found = shared;
  if (found) {
    found.period = period;
    found.key = key;
    found.id = host.poolId(key);
    found.pool = pool;
    found.texts = undefined;
    found.armed = -1;
    found.zero = undefined;
  } else byOwner.set(owner, (found = { sp, owner, period, key, id: host.poolId(key), pool, texts: undefined, armed: -1, zero: undefined }));
  return takeFromPool(host, sp, attach(svc, slot, found), t, want);
}

/** the service's slot of the share plan is now `to` (its previous one, if any, replaced) */
function attach(svc: ServiceView, from: PoolSlot | undefined, to: PoolSlot): PoolSlot {
  if (from === to) return to;
  const slots = (svc.pools ??= []);
  if (from) slots[slots.indexOf(from)] = to;
  else slots.push(to);
  return to;
}

/** take from the slot's pool */
function takeFromPool(host: RatingHost, sp: CompiledSharePlan, slot: PoolSlot, t: number, want: number): PoolDebit {
  const { pool, key, owner, period } = slot;
  const before = pool.used;
  const inc = sp.rate?.increment ?? 0;
  let debit: number;
  let covered: number;
  if (inc > 0) {
    // whole increments only, as many as the pool still holds
    const n = Math.min(Math.ceil(want / inc), Math.floor(Math.max(0, pool.size - pool.used) / inc));
    debit = n * inc;
    covered = Math.min(want, debit);
  } else covered = debit = Math.max(0, Math.min(want, pool.size - pool.used));
  pool.used += debit;
  host.touchId(slot.id, pool);
  if (pool.size > 0 && sp.thresholds.length !== 0) {
    // no unfired threshold below `armed` (the lowest one): under it, the pool's fired list is not read
    if (slot.armed < 0) slot.armed = lowestUnfired(sp, pool);
    if (pool.used * 100 >= slot.armed * pool.size) {
      for (const th of sp.thresholds) {
        if (pool.fired.includes(th)) continue;
        if (pool.used * 100 >= th * pool.size) {
          pool.fired.push(th);
          host.emit(new RatingEventRecord('bucket-threshold-reached', key, t, new ThresholdDetail(sp.id, owner, period.key, th, pool.used, pool.size)));
        }
      }
      slot.armed = lowestUnfired(sp, pool);
    }
  }
  const per = (slot.texts ??= new PoolPeriodTexts(key, owner, period.key, `{"pool":${JSON.stringify(key)},"owner":${JSON.stringify(owner)},"period":${JSON.stringify(period.key)},"size":`,
    `pool ${sp.id} (${sp.level} ${owner})`));
  const increment = inc > 0 ? inc : 0;
  if (debit === 0) {
    // nothing taken (an exhausted pool: every later record of its owner until the period ends): one debit object
    // while the numbers repeat — a debit of nothing is never charged (no via / texts set on it), only listed
    const z = slot.zero;
    if (z !== undefined && z.per === per && z.size === pool.size && z.before === before && z.covered === covered && z.increment === increment) return z;
    return (slot.zero = new PoolDebit(per, pool.size, before, before, 0, covered, increment));
  }
  return new PoolDebit(per, pool.size, before, pool.used, debit, covered, increment);
}

/** the lowest threshold (percent) the pool has not reported yet; Infinity: none */
function lowestUnfired(sp: CompiledSharePlan, pool: PoolState): number {
  let low = Infinity;
  for (const th of sp.thresholds) if (th < low && !pool.fired.includes(th)) low = th;
  return low;
}

/** per share plan, the texts its pool charges repeat (written once) */
interface PoolTexts { rateId: string; price: string; fee: string; free: boolean; idJson: string; tailJson: string }
const TEXTS = new WeakMap<CompiledSharePlan, PoolTexts>();
function textsOf(sp: CompiledSharePlan): PoolTexts {
  let t = TEXTS.get(sp);
  if (!t) {
    const fee = sp.rate?.connectFee ?? 0n;
    const price = formatMoney(sp.poolPrice.price);
    const tail = sp.rate ? { price, per: sp.poolPrice.per, connectFee: formatMoney(fee) } : { price, per: sp.poolPrice.per };
    TEXTS.set(sp, (t = { rateId: `pool:${sp.id}`, price, fee: formatMoney(fee), free: fee === 0n && sp.poolPrice.price === 0n, idJson: JSON.stringify(sp.id), tailJson: JSON.stringify(tail).slice(1, -1) }));
  }
  return t;
}

const MATCHES: { items: number[]; prefix: string }[] = [];
const inFilter = (trie: PrefixTrie, dest: string) => trie.matches(dest, MATCHES) > 0;

export const poolAllocation: RatingStep = {
  id: 'pool-allocation',
  phase: 'allocate',
  description: 'take pooled usage from share-plan pools (pool price inside, overage price beyond if set)',
  applies: (ix, cat) => ix.rates.length > 0 && ix.rates[0]!.measure === '' && cat.sharePlans.some((sp) => sp.bucketClass === ix.rates[0]!.usageClass),
  run(ctx: MeasureContext): boolean {
    const { host, u, plan } = ctx;
    if (ctx.measure) return false;
    const cat = host.catalog;
    // usage without a service: pooled only by share plans that select its account
    const svc = ctx.svc ?? { id: '', account: u.account, type: '', plan: '' };
    const q = ctx.total;
    for (const sp of cat.sharePlans) {
      if (q - ctx.inside <= 0) break;
      if (sp.bucketClass !== u.usageClass || sp.unit !== u.unit) continue;
      if (sp.destinations && !inFilter(sp.destinations.trie, u.destination)) {
        if (host.tracing() && selects(sp.participating, svc)) host.step(`pool ${sp.id}: destination ${u.destination || '(none)'} is not in its filter (${sp.destinations.text}); not taken from the pool`);
        continue;
      }
      const d = debitPool(host, sp, svc, u.startTime, q - ctx.inside);
      if (!d) continue;
      const want = q - ctx.inside;
      const covered = coveredBy(d);
      ctx.inside += covered;
      ctx.debits.push(d as unknown as Lineage);
      if (d.debit > 0) {
        const fee = sp.rate?.connectFee ?? 0n;
        const tx = textsOf(sp);
        // a free pool (no price, no fee) charges exactly 0: no rational to round
        const amt = tx.free ? 0n : roundCost({ n: fee * BigInt(sp.poolPrice.per) + sp.poolPrice.price * BigInt(d.debit), d: BigInt(sp.poolPrice.per) }, cat.rounding.decimals, cat.rounding.mode);
        if (sp.rate) ctx.feePaid = true;
        if (host.tracing()) host.step(`pool ${sp.id} (${d.owner}, ${d.period}): ${d.increment ? `debit ${d.debit} (whole increments of ${d.increment}) for ${covered} of ${want}` : `debit ${d.debit} of ${want}`}, ${d.before} → ${d.after} used of ${d.size}; priced at pool price ${tx.price} per ${sp.poolPrice.per}${fee !== 0n ? ` + connect fee ${tx.fee}` : ''} = ${formatMoney(amt)}`);
        let lin: Record<string, unknown> | PoolDebit;
        if (host.tracing()) {
          lin = { v: 1, via: ctx.via, pool: sp.id, debits: [d], price: tx.price, per: sp.poolPrice.per };
          if (sp.rate) lin.connectFee = tx.fee;
        } else {
          d.via = ctx.via;
          d.tx = tx;
          lin = d;
        }
        ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, tx.rateId, d.per.matched, d.debit, amt, lin));
      }
      if (q - ctx.inside > 0 && sp.overagePrice) {
        const over = q - ctx.inside;
        const amt = roundCost({ n: sp.overagePrice.price * BigInt(over), d: BigInt(sp.overagePrice.per) }, cat.rounding.decimals, cat.rounding.mode);
        if (host.tracing()) host.step(`overage beyond pool ${sp.id}: ${over} at ${formatMoney(sp.overagePrice.price)} per ${sp.overagePrice.per} = ${formatMoney(amt)}`);
        ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, `overage:${sp.id}`, `beyond pool ${sp.id}`, over, amt,
          { v: 1, via: ctx.via, pool: sp.id, debits: ctx.keptDebits(), price: formatMoney(sp.overagePrice.price), per: sp.overagePrice.per, overage: over }));
        ctx.inside = q;
      }
    }
    return true;
  },
};
