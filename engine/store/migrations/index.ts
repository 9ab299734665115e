/**
 * Versioned migrations, applied in order once each and recorded in schema_migrations. Never edit a released
 * migration: add the next one. `{db}` is replaced by the quoted database name.
 */
import m001 from './001-core-tables.ts';
import m002 from './002-billing.ts';
import m003 from './003-finance-views.ts';
import m004 from './004-state-plan.ts';
import m005 from './005-rating-state.ts';
import m006 from './006-billing-state-dedup.ts';
import m007 from './007-charging-runs.ts';
import m008 from './008-ingest-rated.ts';
import m009 from './009-compact-ledger-parts.ts';
import m010 from './010-ledger-merge-base.ts';
import m011 from './011-wide-merged-ledger-parts.ts';
import m012 from './012-rate-terms.ts';
import m013 from './013-wide-merged-parts-24mib.ts';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011, m012, m013];
