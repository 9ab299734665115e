/**
 * The rating side of period charges (see period-charges.ts), wired to engine/rating:
 * - recurring: `recurringCharges(catalog, stateLog, period)` — state-based prices prorated over the service-state
 *   timeline, fed from the service_states log in ClickHouse (plus the catalog's initial service states);
 * - contract penalties: `closeContractMonth(rater, contract, month)` for contract months ending in the period. It
 *   needs the rater's live counters (rating state), so it is available where a Rater is (a rating process, tests);
 *   the embedded CLI has no persisted rating state yet, so `ratestream invoice` bills penalties the ledger holds.
 * Also the mapping between rating's StateLogRow and the store's service-state log.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { type CompiledCatalog, loadCatalogFile } from '../rating/catalog.ts';
import { closeContractMonth } from '../rating/contracts.ts';
import { addMonths } from '../rating/durations.ts';
import type { Rater, StateLogRow } from '../rating/rater.ts';
import { recurringCharges } from '../rating/recurring.ts';
import type { ServiceStateChange } from '../store/finance.ts';
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

export function recurringProvider(catalog: CompiledCatalog): PeriodChargeProvider {
  return {
    name: 'recurring',
    periodCharges(ctx) {
      if (catalog.timezone !== ctx.period.timezone) {
        throw new Error(`catalog ${catalog.name} prorates in ${catalog.timezone} but billing periods are in ${ctx.period.timezone}`);
      }
      const charges = recurringCharges(catalog, ctx.stateLog.map(storeToStateRow), ctx.period.id);
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

/** Providers for `ratestream invoice`: recurring charges from the billing catalog. */
export function ratingPeriodChargeProviders(cfg: BillingConfig): PeriodChargeProvider[] {
  if (!cfg.catalogFile) return [];
  return [recurringProvider(loadCatalogFile(resolve(cfg.catalogFile)))];
}
