/**
 * Pool / bundle allocation (share plans): usage of a pooled usage class is taken from the pools of the service's
 * account (account level) or top account (parent level), in share-plan order, before it is priced. Usage inside a
 * pool is charged at the pool price (usually 0); beyond the last pool, an overage price if the share plan has one,
 * else the plan's rate prices the rest. Pools live in the rating state (one key per share plan, owner and period).
 */
import { formatMoney } from '../../core/money.ts';
import { type CompiledSharePlan, rootOf, selects, type ServiceRef } from '../catalog.ts';
import { roundCost } from '../rational.ts';
import { stateKey } from '../state.ts';
import type { MeasureContext, PoolSlot, RatingHost, RatingStep, ServiceView } from './types.ts';

type PoolDebit = { pool: string; owner: string; period: string; size: number; before: number; after: number; debit: number };

const refOf = (s: ServiceView) => ({ id: s.id, account: s.account, type: s.type, plan: s.plan }) as ServiceRef;

export function debitPool(host: RatingHost, sp: CompiledSharePlan, svc: ServiceView, t: number, want: number): { debit: number; lineage: PoolDebit } | null {
  if (!selects(sp.participating, refOf(svc))) return null;
  const cat = host.catalog;
  // the service's pool of this share plan for the period holding t, as found last time (pools are only ever added)
  const slots = (svc.pools ??= []);
  let slot: PoolSlot | undefined;
  for (let i = 0; i < slots.length; i++) if (slots[i]!.sp === sp) { slot = slots[i]; break; }
  if (slot && t >= slot.period.start && t < slot.period.end) return takeFromPool(host, sp, slot, t, want);
  const owner = sp.level === 'parent' ? rootOf(cat, svc.account) : svc.account;
  const period = host.periodFor(sp.frequency, t);
  const key = `${sp.id}|${owner}|${period.key}`;
  let pool = host.state.pools[key];
  if (!pool) {
    const services = host.scopeServices(host.scopeAccounts(owner, sp.level));
    const live = services.filter((s) => host.coreAt(s, t) === 'active');
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
    host.state.pools[key] = pool;
    if (host.tracing()) host.step(`pool ${sp.id} opened for ${owner} ${period.key}: size ${size} (${sp.growth}${sp.growth === 'variable' ? `: base ${sp.size} + contributions of ${live.length} active service(s)` : ''})`);
  }
  const found: PoolSlot = { sp, owner, period, key, touchKey: stateKey('pools', key), pool };
  if (slot) slots[slots.indexOf(slot)] = found;
  else slots.push(found);
  return takeFromPool(host, sp, found, t, want);
}

/** take from the slot's pool (return type inferred: debitPool's) */
function takeFromPool(host: RatingHost, sp: CompiledSharePlan, slot: PoolSlot, t: number, want: number) {
  const { pool, key, owner, period } = slot;
  const before = pool.used;
  const debit = Math.max(0, Math.min(want, pool.size - pool.used));
  pool.used += debit;
  host.touch(slot.touchKey);
  if (pool.size > 0) {
    for (const th of sp.thresholds) {
      if (pool.fired.includes(th)) continue;
      if (pool.used * 100 >= th * pool.size) {
        pool.fired.push(th);
        host.emit({ type: 'bucket-threshold-reached', key, at: t, detail: { pool: sp.id, owner, period: period.key, percent: th, used: pool.used, size: pool.size } });
      }
    }
  }
  return { debit, lineage: { pool: key, owner, period: period.key, size: pool.size, before, after: pool.used, debit } };
}

export const poolAllocation: RatingStep = {
  id: 'pool-allocation',
  phase: 'allocate',
  description: 'take pooled usage from share-plan pools (pool price inside, overage price beyond if set)',
  applies: (ix, cat) => ix.rates.length > 0 && ix.rates[0]!.measure === '' && cat.sharePlans.some((sp) => sp.bucketClass === ix.rates[0]!.usageClass),
  run(ctx: MeasureContext): boolean {
    const { host, u, svc, plan } = ctx;
    if (ctx.measure || !svc) return false;
    const cat = host.catalog;
    const q = ctx.total;
    for (const sp of cat.sharePlans) {
      if (q - ctx.inside <= 0) break;
      if (sp.bucketClass !== u.usageClass || sp.unit !== u.unit) continue;
      const d = debitPool(host, sp, svc, u.startTime, q - ctx.inside);
      if (!d) continue;
      ctx.inside += d.debit;
      ctx.debits.push(d.lineage);
      if (d.debit > 0) {
        const amt = roundCost({ n: sp.poolPrice.price * BigInt(d.debit), d: BigInt(sp.poolPrice.per) }, cat.rounding.decimals, cat.rounding.mode);
        if (host.tracing()) host.step(`pool ${sp.id} (${d.lineage.owner}, ${d.lineage.period}): debit ${d.debit} of ${q - ctx.inside + d.debit}, ${d.lineage.before} → ${d.lineage.after} used of ${d.lineage.size}; priced at pool price ${formatMoney(sp.poolPrice.price)} per ${sp.poolPrice.per} = ${formatMoney(amt)}`);
        ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, `pool:${sp.id}`, `pool ${sp.id} (${sp.level} ${d.lineage.owner})`, d.debit, amt,
          { v: 1, via: ctx.via, pool: sp.id, debits: [d.lineage], price: formatMoney(sp.poolPrice.price), per: sp.poolPrice.per }));
      }
      if (q - ctx.inside > 0 && sp.overagePrice) {
        const over = q - ctx.inside;
        const amt = roundCost({ n: sp.overagePrice.price * BigInt(over), d: BigInt(sp.overagePrice.per) }, cat.rounding.decimals, cat.rounding.mode);
        if (host.tracing()) host.step(`overage beyond pool ${sp.id}: ${over} at ${formatMoney(sp.overagePrice.price)} per ${sp.overagePrice.per} = ${formatMoney(amt)}`);
        ctx.charges.push(host.charge(u, ctx.seq++, plan.id, plan.product, `overage:${sp.id}`, `beyond pool ${sp.id}`, over, amt,
          { v: 1, via: ctx.via, pool: sp.id, debits: ctx.debits, price: formatMoney(sp.overagePrice.price), per: sp.overagePrice.per, overage: over }));
        ctx.inside = q;
      }
    }
    return true;
  },
};
