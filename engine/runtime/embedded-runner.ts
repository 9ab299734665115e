/**
 * Embedded mode: file/stdin → mediation → rating → ClickHouse (in-process engine or server), batch at a time.
 * Idempotent: a file whose content was processed to the end is skipped (checkpoint by content hash) and reports
 * its recorded counters; every insert carries a deterministic dedup token, so a crash mid-file never duplicates.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { RawRecord } from '../core/types.ts';
import { Mediator } from '../mediation/mediator.ts';
import type { LoadedPipeline } from '../pipeline/load.ts';
import { Rater } from '../rating/rater.ts';
import type { StoreClient } from '../store/client.ts';
import { findCheckpoint, latestRatingState, saveCheckpoint, type FileCounters } from '../store/checkpoints.ts';
import { writeBatch } from '../store/ledger.ts';
import { writePoolBalances, writeStateChanges, type PoolBalance } from '../store/finance.ts';
import { poolBalanceOf, stateRowToStore } from '../billing/rating-adapter.ts';
import type { FileDlq } from './sinks/dlq-file.ts';
import { type InputFile, streamInput } from './sources/file-source.ts';

export interface RunHooks {
  /** called with bytes read (progress) */
  onBytes?(n: number): void;
  onFileStart?(f: InputFile, skipped: boolean): void;
  onFileEnd?(c: FileCounters, skipped: boolean): void;
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

function add(m: Record<string, number>, k: string, n: number) {
  m[k] = (m[k] ?? 0) + n;
}

export class EmbeddedRunner {
  readonly mediator: Mediator;
  private rater?: Rater;
  private stateLoaded = false;

  constructor(readonly pipeline: LoadedPipeline, readonly store: StoreClient, readonly dlq?: FileDlq, readonly hooks: RunHooks = {}) {
    this.mediator = new Mediator(pipeline.mediation);
  }

  /**
   * The rater, with the rating state (pools, service states, first-use counters) the last completed file left for
   * this catalog, so consecutive runs — and the pipelines sharing a catalog — continue one state.
   */
  private async raterFor(): Promise<Rater | undefined> {
    const cat = this.pipeline.catalog;
    if (!cat) return undefined;
    if (!this.stateLoaded) {
      this.rater = new Rater(cat, await latestRatingState(this.store, cat.name));
      this.stateLoaded = true;
    }
    return this.rater;
  }

  async runFile(input: InputFile, stdin?: Readable): Promise<FileRunResult> {
    const p = this.pipeline;
    const name = p.config.name;
    const feed = p.config.feed;
    let sha = input.path === '-' ? '' : await sha256File(input.path);
    if (sha) {
      const done = await findCheckpoint(this.store, name, sha);
      if (done) {
        this.hooks.onFileStart?.(input, true);
        this.hooks.onBytes?.(input.bytes);
        this.hooks.onFileEnd?.(done, true);
        return { counters: done, skipped: true };
      }
    }
    this.hooks.onFileStart?.(input, false);
    const rater = await this.raterFor();
    const c: FileCounters = {
      pipeline: name, feed, file: input.name, sha256: sha, bytes: 0, records: 0, udrs: 0, ignored: {}, rejected: {}, charges: 0,
      amounts: {}, rulesVersion: p.mediation.version, catalogVersion: p.catalog?.version ?? '', fileCheck: '',
    };
    const stdinHash = sha ? undefined : createHash('sha256');
    let batchNo = 0;
    const sink = async (records: RawRecord[], ignored: Map<string, number>) => {
      const m = this.mediator.mediate(records);
      const r = rater ? rater.rate(m.udrs) : { charges: [], rejects: [], stateChanges: [], stateLog: [], events: [] };
      c.records += records.length;
      for (const [k, v] of ignored) { add(c.ignored, k, v); c.records += v; }
      for (const [k, v] of m.ignored) add(c.ignored, k, v);
      for (const x of m.rejects) add(c.rejected, x.reason, 1);
      c.udrs += m.udrs.length;
      for (const x of r.rejects) add(c.rejected, `rating:${x.reason}`, 1);
      c.charges += r.charges.length;
      for (const ch of r.charges) c.amounts[ch.currency] = (c.amounts[ch.currency] ?? 0n) + ch.amount;
      let token: string;
      if (sha) token = `${name}:${sha}:${batchNo++}`;
      else {
        const h = createHash('sha256');
        for (const rec of records) h.update(rec.source).update('\n').update(rec.text).update('\n');
        const bh = h.digest('hex');
        stdinHash!.update(bh);
        token = `${name}:stdin:${bh}`;
      }
      // one insert in flight while the next batch is mediated and rated (the engine works while JS computes)
      await drain();
      const write = Promise.all([
        writeBatch(this.store, { udrs: m.udrs, charges: r.charges, mediationRejects: m.rejects, ratingRejects: r.rejects, feed }, token),
        // the service-state timeline and pool balances feed invoices (prorated recurring charges) and billing events
        writeStateChanges(this.store, r.stateLog.map((x) => stateRowToStore(x, c.catalogVersion)), `${token}:states`),
        writePoolBalances(this.store, poolBalances(p, r.stateChanges, m.udrs), `${token}:pools`),
      ]);
      inflight = write.then(() => undefined, (e: unknown) => { failed = e; });
      this.dlq?.write(m.rejects, 'mediation');
      this.dlq?.write(r.rejects, 'rating');
    };
    let inflight: Promise<void> | undefined;
    let failed: unknown;
    const drain = async () => {
      if (inflight) await inflight;
      inflight = undefined;
      if (failed) throw failed;
    };
    const { check } = await streamInput(input, feed, p.mediation.parser, p.config['batch-size'], sink, (n) => {
      c.bytes += n;
      this.hooks.onBytes?.(n);
    }, stdin);
    await drain();
    if (check) c.fileCheck = `${check.ok ? 'ok' : 'FAILED'}: ${check.message}`;
    if (!sha) {
      sha = `stdin-${stdinHash!.digest('hex')}`;
      c.sha256 = sha;
    }
    if (rater) {
      c.catalog = p.catalog!.name;
      c.ratingState = rater.snapshot();
    }
    await saveCheckpoint(this.store, c);
    this.hooks.onFileEnd?.(c, false);
    return { counters: c, skipped: false };
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
