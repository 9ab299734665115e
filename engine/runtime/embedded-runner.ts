/**
 * Embedded mode: file/stdin → mediation → rating → ClickHouse (in-process engine or server), batch at a time.
 * Idempotent: a file whose content was processed to the end is skipped (checkpoint by content hash) and reports
 * its recorded counters; every insert carries a deterministic dedup token, so a crash mid-file never duplicates.
 *
 * The compute half (engine/runtime/file-processor.ts) runs on this thread, or — for large file inputs on a machine
 * with a second core — in a worker thread, while this thread feeds the ClickHouse engine: one batch in flight,
 * one being computed.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { LoadedPipeline } from '../pipeline/load.ts';
import type { StoreClient } from '../store/client.ts';
import { findCheckpoint, latestRatingState, saveCheckpoint, type FileCounters } from '../store/checkpoints.ts';
import { insertFormatOf } from '../store/ledger-native.ts';
import { type EncodedBatch, FileProcessor, type InsertFormat } from './file-processor.ts';
import { writeEncoded } from './sinks/clickhouse.ts';
import type { FileDlq } from './sinks/dlq-file.ts';
import type { InputFile } from './sources/file.ts';
import type { WorkerInit } from './embedded-worker.ts';

export interface RunHooks {
  /** called with bytes read (progress) */
  onBytes?(n: number): void;
  onFileStart?(f: InputFile, skipped: boolean): void;
  onFileEnd?(c: FileCounters, skipped: boolean): void;
}

export interface RunnerOptions {
  /** compute in a worker thread (file inputs only; stdin always stays on this thread) */
  worker?: boolean;
  /**
   * UDR and charge encoding: default 'native' (Native blocks inserted through a file) for the in-process engine,
   * 'tsv' for a server (and on request: RATESTREAM_INSERT_FORMAT=tsv)
   */
  insertFormat?: InsertFormat;
  /** files smaller than this go in as TSV even in 'native' (default NATIVE_MIN_BYTES) */
  nativeMinBytes?: number;
}

