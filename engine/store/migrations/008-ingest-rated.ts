/**
 * Charging runs give one UDR a charge per run, so the ingest counters' `charges` no longer equals the UDRs rated:
 * `ingest_files.rated` counts UDRs that got charges (rows before this migration: their charges, one per UDR then),
 * and `ingest_reconciliation.unrated` = udrs - rated - rating rejects.
 */
import { ingestReconciliationView } from '../views.ts';
import type { Migration } from './index.ts';

const m: Migration = {
  version: 8,
  name: 'ingest rated UDRs',
  statements: [
    'ALTER TABLE {db}.ingest_files ADD COLUMN IF NOT EXISTS rated UInt64 DEFAULT charges AFTER charges',
    ingestReconciliationView('rated'),
  ],
};
export default m;
