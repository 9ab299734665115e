/**
 * FileProcessor mediates, rates and encodes a source batch in parts of STEP_RECORDS records: the parts must give
 * what whole batches give — the same insert cut points and dedup tokens, the same encoded bytes (TSV and Native), the
 * same state rows, pool balances (per source batch: each changed pool once, as of the batch's newest UDR), rejects
 * and counters.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDemoFeeds } from '../../../engine/demo/generate.ts';
import { loadPipeline } from '../../../engine/pipeline/load.ts';
import { type EncodedBatch, FileProcessor, type InsertFormat, STEP_RECORDS } from '../../../engine/runtime/file-processor.ts';

const dir = mkdtempSync(join(tmpdir(), 'rs-steps-'));
generateDemoFeeds(dir, { days: 1, perDay: 20_000 });
const path = join(dir, 'carrier', 'cdr-20261001.csv');
const input = { name: 'cdr-20261001.csv', path, bytes: statSync(path).size };

/** every emitted batch as plain data (the bytes copied: the processor reuses its buffers) */
async function run(pipelineFile: string, format: InsertFormat, stepRecords: number) {
  const p = new FileProcessor(loadPipeline(resolve(pipelineFile)), undefined, 6000, format, 0, stepRecords);
  const batches: unknown[] = [];
  const copy = (b: Uint8Array) => Buffer.from(b).toString('base64');
  const emit = async (b: EncodedBatch) => {
    batches.push({
      token: b.token, rows: b.rows, udrs: copy(b.udrs), charges: copy(b.charges), rejects: copy(b.rejects),
      native: b.native && { udrs: b.native.udrs.map((x) => [x.partition, x.parts.map(copy).join('|'), x.select]), charges: b.native.charges.map((x) => [x.partition, x.parts.map(copy).join('|'), x.select]) },
      stateChanges: b.stateChanges, pools: b.pools, mediationRejects: b.mediationRejects, ratingRejects: b.ratingRejects,
    });
  };
  const { counters } = await p.processFile(input, 'sha-of-the-file', emit);
  return { batches, counters };
}

describe('FileProcessor steps', () => {
  it('cuts source batches of 8192 records into parts', () => {
    expect(STEP_RECORDS).toBeLessThan(8192);
  });

  for (const [pipeline, format] of [['pipelines/demo-carrier.yaml', 'tsv'], ['pipelines/demo-carrier-pooled.yaml', 'native'], ['pipelines/demo-carrier-pooled.yaml', 'tsv']] as const) {
    it(`parts give what whole batches give (${pipeline}, ${format})`, async () => {
      const parts = await run(pipeline, format, STEP_RECORDS);
      const whole = await run(pipeline, format, Infinity);
      expect(parts.batches.length).toBeGreaterThan(2);
      expect(parts.batches.map((b) => (b as { token: string }).token)).toEqual(whole.batches.map((b) => (b as { token: string }).token));
      expect(parts.batches).toEqual(whole.batches);
      expect(parts.counters).toEqual(whole.counters);
      if (pipeline.includes('pooled')) expect(parts.batches.some((b) => (b as { pools: unknown[] }).pools.length > 0)).toBe(true);
    }, 60_000);
  }
});
