/**
 * The rating side of period charges (see period-charges.ts), wired to engine/rating:
 * - recurring: `recurringCharges(catalog, stateLog, period)` — state-based prices prorated over the service-state
 *   timeline, fed from the service_states log in ClickHouse (plus the catalog's initial service states);
 * - contract penalties: `closeContractMonth(rater, contract, month)` for contract months ending in the period. It
 *   needs the rater's counters: a live Rater, or the rating state the embedded runner persists with each file.
 * Also the mapping between rating's StateLogRow and the store's service-state log.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { type CompiledCatalog, loadCatalogFile } from '../rating/catalog.ts';
import { closeContractMonth } from '../rating/contracts.ts';
import { addMonths } from '../rating/durations.ts';
import { Rater, type StateLogRow } from '../rating/rater.ts';
import { recurringCharges } from '../rating/recurring.ts';
import { latestRatingState } from '../store/checkpoints.ts';
import type { StoreClient } from '../store/client.ts';
import type { PoolBalance, ServiceStateChange } from '../store/finance.ts';
import type { PoolState } from '../rating/state.ts';
import type { BillingConfig } from './config.ts';
import type { PeriodChargeProvider } from './period-charges.ts';

export function stateRowToStore(r: StateLogRow, catalogVersion = ''): ServiceStateChange {
  return {
    account: r.account, service: r.service, serviceType: r.type, plan: r.plan,
    eventId: createHash('sha1').update(`${r.service}\u001f${r.at}\u001f${r.from}\u001f${r.to}\u001f${r.cause}`).digest('hex').slice(0, 24),
    fromState: r.from, toState: r.to, coreState: r.core, transition: `${r.from} → ${r.to}`, effectiveTime: r.at, reason: r.cause, source: r.cause, catalogVersion,
  };
}

export function storeToStateRow(s: ServiceStateChange): StateLogRow {
  return { service: s.service, account: s.account, type: s.serviceType, plan: s.plan, from: s.fromState, to: s.toState,
    core: s.coreState as StateLogRow['core'], at: s.effectiveTime, cause: s.reason };
}

/**
 * Recurring charges from the service-state log in ClickHouse; `fallback` rows (e.g. the timeline of a persisted rating
 * state) serve the services the store's log does not have.
 */
export function recurringProvider(catalog: CompiledCatalog, fallback: readonly StateLogRow[] = []): PeriodChargeProvider {
  return {
    name: 'recurring',
    periodCharges(ctx) {
      if (catalog.timezone !== ctx.period.timezone) {
        throw new Error(`catalog ${catalog.name} prorates in ${catalog.timezone} but billing periods are in ${ctx.period.timezone}`);
      }
      const rows = ctx.stateLog.map(storeToStateRow);
      const logged = new Set(rows.map((r) => r.service));
      for (const r of fallback) if (!logged.has(r.service)) rows.push(r);
      const charges = recurringCharges(catalog, rows, ctx.period.id);
      const accounts = new Set(ctx.accounts);
      return charges.filter((c) => accounts.has(c.account) || !ctx.accounts.length);
    },
  };
}

/** Under-commit penalties of every contract month that ends inside the period, from a live rater's counters. */
export function contractPenaltyProvider(rater: Rater): PeriodChargeProvider {
  return {
    name: 'contracts',
    periodCharges(ctx) {
      const cat = rater.catalog;
      const out = [];
      for (const c of [...cat.contracts.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
        for (let month = 1; month <= c.termMonths; month++) {
          const end = addMonths(c.start, month, cat.timezone);
          if (end <= ctx.period.start || end > ctx.period.end) continue;
          // the penalty is dated in the period (month end − 1 ms), so it lands on this invoice
          for (const ch of closeContractMonth(rater, c.id, month).charges) out.push({ ...ch, eventTime: Math.max(ch.eventTime, ctx.period.start) });
        }
      }
      return out;
    },
  };
}

/**
 * Providers for `ratestream invoice`: recurring charges of the billing catalog (state log from the store, else the
 * timeline of the rating state the embedded runner persisted), and contract penalties from that persisted state.
 */
export async function ratingPeriodChargeProviders(cfg: BillingConfig, store: StoreClient): Promise<PeriodChargeProvider[]> {
  if (!cfg.catalogFile) return [];
  const catalog = loadCatalogFile(resolve(cfg.catalogFile));
  const state = await latestRatingState(store, catalog.name);
  const rater = state ? new Rater(catalog, state) : undefined;
  const providers = [recurringProvider(catalog, rater?.stateLog() ?? [])];
  if (rater && catalog.contracts.size) providers.push(contractPenaltyProvider(rater));
  return providers;
}

/**
 * A pool of the rating state (`pools/<share plan>|<owner>|<period key>` in its changelog) as a pool-balance row.
 * `version` is the pool's use, which only grows within a period, so the latest balance wins in the store.
 */
export function poolBalanceOf(catalog: CompiledCatalog, changeKey: string, value: unknown, asOf: number): PoolBalance | undefined {
  if (!changeKey.startsWith('pools/') || value === null || typeof value !== 'object') return undefined;
  const [planId, owner, period] = changeKey.slice('pools/'.length).split('|');
  const sp = catalog.sharePlans.find((p) => p.id === planId);
  const pool = value as PoolState;
  if (!sp || owner === undefined || period === undefined) return undefined;
  return {
    period, periodStart: pool.start, periodEnd: pool.end, owner, poolId: `${planId}|${owner}`, sharePlan: sp.id, bucketClass: sp.bucketClass,
    unit: sp.unit, size: BigInt(pool.size), used: BigInt(pool.used), overage: 0n, participants: 0, asOf, version: BigInt(pool.used),
  };
}
