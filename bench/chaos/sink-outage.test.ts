/**
 * Chaos scenario 5 (issue #13): the sink's ClickHouse is out for RATESTREAM_CHAOS_SINK_OUTAGE_S [60] s in three
 * phases — every insert errors (first half), inserts hang until the sink's 1 s insert timeout (second half), then on
 * recovery the first successful insert loses its acknowledgement (rows in, the sink sees an error and retries) —
 * while RATESTREAM_CHAOS_DAYS [10] × RATESTREAM_CHAOS_PER_DAY [10,000] demo carrier records flow (pooled pipeline).
 * One in-process `serve` (all roles) whose ClickHouse connection is wrapped (test/helpers/sink-faults.ts; the same
 * scenario as test/reliability/streaming-sink-failure.test.ts, there 8 s). Asserted: no sink offset committed and no
 * batch acknowledged while ClickHouse is down (offsets sampled every second), the partitions paused and the sink's
 * buffer bounded, and afterwards the store equals the embedded `run` with no duplicate row even before merges.
 * Memory: resident size of the process running serve (this vitest worker: serve + the test's input) at the outage's
 * start and its peak during it. Prints one `[sink] {…}` line. Run by `bash bench/chaos.sh sink`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSinkOutage } from '../../test/helpers/sink-outage.ts';

const OUTAGE_S = Number(process.env.RATESTREAM_CHAOS_SINK_OUTAGE_S ?? 60);
const DAYS = Number(process.env.RATESTREAM_CHAOS_DAYS ?? 10);
const PER_DAY = Number(process.env.RATESTREAM_CHAOS_PER_DAY ?? 10_000);
const MAX_BUFFERED = 10_000;

describe(`chaos: sink outage of ${OUTAGE_S} s`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-chaos-sink-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('errors, hanging inserts, a lost acknowledgement: bounded, nothing committed early, nothing lost or doubled', async () => {
    const r = await runSinkOutage({ dir, outageMs: OUTAGE_S * 1000, days: DAYS, perDay: PER_DAY, maxBuffered: MAX_BUFFERED, recoveryTimeoutMs: 1_800_000 });
    const s = r.streaming as Record<string, string>;
    const e = r.embedded as Record<string, string>;
    process.stderr.write(`[sink] ${JSON.stringify({
      recordsIn: r.recordsIn, charges: Number(s.final_rows), missing: Math.max(0, Number(e.ids) - Number(s.ids)) + Math.max(0, r.udrs.embedded - r.udrs.streaming),
      duplicateRowsBeforeMerge: r.rawRows - Number(s.final_rows), totalsVsEmbedded: JSON.stringify(s) === JSON.stringify(e) ? `equal (${s.total})` : `${s.total} vs ${e.total}`,
      outageSeconds: r.outageMs / 1000, failedInsertCalls: r.failedCalls, hungInsertCalls: r.hungCalls, lostAcks: r.lostAcks,
      offsetSamplesDuringOutage: r.offsetSamples, offsetSamplesChanged: r.offsetSamplesChanged, batchesAckedDuringOutage: r.ackedDuringOutage,
      maxBufferedRows: r.maxBufferedRows, bufferLimit: MAX_BUFFERED, maxPausedPartitions: r.maxPausedPartitions,
      rssAtOutageStartMiB: r.rssAtOutageMiB, rssPeakDuringOutageMiB: r.rssPeakInOutageMiB, peakRssMiB: r.peakRssMiB, seconds: r.seconds,
    })}\n`);
    expect(r.offsetSamplesChanged).toBe(0);
    expect(r.ackedDuringOutage).toBe(0);
    expect(r.hungCalls).toBeGreaterThan(0);
    expect(r.failedCalls).toBeGreaterThan(r.hungCalls);
    expect(r.maxPausedPartitions).toBeGreaterThan(0);
    // bounded: the configured buffer plus at most one fetch (64 kB ≈ 1,000 rows) per assigned partition (12)
    expect(r.maxBufferedRows).toBeLessThanOrEqual(MAX_BUFFERED + 12 * 1000);
    expect(r.lostAcks).toBe(1);
    expect(r.streaming).toEqual(r.embedded);
    expect(r.udrs.streaming).toBe(r.udrs.embedded);
    expect(r.rawRows).toBe(Number(s.final_rows));
  });
});
