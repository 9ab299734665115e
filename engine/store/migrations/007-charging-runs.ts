/**
 * Charging runs: every charge says which run rated it (`run`) and whether that run is billable (`billable`); charges
 * stored before runs existed are the implicit run `default`, billable. Invoices and unbilled amounts look at billable
 * charges only; the `margin` view sets billable revenue against the non-billable runs' cost.
 */
import { MARGIN_VIEW, unbilledChargesView } from '../views.ts';
import type { Migration } from './index.ts';

const m: Migration = {
  version: 7,
  name: 'charging runs',
  statements: [
    `ALTER TABLE {db}.charges ADD COLUMN IF NOT EXISTS run LowCardinality(String) DEFAULT 'default' AFTER feed`,
    'ALTER TABLE {db}.charges ADD COLUMN IF NOT EXISTS billable Bool DEFAULT true AFTER run',
    unbilledChargesView('c.billable'),
    MARGIN_VIEW,
  ],
};
export default m;
