/**
 * MediationStage.mediate in parts (the fused stage hands each part's UDRs to the rating batch before the next part is
 * parsed): the parts must give what one call over the whole batch gives — the same UDRs in order, rejects, ignored
 * counts, DLQ records, dedup changelog records and pairing state (folded as a new owner restores it).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Udr } from '../../../engine/core/types.ts';
import { loadPipeline } from '../../../engine/pipeline/load.ts';
import { BatchDriver } from '../../../engine/runtime/driver.ts';
import type { ConsumedMessage, ProducerRecord } from '../../../engine/runtime/kafka/port.ts';
import { BatchCounts } from '../../../engine/runtime/streaming/batch-counts.ts';
import type { RoleContext } from '../../../engine/runtime/streaming/context.ts';
import { MediationDedupLog } from '../../../engine/runtime/streaming/mediation-dedup.ts';
import { type MediationPart, MediationStage } from '../../../engine/runtime/streaming/mediation-stage.ts';
import { PairingStateReader } from '../../../engine/runtime/streaming/pairing-state.ts';
import { streamTopics } from '../../../engine/runtime/streaming/topics.ts';
import { StreamMetrics } from '../../../engine/telemetry/metrics.ts';

const F = 'test/fixtures/parity';

/** the fixture's lines as raw-topic messages (offsets from 0, source coordinates as the ingest writes them) */
function messages(files: string[]): ConsumedMessage[] {
  const out: ConsumedMessage[] = [];
  for (const f of files) {
    const name = f.split('/').pop()!;
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      if (line === '') return;
      out.push({ offset: String(out.length), key: null, value: Buffer.from(line), headers: { 'rs-source': Buffer.from(`${name}:${i + 1}`) }, timestamp: '0' });
    });
  }
  return out;
}

/** the batch through a fresh partition state, mediated `step` records at a time, in batches of `perBatch` messages */
async function mediateAll(pipelineFile: string, files: string[], step: number, perBatch: number) {
  const p = loadPipeline(resolve(pipelineFile));
  const metrics = new StreamMetrics();
  const ctx = {
    topics: streamTopics(), metrics, config: { topics: { prefix: '' }, mediate: { 'hot-reload': false } },
    pipelines: { byFeed: new Map([[p.feed, p]]), catalogs: new Map() },
    admin: { endOffsets: async () => [{ partition: 0, offset: '0' }], ensureTopics: async () => ({ created: [] }) },
    log: { info() {}, warn() {}, error() {}, child() { return this; } },
  } as unknown as RoleContext;
  const stage = new MediationStage(ctx, 'test.mediate');
  const driver = new BatchDriver(p, { rate: false });
  const topic = ctx.topics.raw(p.feed);
  const part: MediationPart = { topic, partition: 0, pipeline: p, driver, binary: false, keys: new Map() };
  if (p.mediation.dedupWindow > 0) {
    driver.mediator.trackDedup = true;
    part.dedup = new MediationDedupLog(`mediation-state.${p.feed}`, 0);
  }
  const msgs = messages(files);
  const udrs: Udr[] = [];
  const records: ProducerRecord[] = [];
  const results = [];
  for (let i = 0; i < msgs.length; i += perBatch) {
    const out: ProducerRecord[] = [];
    const res = step === Infinity
      ? await stage.mediate(part, msgs.slice(i, i + perBatch), new BatchCounts(metrics), out)
      : await stage.mediate(part, msgs.slice(i, i + perBatch), new BatchCounts(metrics), out, (us) => { for (const u of us) udrs.push(u); }, step);
    if (step === Infinity) for (const u of res.udrs) udrs.push(u);
    else expect(res.udrs).toEqual([]);
    results.push({ rejects: res.rejects, ignored: [...res.ignored].sort(), pending: res.pending, dedupAdded: res.dedupAdded });
    for (const r of out) records.push(r);
  }
  // the pairing changelog as a new owner folds it; every other record as it is
  const reader = new PairingStateReader(0);
  const other = [];
  for (const r of records) {
    if (r.topic.startsWith('mediation-state.') && !String(r.key).startsWith('dedup/')) {
      reader.add({ offset: '0', key: Buffer.from(String(r.key)), value: r.value === null ? null : Buffer.from(r.value as Buffer), headers: {}, timestamp: '0' });
    } else other.push({ topic: r.topic, key: String(r.key), value: r.value === null ? null : Buffer.from(r.value as Buffer).toString() });
  }
  // the restored entries carry their own order (seq): the fold's key order is not state
  const snap = reader.snapshot();
  const pairing = { clock: snap.clock, entries: snap.entries.sort((a, b) => (a.key < b.key ? -1 : 1)) };
  return { udrs, results, other, pairing, pairingRecords: reader.records, pendingHalves: driver.mediator.pending };
}

describe('MediationStage.mediate in parts', () => {
  const cases = [
    { name: 'pairing (OpenSIPS INVITE/BYE)', pipeline: 'pipelines/cgrates-opensips-flatstore.yaml', files: [`${F}/cgrates-opensips-flatstore/acc_20.log`, `${F}/cgrates-opensips-flatstore/acc_21.log`] },
    { name: 'dedup window, duplicates and invalid lines', pipeline: `${F}/pipelines/parity-carrier-dup-invalid.yaml`, files: [`${F}/parity-carrier-dup-invalid/cdr-20261105.csv`] },
  ];
  for (const c of cases) {
    it(`gives what one call over the batch gives: ${c.name}`, async () => {
      const whole = await mediateAll(c.pipeline, c.files, Infinity, 6);
      expect(whole.udrs.length).toBeGreaterThan(2);
      for (const step of [1, 2, 4]) {
        const parts = await mediateAll(c.pipeline, c.files, step, 6);
        expect(parts.udrs).toEqual(whole.udrs);
        expect(parts.results).toEqual(whole.results);
        expect(parts.other).toEqual(whole.other);
        expect(parts.pairing).toEqual(whole.pairing);
        expect(parts.pendingHalves).toBe(whole.pendingHalves);
      }
      if (c.pipeline.includes('opensips')) expect(whole.pairingRecords).toBeGreaterThan(0);
      else {
        expect(whole.results.some((r) => r.rejects.length > 0)).toBe(true);
        expect(whole.other.some((r) => r.key.startsWith('dedup/'))).toBe(true);
      }
    });
  }
});
