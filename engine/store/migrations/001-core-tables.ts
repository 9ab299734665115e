/** Core ledger: UDRs, charges (with lineage), rejects, ignored counts, file checkpoints. */
import type { Migration } from './index.ts';

const DEDUP = 'non_replicated_deduplication_window = 10000';

const m: Migration = {
  version: 1,
  name: 'core tables',
  statements: [
    `CREATE TABLE IF NOT EXISTS {db}.udrs (
      udr_id String, feed LowCardinality(String), usage_class LowCardinality(String), account String, service String,
      rating_key String, start_time DateTime64(3, 'UTC'), quantity UInt64, unit LowCardinality(String),
      origin String, destination String, attrs Map(String, String), source String, rules_version LowCardinality(String),
      ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY (feed, udr_id) PARTITION BY toYYYYMM(start_time) SETTINGS ${DEDUP}`,
    `CREATE TABLE IF NOT EXISTS {db}.charges (
      charge_id String, version UInt32 DEFAULT 1, udr_id String, account String, rating_key String, service String,
      usage_class LowCardinality(String), kind LowCardinality(String), product LowCardinality(String), plan LowCardinality(String),
      rate_id String, matched String, quantity UInt64, unit LowCardinality(String), amount Decimal(38, 10),
      currency LowCardinality(String), event_time DateTime64(3, 'UTC'), source String, rules_version LowCardinality(String),
      catalog_version LowCardinality(String), lineage String, feed LowCardinality(String),
      rated_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (account, charge_id) PARTITION BY toYYYYMM(event_time) SETTINGS ${DEDUP}`,
    `CREATE TABLE IF NOT EXISTS {db}.rejects (
      feed LowCardinality(String), source String, reason LowCardinality(String), message String, raw String,
      rules_version LowCardinality(String), stage LowCardinality(String), rejected_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY (feed, source, stage) SETTINGS ${DEDUP}`,
    `CREATE TABLE IF NOT EXISTS {db}.ingest_files (
      pipeline String, feed LowCardinality(String), file String, content_sha256 String, bytes UInt64,
      records UInt64, udrs UInt64, ignored Map(String, UInt64), rejected Map(String, UInt64), charges UInt64,
      amounts Map(String, Decimal(38, 10)), rules_version String, catalog_version String,
      file_check String, finished_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree(finished_at) ORDER BY (pipeline, content_sha256)`,
  ],
};
export default m;
