/**
 * Embedded mode keeps the rating state (pool balances, service states, bill-on-first-use counters) in the file
 * checkpoint row, written in the same insert as the counters: a file is either done with its state or not at all.
 */
import type { Migration } from './index.ts';

const m: Migration = {
  version: 5,
  name: 'rating state in file checkpoints',
  statements: [
    `ALTER TABLE {db}.ingest_files ADD COLUMN IF NOT EXISTS catalog LowCardinality(String) DEFAULT ''`,
    `ALTER TABLE {db}.ingest_files ADD COLUMN IF NOT EXISTS rating_state String DEFAULT '' CODEC(ZSTD(3))`,
  ],
};
export default m;
