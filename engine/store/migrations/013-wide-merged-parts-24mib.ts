/**
 * Merged UDR and charge parts from 24 MiB uncompressed are Wide (migration 011 had set 48 MiB), so more of the
 * ledger's merges run vertically (key columns first, then one column at a time) instead of reading every column of
 * ≈ 10 parts at once. Inserts stay Compact: serve's per-month insert is ≈ 5 MB, `run`'s 64k-row insert ≈ 14 MB of
 * UDRs and ≈ 22 MB of charges.
 *
 * Why: the compact lineage (migration 012) made a month of charges in the 2M-record serve bench ≈ 100 MB instead of
 * ≈ 145, and serve's steady memory fell by ≈ 15 MiB while the merge round's native peak stayed: the RSS band (± 10 %
 * of the median) was missed in 5 of 8 one-process runs. From 24 MiB: peak RSS −5 % paired and the band met in 3 of 4
 * runs against 1 of 4, for ≈ +3 % serve CPU (bench/RESULTS.md, fifteenth session).
 */
import type { Migration } from './index.ts';

const WIDE_FROM = 24 << 20;

const m: Migration = {
  version: 13,
  name: 'wide merged ledger parts from 24 MiB',
  statements: ['udrs', 'charges'].map((t) => `ALTER TABLE {db}.${t} MODIFY SETTING min_bytes_for_wide_part = ${WIDE_FROM}`),
};
export default m;
