/**
 * The compute half of the embedded mode: one input stream → framed batches → mediation → rating → rows encoded for
 * the store, with the file's counters. No I/O but reading the input, so it runs on the main thread or in a worker
 * thread (engine/runtime/embedded-worker.ts) while the main thread feeds the ClickHouse engine.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { RawRecord, Reject } from '../core/types.ts';
import { Mediator } from '../mediation/mediator.ts';
import type { FileCheck } from '../mediation/parsers/types.ts';
import type { LoadedPipeline } from '../pipeline/load.ts';
import { Rater } from '../rating/rater.ts';
import { poolBalanceOf, stateRowToStore } from '../billing/rating-adapter.ts';
import type { FileCounters } from '../store/checkpoints.ts';
import type { PoolBalance, ServiceStateChange } from '../store/finance.ts';
import { chargeRow, rejectRow, udrRow } from '../store/ledger.ts';
import { type InputFile, streamInput } from './sources/file-source.ts';

/** One batch, ready for the store: TSV rows plus the small structured parts. Structured-clone friendly. */
export interface EncodedBatch {
  /** deterministic insert_deduplication_token of the batch */
  token: string;
  udrRows: string[];
  chargeRows: string[];
  rejectRows: string[];
  stateChanges: ServiceStateChange[];
  pools: PoolBalance[];
  /** rejects again as objects, for the DLQ file */
  mediationRejects: Reject[];
  ratingRejects: Reject[];
}

export interface ProcessedFile {
  counters: FileCounters;
  check?: FileCheck;
}

function add(m: Record<string, number>, k: string, n: number) {
  m[k] = (m[k] ?? 0) + n;
}

export class FileProcessor {
  readonly mediator: Mediator;
  readonly rater?: Rater;

  /** `ratingState`: the state the last completed file left for the pipeline's catalog (JSON), if any */
  constructor(readonly pipeline: LoadedPipeline, ratingState?: string) {
    this.mediator = new Mediator(pipeline.mediation);
    this.rater = pipeline.catalog ? new Rater(pipeline.catalog, ratingState) : undefined;
  }

  /**
   * Process one input; `emit` is awaited for every batch (backpressure). `sha` is the content hash of a file
   * ('' for stdin: tokens then come from each batch's content).
   */
  async processFile(input: InputFile, sha: string, emit: (b: EncodedBatch) => Promise<void>, onBytes?: (n: number) => void, stdin?: Readable): Promise<ProcessedFile> {
    const p = this.pipeline;
    const name = p.config.name;
    const feed = p.config.feed;
    const rater = this.rater;
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
      await emit({
        token,
        udrRows: m.udrs.map(udrRow),
        chargeRows: r.charges.map((ch) => chargeRow(ch, feed)),
        rejectRows: [...m.rejects.map((x) => rejectRow(x, 'mediation')), ...r.rejects.map((x) => rejectRow(x, 'rating'))],
        // the service-state timeline and pool balances feed invoices (prorated recurring charges) and billing events
        stateChanges: r.stateLog.map((x) => stateRowToStore(x, c.catalogVersion)),
        pools: poolBalances(p, r.stateChanges, m.udrs),
        mediationRejects: m.rejects,
        ratingRejects: r.rejects,
      });
    };
    const { check } = await streamInput(input, feed, p.mediation.parser, p.config['batch-size'], sink, (n) => {
      c.bytes += n;
      onBytes?.(n);
    }, stdin);
    if (check) c.fileCheck = `${check.ok ? 'ok' : 'FAILED'}: ${check.message}`;
    if (!sha) c.sha256 = `stdin-${stdinHash!.digest('hex')}`;
    if (rater) {
      c.catalog = p.catalog!.name;
      c.ratingState = rater.snapshot();
    }
    return { counters: c, check };
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