export interface FileRunResult {
  counters: FileCounters;
  /** true when the content had been processed before and was skipped */
  skipped: boolean;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class EmbeddedRunner {
  private processor?: FileProcessor;
  private worker?: Worker;
  private workerReady?: Promise<void>;

  readonly insertFormat: InsertFormat;

  constructor(readonly pipeline: LoadedPipeline, readonly store: StoreClient, readonly dlq?: FileDlq, readonly hooks: RunHooks = {}, readonly options: RunnerOptions = {}) {
    this.insertFormat = insertFormatOf(store, options.insertFormat);
  }

  /** The rating state the last completed file left for this pipeline's catalog (so runs and pipelines continue one state). */
  private async ratingState(): Promise<string | undefined> {
    const cat = this.pipeline.catalog;
    return cat ? latestRatingState(this.store, cat.name) : undefined;
  }

  /**
   * Process one input. `last` (default true): it ends the run's input, so pending pairing halves are flushed into it
   * (UNPAIRED rejects); a run over several files passes false for all but the last, so pairs across files meet.
   */
  async runFile(input: InputFile, stdin?: Readable, last = true): Promise<FileRunResult> {
    const sha = input.path === '-' ? '' : await this.sha(input);
    if (sha) {
      const done = await this.checkpointOf(sha);
      if (done) {
        this.hooks.onFileStart?.(input, true);
        this.hooks.onBytes?.(input.bytes);
        this.hooks.onFileEnd?.(done, true);
        return { counters: done, skipped: true };
      }
    }
    this.hooks.onFileStart?.(input, false);
    const useWorker = this.options.worker && input.path !== '-' && !this.processor;
    const counters = useWorker ? await this.inWorker(input, sha, last) : await this.inProcess(input, sha, stdin, last);
    await saveCheckpoint(this.store, counters);
    this.hooks.onFileEnd?.(counters, false);
    return { counters, skipped: false };
  }

  /**
   * True when `input` will be processed (its content has no checkpoint yet; stdin always). A run over several files
   * passes `last` to the last of these, so the end-of-input flush (UNPAIRED halves) is not skipped when the run's
   * final file was processed before.
   */
  async willProcess(input: InputFile): Promise<boolean> {
    return input.path === '-' || !(await this.checkpointOf(await this.sha(input)));
  }

  private readonly shas = new Map<string, string>();

  private async sha(input: InputFile): Promise<string> {
    let sha = this.shas.get(input.path);
    if (sha === undefined) this.shas.set(input.path, (sha = await sha256File(input.path)));
    return sha;
  }

  private checkpointOf(sha: string) {
    return findCheckpoint(this.store, this.pipeline.config.name, sha);
  }

  /** Stop the worker thread, if one was started. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private async inProcess(input: InputFile, sha: string, stdin: Readable | undefined, last: boolean): Promise<FileCounters> {
    if (this.worker) await this.close(); // the state moves back to this thread with the next checkpoint
    this.processor ??= new FileProcessor(this.pipeline, await this.ratingState(), undefined, this.insertFormat, this.options.nativeMinBytes);
    let inflight: Promise<void> | undefined;
    let failed: unknown;
    const drain = async () => {
      if (inflight) await inflight;
      inflight = undefined;
      if (failed) throw failed;
    };
    const r = await this.processor.processFile(input, sha, async (b) => {
      // one insert in flight while the next batch is mediated and rated (the engine works while JS computes)
      await drain();
      inflight = writeEncoded(this.store, b).then(() => undefined, (e: unknown) => { failed = e; });
      this.dlq?.write(b.mediationRejects, 'mediation');
      this.dlq?.write(b.ratingRejects, 'rating');
    }, (n) => this.hooks.onBytes?.(n), stdin, last);
    await drain();
    return r.counters;
  }

  private async startWorker(): Promise<Worker> {
    if (this.worker) {
      await this.workerReady;
      return this.worker;
    }
    const data: WorkerInit = { pipelineFile: this.pipeline.file, ratingState: await this.ratingState(), insertFormat: this.insertFormat, nativeMinBytes: this.options.nativeMinBytes };
    const w = new Worker(new URL('./embedded-worker.mjs', import.meta.url), { workerData: data });
    this.worker = w;
    this.workerReady = new Promise<void>((resolve, reject) => {
      const onMsg = (m: { type: string; message?: string }) => {
        if (m.type === 'ready') { w.off('message', onMsg); resolve(); }
        if (m.type === 'error') { w.off('message', onMsg); reject(new Error(m.message)); }
      };
      w.on('message', onMsg);
      w.once('error', reject);
    });
    await this.workerReady;
    return w;
  }

  private async inWorker(input: InputFile, sha: string, last: boolean): Promise<FileCounters> {
    const w = await this.startWorker();
    return new Promise<FileCounters>((resolve, reject) => {
      // batches are written strictly in order; each write is acknowledged so the worker may send the next one
      let chain = Promise.resolve();
      let failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        w.off('message', onMsg);
        void this.close();
        reject(e);
      };
      const onMsg = (m: { type: string; batch?: EncodedBatch; n?: number; counters?: FileCounters; message?: string; stack?: string }) => {
        if (m.type === 'bytes') this.hooks.onBytes?.(m.n!);
        else if (m.type === 'batch') {
          const b = m.batch!;
          chain = chain.then(async () => {
            if (failed) return;
            await writeEncoded(this.store, b);
            this.dlq?.write(b.mediationRejects, 'mediation');
            this.dlq?.write(b.ratingRejects, 'rating');
            w.postMessage({ type: 'ack' });
          }).catch(fail);
        } else if (m.type === 'end') {
          chain.then(() => {
            if (failed) return;
            w.off('message', onMsg);
            w.off('error', fail);
            resolve(m.counters!);
          }).catch(fail);
        } else if (m.type === 'error') {
          const e = new Error(m.message);
          if (m.stack) e.stack = m.stack;
          fail(e);
        }
      };
      w.on('message', onMsg);
      w.once('error', fail);
      w.postMessage({ type: 'file', input, sha, last });
    });
  }
}
