/**
 * UDR and charge inserts make Compact parts (all columns in one file) up to 128 MiB uncompressed instead of Wide parts
 * from 10 MiB (two files per column and stream: ≈ 60 files per charge part). A 64k-row insert of charges is ≈ 30 MB;
 * creating its ≈ 60 files was about a third of the engine's insert CPU (kernel inode allocation, perf), and Compact
 * parts cost ≈ 25 % less CPU per insert (bench/RESULTS.md, session 2026-12-05 embedded-ch). Merged parts past
 * 128 MiB are Wide again, so large tables keep per-column files for queries that read few columns.
 */
import type { Migration } from './index.ts';

const WIDE_FROM = 128 << 20;

const m: Migration = {
  version: 9,
  name: 'compact ledger parts',
  statements: [
    `ALTER TABLE {db}.udrs MODIFY SETTING min_bytes_for_wide_part = ${WIDE_FROM}`,
    `ALTER TABLE {db}.charges MODIFY SETTING min_bytes_for_wide_part = ${WIDE_FROM}`,
  ],
};
export default m;
