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
import { feedsInStore, type PoolBalance, type ServiceStateChange } from '../store/finance.ts';
import type { PoolState } from '../rating/state.ts';
import type { BillingConfig } from './config.ts';
import type { PeriodChargeProvider } from './period-charges.ts';
import type { PipelineCatalog } from './pipeline-catalogs.ts';

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
 * state) serve the services the store's log does not have. With several catalogs, `owns` says which services this
 * catalog bills (each service is billed by exactly one catalog).
 */
export function recurringProvider(catalog: CompiledCatalog, fallback: readonly StateLogRow[] = [], owns: (service: string, catalogVersion: string) => boolean = () => true): PeriodChargeProvider {
  return {
    name: 'recurring',
    periodCharges(ctx) {
      if (catalog.timezone !== ctx.period.timezone) {
        throw new Error(`catalog ${catalog.name} prorates in ${catalog.timezone} but billing periods are in ${ctx.period.timezone}`);
      }
      const rows = ctx.stateLog.filter((s) => owns(s.service, s.catalogVersion)).map(storeToStateRow);
      const logged = new Set(rows.map((r) => r.service));
      for (const r of fallback) if (!logged.has(r.service) && owns(r.service, catalog.version)) rows.push(r);
      const charges = recurringCharges(catalog, rows, ctx.period.id).filter((c) => owns(c.service, catalog.version));
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
 * Which catalog bills which service, for several catalogs in order: a service belongs to the first catalog that
 * defines it; a service only the state log knows belongs to the catalog whose version wrote its state, else the first.
 * Services defined by several catalogs are reported (billed once, by the first).
 */
export function serviceOwners(catalogs: readonly CompiledCatalog[]): { owns(c: CompiledCatalog): (service: string, catalogVersion: string) => boolean; shared: { service: string; catalogs: string[] }[] } {
  const owner = new Map<string, CompiledCatalog>();
  const sharedBy = new Map<string, string[]>();
  for (const c of catalogs) {
    for (const id of c.services.keys()) {
      const first = owner.get(id);
      if (!first) owner.set(id, c);
      else sharedBy.set(id, [...(sharedBy.get(id) ?? [first.name]), c.name]);
    }
  }
  const byVersion = new Map(catalogs.map((c) => [c.version, c]));
  return {
    owns: (c) => (service, catalogVersion) => (owner.get(service) ?? byVersion.get(catalogVersion) ?? catalogs[0]) === c,
    shared: [...sharedBy].map(([service, names]) => ({ service, catalogs: names })),
  };
}

/**
 * Providers for `ratestream invoice`: for every catalog billing covers — the billing settings' `catalog:` and the
 * catalogs of the pipelines whose feeds are in the store — recurring charges (state log from the store, else the
 * timeline of the rating state the embedded runner persisted) and contract penalties from that persisted state.
 * `warn` hears about services that several of these catalogs define (billed once, by the first).
 */
export async function ratingPeriodChargeProviders(cfg: BillingConfig, store: StoreClient, pipelines: readonly PipelineCatalog[] = [],
  warn: (message: string) => void = () => {}): Promise<PeriodChargeProvider[]> {
  const feeds = pipelines.length ? new Set(await feedsInStore(store)) : new Set<string>();
  const files = [...new Set([...(cfg.catalogFile ? [resolve(cfg.catalogFile)] : []), ...pipelines.filter((p) => feeds.has(p.feed)).map((p) => resolve(p.catalog))])];
  const catalogs = files.map((f) => loadCatalogFile(f));
  const owners = serviceOwners(catalogs);
  for (const s of owners.shared) warn(`service ${s.service} is in catalogs ${s.catalogs.join(', ')}: its recurring charges are billed from ${s.catalogs[0]} only`);
  const providers: PeriodChargeProvider[] = [];
  for (const catalog of catalogs) {
    const state = await latestRatingState(store, catalog.name);
    const rater = state ? new Rater(catalog, state) : undefined;
    providers.push(recurringProvider(catalog, rater?.stateLog() ?? [], owners.owns(catalog)));
    if (rater && catalog.contracts.size) providers.push(contractPenaltyProvider(rater));
  }
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
