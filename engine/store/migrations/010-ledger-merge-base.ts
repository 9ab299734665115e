/**
 * Fewer background merges of the UDR and charge tables: `merge_selector_base = 10` (ClickHouse's default 5) lets the
 * Simple merge selector wait for ranges of about twice as many parts of similar size before it merges them, so each
 * row is rewritten by fewer merge levels (write amplification ≈ log10 instead of log5 of the parts a partition
 * receives). `serve` inserts every rate batch (≈ 14k rows per table over 4 partitions) as its own part, and merging
 * those was the larger half of its in-process ClickHouse CPU: replaying a 2M-record serve run's 235 inserts into a
 * fresh store, the merge threads went from 9.1–9.8 to 4.2–4.9 CPU-s (bench/RESULTS.md, session 2026-12-06 chdb7).
 * A table keeps more active parts between merges (≈ 48 instead of ≈ 32 per table after 2M records): FINAL reads
 * merge a few more streams, far below `parts_to_delay_insert`.
 */
import type { Migration } from './index.ts';

const BASE = 10;

const m: Migration = {
  version: 10,
  name: 'ledger merge base',
  statements: ['udrs', 'charges'].map((t) => `ALTER TABLE {db}.${t} MODIFY SETTING merge_selector_base = ${BASE}`),
};
export default m;
