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
import { chargeRow, type EncodedTsv, rejectRow, udrRow } from '../store/ledger.ts';
import { BatchDriver, type StepOutput } from './driver.ts';
import { FileSource, type InputFile } from './sources/file.ts';

/**
 * One batch, ready for the store: the ledger tables' TSV (one Buffer per driver step, off the JS heap: the rows'
 * strings die young) plus the small structured parts. Structured-clone friendly.
 */
export interface EncodedBatch extends EncodedTsv {
  /** deterministic insert_deduplication_token of the batch */
  token: string;
  stateChanges: ServiceStateChange[];
  pools: PoolBalance[];
  /** rejects again as objects, for the DLQ */
  mediationRejects: Reject[];
  ratingRejects: Reject[];
}

/** rows gathered per ledger insert: 64k UDRs ≈ 13 MB of UDR TSV + 34 MB of charge TSV */
export const INSERT_ROWS = 65_536;

export interface ProcessedFile {
  counters: FileCounters;
  check?: FileCheck;
}

export class FileProcessor {
  readonly driver: BatchDriver;

  /**
   * `ratingState`: the state the last completed file left for the pipeline's catalog (JSON), if any. `insertRows`:
   * UDRs (and rejects) gathered per insert at least (default INSERT_ROWS).
   */
  constructor(readonly pipeline: LoadedPipeline, ratingState?: string, readonly insertRows = INSERT_ROWS) {
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
    // driver steps are gathered into one insert of at least `insertRows` UDRs (fewer, larger ClickHouse parts: less
    // per-insert work and fewer merges); the cut points depend only on the input, so tokens are deterministic
    let acc: EncodedBatch | undefined;
    let accHash: ReturnType<typeof createHash> | undefined;
    const send = async (tag?: string) => {
      const b = acc;
      if (!b) return;
      acc = undefined;
      if (sha) b.token = `${name}:${sha}:${tag ?? batchNo++}`;
      else {
        if (tag) accHash!.update(tag);
        const bh = accHash!.digest('hex');
        accHash = undefined;
        stdinHash!.update(bh);
        b.token = `${name}:stdin:${bh}`;
      }
      await emit(b);
    };
    const add = (out: StepOutput, records: readonly RawRecord[]) => {
      if (!sha) {
        accHash ??= createHash('sha256');
        for (const rec of records) accHash.update(rec.source).update('\n').update(rec.text).update('\n');
      }
      const b = acc ??= { token: '', udrs: [], charges: [], rejects: [], rows: 0, stateChanges: [], pools: [], mediationRejects: [], ratingRejects: [] };
      if (out.udrs.length) b.udrs.push(tsvChunk(out.udrs.map(udrRow)));
      if (out.charges.length) b.charges.push(tsvChunk(out.charges.map((ch) => chargeRow(ch, feed))));
      if (out.rejects.length || out.ratingRejects.length) {
        b.rejects.push(tsvChunk([...out.rejects.map((x) => rejectRow(x, 'mediation')), ...out.ratingRejects.map((x) => rejectRow(x, 'rating'))]));
      }
      b.rows += out.udrs.length + out.rejects.length + out.ratingRejects.length;
      // the service-state timeline and pool balances feed invoices (prorated recurring charges) and billing events
      for (const x of out.rating?.stateLog ?? []) b.stateChanges.push(stateRowToStore(x, catalogVersion));
      for (const x of poolBalances(p, out.rating?.stateChanges ?? [], out.udrs)) b.pools.push(x);
      for (const x of out.rejects) b.mediationRejects.push(x);
      for (const x of out.ratingRejects) b.ratingRejects.push(x);
    };
    const full = () => !!acc && acc.rows >= this.insertRows;
    const source = new FileSource([input], p.mediation.parser, feed, p.config['batch-size'], (n) => {
      bytes += n;
      onBytes?.(n);
    }, stdin);
    let check: FileCheck | undefined;
    for await (const b of source.batches()) {
      const out = await d.step(b);
      if (b.unitEnd?.check) check = b.unitEnd.check;
      add(out, b.records);
      if (full()) await send();
    }
    await send();
    if (last) {
      const f = await d.flush();
      if (f.udrs.length || f.rejects.length) {
        add(f, []);
        await send('end-of-input');
      }
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

/** TSV rows → one Buffer (newline-terminated) */
function tsvChunk(rows: string[]): Buffer {
  return Buffer.from(`${rows.join('\n')}\n`, 'utf8');
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
