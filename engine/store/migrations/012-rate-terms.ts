/**
 * Compact usage lineage (steps/lineage.ts, version 2): a usage charge's lineage no longer repeats what its rate gives
 * — the model, the connect fee, the rate's own rounding, its one plain segment and the model's detail of it. The
 * ledger keeps each rate's terms once per catalog version in `rate_terms` (written when a catalog is used to rate
 * into the store, rating/rate-terms.ts), and the view `charge_lineage` shows every charge with the terms of its rate
 * beside its lineage: model, detail, connect fee and rounding, whichever the lineage holds itself or the rate gives.
 *
 * Why: the lineage text was ≈ 270 of a charge row's bytes, most of it the same for every charge of a rate; writing,
 * inserting and merging it cost 5–8 % of the embedded run's CPU and ≈ 6 % of serve's (bench/RESULTS.md, fifteenth session).
 */
import { CHARGE_LINEAGE_VIEW } from '../views.ts';
import type { Migration } from './index.ts';

const m: Migration = {
  version: 12,
  name: 'rate terms',
  statements: [
    `CREATE TABLE IF NOT EXISTS {db}.rate_terms (
      catalog LowCardinality(String), catalog_version String, plan String, rate_id String, product String,
      usage_class LowCardinality(String), unit LowCardinality(String), window String, model LowCardinality(String),
      terms String, detail_between String, detail_after String, connect_fee Decimal(38, 10), rounding String,
      recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY (catalog_version, plan, rate_id)`,
    CHARGE_LINEAGE_VIEW,
  ],
};
export default m;
