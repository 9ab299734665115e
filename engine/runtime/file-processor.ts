/**
 * The compute half of the embedded mode: one input (a file source) → the batch driver (mediation, rating) → rows
 * encoded for the store, with the file's counters. No I/O but reading the input, so it runs on the main thread or in a
 * worker thread (engine/runtime/embedded-worker.ts) while the main thread feeds the ClickHouse engine.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { RawRecord, Reject } from '../core/types.ts';
import type { FileCheck } from '../mediation/parsers/types.ts';
import type { LoadedPipeline } from '../pipeline/load.ts';
import { poolBalanceOf, stateRowToStore } from '../billing/rating-adapter.ts';
import type { FileCounters } from '../store/checkpoints.ts';
import type { PoolBalance, ServiceStateChange } from '../store/finance.ts';
import { chargeRow, rejectRow, udrRow } from '../store/ledger.ts';
import { BatchDriver, type StepOutput } from './driver.ts';
import { FileSource, type InputFile } from './sources/file.ts';

/** One batch, ready for the store: TSV rows plus the small structured parts. Structured-clone friendly. */
export interface EncodedBatch {
  /** deterministic insert_deduplication_token of the batch */
  token: string;
  udrRows: string[];
  chargeRows: string[];
  rejectRows: string[];
  stateChanges: ServiceStateChange[];
  pools: PoolBalance[];
  /** rejects again as objects, for the DLQ */
  mediationRejects: Reject[];
  ratingRejects: Reject[];
}

export interface ProcessedFile {
  counters: FileCounters;
  check?: FileCheck;
}

export class FileProcessor {
  readonly driver: BatchDriver;

  /** `ratingState`: the state the last completed file left for the pipeline's catalog (JSON), if any */
  constructor(readonly pipeline: LoadedPipeline, ratingState?: string) {
    this.driver = new BatchDriver(pipeline, { ratingState, batchSize: pipeline.config['batch-size'] });
  }

  /**
   * Process one input; `emit` is awaited for every batch (backpressure). `sha` is the content hash of a file
   * ('' for stdin: tokens then come from each batch's content). `last`: the end of the run's input — pending pairing
   * halves are flushed (UNPAIRED rejects) into this file's output and counters.
   */
  async processFile(input: InputFile, sha: string, emit: (b: EncodedBatch) => Promise<void>, onBytes?: (n: number) => void, stdin?: Readable, last = true): Promise<ProcessedFile> {
    const p = this.pipeline;
    const name = p.config.name;
    const feed = p.feed;
    const d = this.driver;
    const catalogVersion = p.catalog?.version ?? '';
    let bytes = 0;
    const stdinHash = sha ? undefined : createHash('sha256');
    let batchNo = 0;
    d.takeCounters();
    const encode = async (out: StepOutput, records: readonly RawRecord[], tag?: string) => {
      let token: string;
      if (sha) token = `${name}:${sha}:${tag ?? batchNo++}`;
      else {
        const h = createHash('sha256');
        for (const rec of records) h.update(rec.source).update('\n').update(rec.text).update('\n');
        if (tag) h.update(tag);
        const bh = h.digest('hex');
        stdinHash!.update(bh);
        token = `${name}:stdin:${bh}`;
      }
      await emit({
        token,
        udrRows: out.udrs.map(udrRow),
        chargeRows: out.charges.map((ch) => chargeRow(ch, feed)),
        rejectRows: [...out.rejects.map((x) => rejectRow(x, 'mediation')), ...out.ratingRejects.map((x) => rejectRow(x, 'rating'))],
        // the service-state timeline and pool balances feed invoices (prorated recurring charges) and billing events
        stateChanges: (out.rating?.stateLog ?? []).map((x) => stateRowToStore(x, catalogVersion)),
        pools: poolBalances(p, out.rating?.stateChanges ?? [], out.udrs),
        mediationRejects: out.rejects,
        ratingRejects: out.ratingRejects,
      });
    };
    const source = new FileSource([input], p.mediation.parser, feed, p.config['batch-size'], (n) => {
      bytes += n;
      onBytes?.(n);
    }, stdin);
    let check: FileCheck | undefined;
    for await (const b of source.batches()) {
      const out = await d.step(b);
      if (b.unitEnd?.check) check = b.unitEnd.check;
      await encode(out, b.records);
    }
    if (last) {
      const f = await d.flush();
      if (f.udrs.length || f.rejects.length) await encode(f, [], 'end-of-input');
    }
    const c = d.takeCounters();
    const counters: FileCounters = {
      ...c, pipeline: name, feed, file: input.name, sha256: sha || `stdin-${stdinHash!.digest('hex')}`, bytes,
      rulesVersion: p.mediation.version, catalogVersion, fileCheck: check ? `${check.ok ? 'ok' : 'FAILED'}: ${check.message}` : '',
    };
    if (d.rater) {
      counters.catalog = p.catalog!.name;
      counters.ratingState = d.rater.snapshot();
    }
    return { counters, check };
  }
}

function poolBalances(p: LoadedPipeline, changes: readonly { key: string; value: unknown }[], udrs: readonly { startTime: number }[]): PoolBalance[] {
  if (!p.catalog || !changes.length) return [];
  let asOf = 0;
  for (const u of udrs) if (u.startTime > asOf) asOf = u.startTime;
  const out: PoolBalance[] = [];
  for (const ch of changes) {
    const b = poolBalanceOf(p.catalog, ch.key, ch.value, asOf);
    if (b) out.push(b);
  }
  return out;
}
