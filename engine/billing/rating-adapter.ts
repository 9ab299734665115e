/**
 * Where the invoice run gets period charges from rating (see period-charges.ts). engine/rating does not export a
 * period-close API yet (recurring state-based prices prorated over the state timeline, commitment penalties); until
 * it does, no provider is registered and invoices bill what the ledger holds (usage, and any recurring / one_time /
 * penalty charges the rating pipeline wrote itself). Wire the rating API here when it lands: one entry per provider.
 */
import type { PeriodChargeProvider } from './period-charges.ts';

export function ratingPeriodChargeProviders(): PeriodChargeProvider[] {
  return [];
}
