/**
 * Collect the billing events of a period from ClickHouse into the outbox (billing_events): state changes from the
 * service-state log, bucket thresholds from pool balances (configurable percentages, e.g. 80 and 100), services whose
 * term ends within N days (and does not renew), money balances that did not cover charges of the period (from the
 * charges' lineage: one balance.exhausted per balance and period). invoice.issued events are written by the invoice run. Ids are
 * deterministic, so collecting twice adds nothing.
 */
import type { StoreClient } from '../../store/client.ts';
import { balancesRunOut, poolBalancesOf, stateLog, termsEnding, writeEvents } from '../../store/finance.ts';
import type { BillingPeriod } from '../period.ts';
import { type BillingEvent, makeEvent, toStored } from './model.ts';

const DAY = 86_400_000;

export interface CollectOptions {
  period: BillingPeriod;
  /** percentages of the pool size, e.g. [80, 100] */
  thresholds: readonly number[];
  expiringWithinDays: number;
}

export async function collectEvents(st: StoreClient, o: CollectOptions): Promise<BillingEvent[]> {
  const p = o.period;
  const events: BillingEvent[] = [];
  for (const s of await stateLog(st, { from: p.start, before: p.end })) {
    events.push(makeEvent('service.state_changed', `${s.service}/${s.eventId}`, s.account, s.effectiveTime, {
      service: s.service, serviceType: s.serviceType, plan: s.plan, from: s.fromState, to: s.toState, coreState: s.coreState, reason: s.reason,
      effectiveAt: new Date(s.effectiveTime).toISOString(),
    }));
  }
  for (const b of await poolBalancesOf(st, p.id)) {
    if (b.size <= 0n) continue;
    for (const t of o.thresholds) {
      if (b.used * 100n < BigInt(t) * b.size) continue;
      events.push(makeEvent('bucket.threshold_reached', `${b.owner}/${b.poolId}/${b.period}/${t}`, b.owner, b.asOf, {
        pool: b.poolId, sharePlan: b.sharePlan, owner: b.owner, period: b.period, bucketClass: b.bucketClass, unit: b.unit, threshold: t,
        size: b.size.toString(), used: b.used.toString(), overage: b.overage.toString(), utilisationPct: pct(b.used, b.size),
      }));
    }
  }
  for (const b of await balancesRunOut(st, p.start, p.end)) {
    events.push(makeEvent('balance.exhausted', `${b.balance}/${p.id}`, b.account, b.firstAt, {
      balance: b.balance, period: p.id, firstCharge: b.firstCharge, firstAt: new Date(b.firstAt).toISOString(), chargesNotCovered: b.charges, uncovered: b.uncovered,
    }));
  }
  const horizon = o.expiringWithinDays * DAY;
  for (const t of await termsEnding(st, p.start, p.end + horizon)) {
    if (t.autoRenew) continue;
    const at = Math.max(t.termEnd - horizon, p.start);
    if (at >= p.end) continue;
    events.push(makeEvent('service.expiring', `${t.account}/${t.service}/${t.contract}/${t.termEnd}`, t.account, at, {
      service: t.service, contract: t.contract, termEnd: new Date(t.termEnd).toISOString(), daysLeft: Math.ceil((t.termEnd - at) / DAY),
    }));
  }
  events.sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
  await writeEvents(st, events.map(toStored));
  return events;
}

function pct(used: bigint, size: bigint): string {
  const bp = (used * 10_000n) / size; // basis points, truncated
  return `${bp / 100n}.${(bp % 100n).toString().padStart(2, '0')}`;
}
