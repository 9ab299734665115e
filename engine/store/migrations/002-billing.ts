/**
 * Billing and finance tables: the service-state log, pool balances per period, service terms (expiry), issued
 * invoices with their lines and the charges they billed, re-rating diffs, and the billing events outbox with its
 * delivery log. Finance views come in the next migration (engine/store/views.ts).
 */
import type { Migration } from './index.ts';

const m: Migration = {
  version: 2,
  name: 'billing tables',
  statements: [
    // one row per state change of a service (from rating / provisioning); `event_id` is deterministic
    `CREATE TABLE IF NOT EXISTS {db}.service_states (
      account String, service String, service_type LowCardinality(String), event_id String,
      from_state LowCardinality(String), to_state LowCardinality(String), core_state LowCardinality(String),
      transition String, effective_time DateTime64(3, 'UTC'), reason String, source String,
      catalog_version LowCardinality(String), recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY (account, service, effective_time, event_id)`,
    // share-plan pool balance per billing period; the highest `version` (e.g. rating-state offset) wins
    `CREATE TABLE IF NOT EXISTS {db}.pool_balances (
      period String, period_start DateTime64(3, 'UTC'), period_end DateTime64(3, 'UTC'),
      owner String, pool_id String, share_plan String, bucket_class LowCardinality(String), unit LowCardinality(String),
      size UInt64, used UInt64, overage UInt64, participants UInt32, as_of DateTime64(3, 'UTC'), version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (owner, pool_id, period)`,
    // contract / subscription terms, for service.expiring events and commitments
    `CREATE TABLE IF NOT EXISTS {db}.service_terms (
      account String, service String, contract String, term_start DateTime64(3, 'UTC'), term_end DateTime64(3, 'UTC'),
      auto_renew UInt8, version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (account, service, contract)`,
    // issued invoices: written once, never updated; `document` is the canonical JSON the renderers read
    `CREATE TABLE IF NOT EXISTS {db}.invoices (
      invoice_no String, account String, period String, period_start DateTime64(3, 'UTC'), period_end DateTime64(3, 'UTC'),
      issue_date Date, due_date Date, currency LowCardinality(String), net Decimal(38, 10), tax Decimal(38, 10),
      total Decimal(38, 10), lines UInt32, status LowCardinality(String), document String, content_sha256 String,
      issued_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY (account, period)`,
    `CREATE TABLE IF NOT EXISTS {db}.invoice_lines (
      invoice_no String, account String, period String, line_no UInt32, section LowCardinality(String),
      product LowCardinality(String), plan LowCardinality(String), usage_class LowCardinality(String), rate_id String,
      service String, description String, quantity Int64, unit LowCardinality(String), charges UInt32,
      net Decimal(38, 10), jurisdiction LowCardinality(String), tax_code LowCardinality(String), tax_rate Decimal(20, 10),
      tax Decimal(38, 10), origin_period String, currency LowCardinality(String)
    ) ENGINE = ReplacingMergeTree ORDER BY (invoice_no, line_no)`,
    // which charge version each invoice billed, at which amount (late usage and re-rated deltas → adjustments)
    `CREATE TABLE IF NOT EXISTS {db}.invoice_items (
      invoice_no String, account String, period String, line_no UInt32, charge_id String, charge_version UInt32,
      amount Decimal(38, 10), event_time DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree ORDER BY (account, charge_id, invoice_no)`,
    `CREATE TABLE IF NOT EXISTS {db}.rerate_diffs (
      period String, charge_id String, new_version UInt32, old_version UInt32, change LowCardinality(String),
      udr_id String, account String, feed LowCardinality(String), usage_class LowCardinality(String),
      old_rate String, new_rate String, old_amount Decimal(38, 10), new_amount Decimal(38, 10), delta Decimal(38, 10),
      catalog_version LowCardinality(String), rerated_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY (period, charge_id, new_version)`,
    `CREATE TABLE IF NOT EXISTS {db}.billing_events (
      event_id String, type LowCardinality(String), account String, subject String,
      occurred_at DateTime64(3, 'UTC'), payload String, created_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY event_id`,
    `CREATE TABLE IF NOT EXISTS {db}.event_deliveries (
      sink String, event_id String, status LowCardinality(String), attempts UInt32, last_error String,
      delivered_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree(delivered_at) ORDER BY (sink, event_id)`,
  ],
};
export default m;
