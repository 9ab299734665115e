/** The service-state log keeps the plan the service was on (recurring prices are per plan). */
import type { Migration } from './index.ts';

const m: Migration = {
  version: 4,
  name: 'service state plan',
  statements: [`ALTER TABLE {db}.service_states ADD COLUMN IF NOT EXISTS plan LowCardinality(String) DEFAULT '' AFTER service_type`],
};
export default m;
