/**
 * Merged UDR and charge parts from 48 MiB uncompressed are Wide again (migration 009 had set 128 MiB). Inserts stay
 * Compact: serve's per-month insert is ≈ 5 MB, `run`'s 64k-row insert ≈ 30 MB.
 *
 * Why: ClickHouse merges into a Compact part horizontally, reading every column of every source part at once
 * (≈ 10 parts per merge at `merge_selector_base = 10`, migration 010), and only a Wide result can be merged
 * vertically, key columns first, then one column at a time. A month of charges in the 2M-record serve bench is
 * ≈ 120 MB, so with the 128 MiB threshold every merge was horizontal. chDB's memory peaked at ≈ 1.53M records stored
 * in 9 of 11 runs, and that peak alone broke serve's ± 10 % RSS band. With Wide parts from 48 MiB, the large merges
 * are vertical: native memory 312–447 instead of 286–535 MiB, peak RSS −5 %, and the band was met in the runs
 * bench/RESULTS.md gives (thirteenth session). The price is ≈ +8 % serve CPU: a Wide part writes a file per column,
 * and vertical merges read the parts twice.
 */
import type { Migration } from './index.ts';

const WIDE_FROM = 48 << 20;

const m: Migration = {
  version: 11,
  name: 'wide merged ledger parts',
  statements: ['udrs', 'charges'].map((t) => `ALTER TABLE {db}.${t} MODIFY SETTING min_bytes_for_wide_part = ${WIDE_FROM}`),
};
export default m;
