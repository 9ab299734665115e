/**
 * RatingBatch (the rate stage of `serve`: rate role and fused stage) rates a batch in parts of RATE_STEP UDRs and, with
 * the in-process engine, writes UDRs and charges into reused Native blocks as it goes. Both must give what rating each
 * run whole into row arrays gave: the same transaction records (rating-state changes — merged per batch —, dedup
 * entries, DLQ, rating events), the same pool balances (each pool once per batch, as of its run's newest UDR), state
 * rows and rejects, and byte-equal Native blocks (udrBlockOf / chargeBlockOf of the arrays).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Udr } from '../../../engine/core/types.ts';
import { generateDemoFeeds } from '../../../engine/demo/generate.ts';
import { loadPipeline } from '../../../engine/pipeline/load.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { emptyState } from '../../../engine/rating/state.ts';
import { BatchDriver } from '../../../engine/runtime/driver.ts';
import { FileSource } from '../../../engine/runtime/sources/file.ts';
import { BatchCounts } from '../../../engine/runtime/streaming/batch-counts.ts';
import type { RoleContext } from '../../../engine/runtime/streaming/context.ts';
import { newRatingSlot, RATE_STEP, RatingBatch, type DirectStore } from '../../../engine/runtime/streaming/rating-stage.ts';
import { streamTopics } from '../../../engine/runtime/streaming/topics.ts';
import type { ProducerRecord } from '../../../engine/runtime/kafka/port.ts';
import { chargeBlockOf, udrBlockOf } from '../../../engine/store/ledger-native.ts';
import type { PartitionBlock } from '../../../engine/store/month-split.ts';
import type { StoreClient } from '../../../engine/store/client.ts';
import { StreamMetrics } from '../../../engine/telemetry/metrics.ts';

const dir = mkdtempSync(join(tmpdir(), 'rs-rating-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
generateDemoFeeds(dir, { days: 1, perDay: 15_000 });

/** every UDR the pipeline's mediation makes of the demo carrier file */
async function mediated(pipelineFile: string) {
  const p = loadPipeline(resolve(pipelineFile));
  const path = join(dir, 'carrier', 'cdr-20261001.csv');
  const src = new FileSource([{ name: 'cdr-20261001.csv', path, bytes: statSync(path).size }], p.mediation.parser, p.feed, 4096, () => undefined);
  const d = new BatchDriver(p, { rate: false });
  const udrs: Udr[] = [];
  for await (const b of src.batches()) for (const u of (await d.step(b)).udrs) udrs.push(u);
  return { p, udrs };
}

const bytes = (bs: readonly PartitionBlock[]) => bs.map((b) => `${b.partition}:${Buffer.concat(b.parts).toString('base64')}${b.select.join(',')}`);
const record = (r: ProducerRecord) => ({ topic: r.topic, partition: r.partition, key: String(r.key), value: r.value === null ? null : Buffer.from(r.value as Buffer).toString('base64') });

/** the demo UDRs through one slot in batches of `perBatch`: what each batch gives */
async function rateAll(pipelineFile: string, mode: 'embedded' | 'server', step: number) {
  const { p, udrs } = await mediated(pipelineFile);
  const catalog = p.catalog!;
  const metrics = new StreamMetrics();
  const ctx = {
    topics: streamTopics(), metrics, codecs: {}, config: { rate: { 'dedup-window': 100_000 } },
    pipelines: { catalogs: new Map([[catalog.name, catalog]]) },
  } as unknown as RoleContext;
  const direct: DirectStore = { store: { mode } as StoreClient, insertTimeoutMs: 1000, retryMaxMs: 1000, ratedTopic: false };
  const slot = newRatingSlot(ctx, 0);
  slot.raters.set(catalog.name, new Rater(catalog, emptyState()));
  const perBatch = 6000;
  const batches = [];
  for (let i = 0; i < udrs.length; i += perBatch) {
    const out: ProducerRecord[] = [];
    const batch = new RatingBatch(ctx, slot, new Map([[p.feed, catalog]]), direct, new BatchCounts(metrics), out, step);
    for (const u of udrs.slice(i, i + perBatch)) batch.udr(u, null);
    batch.finish(`__dedup/${i}`);
    const r = batch.rows;
    const charges = r.native ? r.native.charges().map(([feed, b]) => [feed, bytes(b.finish())]) : [...r.charges].map(([feed, cs]) => [feed, bytes(chargeBlockOf(cs, feed))]);
    batches.push({
      udrs: r.native ? bytes(r.native.udrs.finish()) : bytes(udrBlockOf(r.udrs)),
      charges, pools: r.pools, states: r.states, rejects: r.ratingRejects,
      records: out.map(record),
    });
    batch.release();
  }
  return { batches, udrs: udrs.length, native: slot.spare !== undefined };
}

describe('RatingBatch in parts, into reused Native blocks', () => {
  it('hands its blocks to the slot after the commit, unless an insert attempt timed out (it may still read them)', async () => {
    const { p } = await mediated('pipelines/demo-carrier.yaml');
    const ctx = { topics: streamTopics(), metrics: new StreamMetrics(), config: { rate: { 'dedup-window': 10 } } } as unknown as RoleContext;
    const direct: DirectStore = { store: { mode: 'embedded' } as StoreClient, insertTimeoutMs: 1000, retryMaxMs: 1000, ratedTopic: false };
    const slot = newRatingSlot(ctx, 0);
    const first = new RatingBatch(ctx, slot, new Map([[p.feed, p.catalog!]]), direct, new BatchCounts(ctx.metrics), []);
    first.release();
    expect(slot.spare).toBe(first.rows.native);
    const second = new RatingBatch(ctx, slot, new Map([[p.feed, p.catalog!]]), direct, new BatchCounts(ctx.metrics), []);
    expect(second.rows.native).toBe(first.rows.native); // reused
    expect(slot.spare).toBeUndefined();
    second.rows.timedOut = true;
    second.release();
    expect(slot.spare).toBeUndefined();
  });

  for (const pipeline of ['pipelines/demo-carrier.yaml', 'pipelines/demo-carrier-pooled.yaml']) {
    it(`gives what whole runs into row arrays give (${pipeline})`, async () => {
      const parts = await rateAll(pipeline, 'embedded', RATE_STEP);
      const whole = await rateAll(pipeline, 'server', Infinity);
      expect(parts.native).toBe(true); // the in-process engine: Native blocks, handed back to the slot after each batch
      expect(whole.native).toBe(false);
      expect(parts.udrs).toBeGreaterThan(3 * RATE_STEP * 2); // several batches of several parts
      expect(parts.batches.length).toBeGreaterThan(2);
      expect(parts.batches).toEqual(whole.batches);
      if (pipeline.includes('pooled')) expect(parts.batches.every((b) => b.pools.length > 0)).toBe(true);
      expect(parts.batches.every((b) => b.records.some((r) => r.key.startsWith('__dedup/')))).toBe(true);
    }, 60_000);
  }
});
