/**
 * Period charges from rating: what only exists at period close — recurring prices by service state, prorated over
 * the state timeline, and contract commitments (under-commit penalties). The invoice run asks each provider for the
 * period's charges, writes them to the charge ledger (deterministic ids: writing twice changes nothing), then bills
 * the ledger. One-time transition charges and usage charges are written by the rating pipeline itself as they occur.
 *
 * The rating side owns the computation (engine/rating); this is the small interface billing needs from it.
 */
import type { Charge } from '../core/types.ts';
import type { LedgerCharge, PoolBalance, ServiceStateChange } from '../store/finance.ts';
import type { BillingPeriod } from './period.ts';

export interface PeriodChargeContext {
  period: BillingPeriod;
  /** the accounts being invoiced */
  accounts: readonly string[];
  /** the service-state log of those accounts up to the period end, in time order */
  stateLog: readonly ServiceStateChange[];
  /** pool balances of the period */
  poolBalances: readonly PoolBalance[];
  /** usage charges of the period (for commitments: minimum spend, volume commits) */
  usage: readonly LedgerCharge[];
}

export interface PeriodChargeProvider {
  readonly name: string;
  /**
   * Charges of kind `recurring` | `penalty` (| `one_time` | `adjustment`) for the period, amounts exact. Ids must be
   * deterministic for the same period and inputs, and `eventTime` inside the period.
   */
  periodCharges(ctx: PeriodChargeContext): Charge[] | Promise<Charge[]>;
}
