/**
 * Done-when 3: the sink's ClickHouse connection fails for OUTAGE_MS (first half: every insert errors at once; second
 * half: inserts hang until the sink's insert timeout), then recovers — and the first successful insert after the
 * outage loses its acknowledgement (the rows land, the client sees an error). Asserted: no sink offset is committed
 * while ClickHouse is down; the partitions pause and the buffered rows stay bounded; after recovery every charge is
 * there exactly once (no physical duplicate: the retried batch carried the same insert_deduplication_token).
 * The scenario itself is test/helpers/sink-outage.ts (shared with the 60 s chaos run, `bash bench/chaos.sh sink`).
 *
 * OUTAGE_MS defaults to 8 s to keep `npm test` lean; the full 30 s runs with
 *   RATESTREAM_OUTAGE_MS=30000 npx vitest run --project integration test/reliability/streaming-sink-failure.test.ts
 * (bench/streaming-soak.sh does exactly that).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSinkOutage } from '../helpers/sink-outage.ts';

const OUTAGE_MS = Number(process.env.RATESTREAM_OUTAGE_MS ?? 8_000);
const MAX_BUFFERED = 10_000;

describe(`streaming sink: ClickHouse down for ${OUTAGE_MS / 1000} s, then a lost acknowledgement`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-sinkfail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commits no offset early, stays bounded, loses and duplicates nothing', async () => {
    const r = await runSinkOutage({ dir, outageMs: OUTAGE_MS, days: 3, perDay: 10_000, maxBuffered: MAX_BUFFERED });
    process.stderr.write(`[sink-failure] outage ${r.outageMs} ms: ${r.failedCalls} failed insert calls, max buffered rows ${r.maxBufferedRows}, max paused partitions ${r.maxPausedPartitions}\n`);
    process.stderr.write(`[sink-failure] streaming ${JSON.stringify(r.streaming)} raw rows ${r.rawRows}\n[sink-failure] embedded  ${JSON.stringify(r.embedded)}\n`);
    expect(r.offsetSamplesChanged).toBe(0); // nothing committed while ClickHouse is down
    expect(r.ackedDuringOutage).toBe(0);
    expect(r.failedCalls).toBeGreaterThan(0);
    expect(r.maxPausedPartitions).toBeGreaterThan(0); // backpressure: partitions paused while the sink cannot write
    // bounded: the configured buffer plus at most one fetch (64 kB) per assigned partition (12)
    expect(r.maxBufferedRows).toBeLessThanOrEqual(MAX_BUFFERED + 12 * 1000);
    expect(r.lostAcks).toBe(1);
    expect(r.streaming).toEqual(r.embedded);
    expect(r.rawRows).toBe(Number(r.streaming.final_rows)); // the lost-ack batch was not stored twice
  });
});
