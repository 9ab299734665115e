/**
 * The service-state log and pool balances get the same insert dedup window as the ledger tables: their writers (the
 * embedded runner per batch, the streaming sink per offset range) send an insert_deduplication_token, which a
 * non-replicated MergeTree only honours with a window, so a retried or replayed insert is stored once.
 */
import type { Migration } from './index.ts';

const m: Migration = {
  version: 6,
  name: 'dedup window for service_states and pool_balances',
  statements: [
    'ALTER TABLE {db}.service_states MODIFY SETTING non_replicated_deduplication_window = 10000',
    'ALTER TABLE {db}.pool_balances MODIFY SETTING non_replicated_deduplication_window = 10000',
  ],
};
export default m;
