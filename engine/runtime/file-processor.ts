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
import { type EncodedTsv, putCharge, putReject, putUdr } from '../store/ledger.ts';
import { ChargeBlock, type InsertFormat, UdrBlock } from '../store/ledger-native.ts';
import type { PartitionBlock } from '../store/month-split.ts';
import { TsvWriter } from '../store/tsv.ts';
import { BatchDriver, type StepOutput } from './driver.ts';
import { FileSource, type InputFile } from './sources/file.ts';

/**
 * One batch, ready for the store: the ledger tables' TSV bytes (written row by row into off-heap buffers, no string
 * per row) plus the small structured parts. Structured-clone friendly.
 */
export interface EncodedBatch extends EncodedTsv {
  /** deterministic insert_deduplication_token of the batch */
  token: string;
  stateChanges: ServiceStateChange[];
  pools: PoolBalance[];
  /** rejects again as objects, for the DLQ */
  mediationRejects: Reject[];
  ratingRejects: Reject[];
  /** format 'native': the UDRs and charges as Native blocks (their TSV bytes are then empty) */
  native?: { udrs: PartitionBlock[]; charges: PartitionBlock[] };
}

/**
 * How UDR and charge rows are encoded: 'native' (ClickHouse Native blocks, inserted through a file by the in-process
 * engine) or 'tsv' (TabSeparated: a server, or chDB's raw insert). Rejects are always TSV.
 */
export type { InsertFormat } from '../store/ledger-native.ts';

/**
 * Inputs smaller than this go in as TSV even when the format is 'native': a Native insert costs a file and an
 * INSERT … SELECT query (planning, literals), which a few thousand rows do not pay back (the demo's files are ≈ 100 kB).
 */
export const NATIVE_MIN_BYTES = 4 << 20;

/** rows gathered per ledger insert: 64k UDRs ≈ 13 MB of UDR TSV + 34 MB of charge TSV */
export const INSERT_ROWS = 65_536;

/**
 * Records mediated, rated and encoded at once within a source batch (8192 records by default): a part's UDRs, charges
 * and lineage are encoded while still in cache and die young (less copied by the young-generation GC). Insert cut
 * points, dedup tokens and the pool balances are still per source batch, so the output does not depend on it.
 */
export const STEP_RECORDS = 2048;

const NO_IGNORED: ReadonlyMap<string, number> = new Map();

/** an insert being gathered: the ledger tables' writers and the structured parts */
interface Gathering extends Pick<EncodedBatch, 'stateChanges' | 'pools' | 'mediationRejects' | 'ratingRejects'> {
  udrs: TsvWriter;
  charges: TsvWriter;
  rejects: TsvWriter;
  /** format 'native': the UDR and charge blocks (the TSV writers for them stay empty) */
  native?: { udrs: UdrBlock; charges: ChargeBlock };
}

/** a new gathering, or `reuse` emptied (its writers keep their buffers) */
function gathering(insertRows: number, format: InsertFormat, reuse?: Gathering): Gathering {
  if (!reuse || !!reuse.native !== (format === 'native')) {
    // sized for a full insert of demo-like rows (≈ 200 B per UDR, 530 B per charge): no regrowth on the way
    const w = (perRow: number) => new TsvWriter(format === 'tsv' ? Math.min(insertRows * perRow, 1 << 27) : 1 << 10);
    const native = format === 'native' ? { udrs: new UdrBlock(insertRows + (insertRows >> 3)), charges: new ChargeBlock(insertRows + (insertRows >> 3)) } : undefined;
    return { udrs: w(256), charges: w(640), rejects: new TsvWriter(), native, stateChanges: [], pools: [], mediationRejects: [], ratingRejects: [] };
  }
  reuse.udrs.reset();
  reuse.charges.reset();
  reuse.rejects.reset();
  reuse.native?.udrs.reset();
  reuse.native?.charges.reset();
  return { ...reuse, stateChanges: [], pools: [], mediationRejects: [], ratingRejects: [] };
}

export interface ProcessedFile {
  counters: FileCounters;
  check?: FileCheck;
}

export class FileProcessor {
  readonly driver: BatchDriver;
  /**
   * sets of writers used in turn, kept from file to file: a batch's bytes are read until the next emit resolves (the
   * store keeps one insert in flight; a worker's postMessage copies), and reusing the buffers spares large
   * allocations (each one pushes V8 towards a full GC, and fresh pages raise the RSS until the old buffers are freed)
   */
  private readonly spare: Gathering[] = [];

  /**
   * `ratingState`: the state the last completed file left for the pipeline's catalog (JSON), if any. `insertRows`:
   * UDRs (and rejects) gathered per insert at least (default INSERT_ROWS).
   */
  constructor(readonly pipeline: LoadedPipeline, ratingState?: string, readonly insertRows = INSERT_ROWS, readonly format: InsertFormat = 'tsv',
    readonly nativeMinBytes = NATIVE_MIN_BYTES, readonly stepRecords = STEP_RECORDS) {
    this.driver = new BatchDriver(pipeline, { ratingState, batchSize: pipeline.config['batch-size'] });
  }

  /**
   * Process one input; `emit` is awaited for every batch (backpressure); a batch's TSV bytes stay valid until the
   * next emit resolves (then the buffers are reused). `sha` is the content hash of a file
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
    // stdin (bytes unknown: 0) is gathered as Native when asked: it is read to the end first and may be large
    const format: InsertFormat = this.format === 'native' && (input.path === '-' || input.bytes >= this.nativeMinBytes) ? 'native' : 'tsv';
    d.takeCounters();
    // driver steps are gathered into one insert of at least `insertRows` UDRs (fewer, larger ClickHouse parts: less
    // per-insert work and fewer merges); the cut points depend only on the input, so tokens are deterministic
    let acc: Gathering | undefined;
    const spare = this.spare;
    let accHash: ReturnType<typeof createHash> | undefined;
    const send = async (tag?: string) => {
      const g = acc;
      if (!g) return;
      acc = undefined;
      let token: string;
      if (sha) token = `${name}:${sha}:${tag ?? batchNo++}`;
      else {
        if (tag) accHash!.update(tag);
        const bh = accHash!.digest('hex');
        accHash = undefined;
        stdinHash!.update(bh);
        token = `${name}:stdin:${bh}`;
      }
      const native = g.native ? { udrs: g.native.udrs.finish(), charges: g.native.charges.finish() } : undefined;
      await emit({
        token, udrs: g.udrs.take(), charges: g.charges.take(), rejects: g.rejects.take(), rows: udrRows(g) + g.rejects.rows,
        stateChanges: g.stateChanges, pools: g.pools, mediationRejects: g.mediationRejects, ratingRejects: g.ratingRejects, native,
      });
      spare.push(g);
      if (spare.length > 2) spare.shift();
    };
    const add = (out: StepOutput, records: readonly RawRecord[]) => {
      if (!sha) {
        accHash ??= createHash('sha256');
        for (const rec of records) accHash.update(rec.source).update('\n').update(rec.text).update('\n');
      }
      const g = acc ??= gathering(this.insertRows, format, spare.length > 1 ? spare.shift() : undefined);
      if (g.native) {
        const { udrs, charges } = g.native;
        for (const u of out.udrs) udrs.put(u);
        for (const ch of out.charges) charges.put(ch, feed);
      } else {
        for (const u of out.udrs) putUdr(g.udrs, u);
        for (const ch of out.charges) putCharge(g.charges, ch, feed);
      }
      for (const x of out.rejects) putReject(g.rejects, x, 'mediation');
      for (const x of out.ratingRejects) putReject(g.rejects, x, 'rating');
      // the service-state timeline and pool balances feed invoices (prorated recurring charges) and billing events
      for (const x of out.rating?.stateLog ?? []) g.stateChanges.push(stateRowToStore(x, catalogVersion));
      for (const x of out.rejects) g.mediationRejects.push(x);
      for (const x of out.ratingRejects) g.ratingRejects.push(x);
    };
    // pool balances per source batch (as if it were one step): each changed key once, at its last value, as of the
    // batch's newest UDR
    const pools = new Map<string, unknown>();
    let asOf = 0;
    const track = (out: StepOutput) => {
      for (const ch of out.rating?.stateChanges ?? []) pools.set(ch.key, ch.value);
      for (const u of out.udrs) if (u.startTime > asOf) asOf = u.startTime;
    };
    const addPools = () => {
      if (pools.size) for (const x of poolBalances(p, pools, asOf)) acc!.pools.push(x);
      pools.clear();
      asOf = 0;
    };
    const step = this.stepRecords;
    const full = () => !!acc && udrRows(acc) + acc.rejects.rows >= this.insertRows;
    const source = new FileSource([input], p.mediation.parser, feed, p.config['batch-size'], (n) => {
      bytes += n;
      onBytes?.(n);
    }, stdin);
    let check: FileCheck | undefined;
    for await (const b of source.batches()) {
      const recs = b.records;
      if (recs.length <= step) {
        const out = await d.step(b);
        add(out, recs);
        track(out);
      } else {
        // the source batch in parts (the first carries its framer counts and unit end)
        for (let i = 0; i < recs.length; i += step) {
          const part = recs.slice(i, i + step);
          const out = await d.step(i === 0 ? { ...b, records: part } : { records: part, ignored: NO_IGNORED as Map<string, number> });
          add(out, part);
          track(out);
        }
      }
      addPools();
      if (b.unitEnd?.check) check = b.unitEnd.check;
      if (full()) await send();
    }
    await send();
    if (last) {
      const f = await d.flush();
      if (f.udrs.length || f.rejects.length) {
        add(f, []);
        track(f);
        addPools();
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

/** UDR rows gathered */
function udrRows(g: Gathering): number {
  return g.native ? g.native.udrs.rows : g.udrs.rows;
}

/** the pool balances among a batch's state changes (key → value), as of `asOf` */
function poolBalances(p: LoadedPipeline, changes: ReadonlyMap<string, unknown>, asOf: number): PoolBalance[] {
  if (!p.catalog || !changes.size) return [];
  const out: PoolBalance[] = [];
  for (const [key, value] of changes) {
    const b = poolBalanceOf(p.catalog, key, value, asOf);
    if (b) out.push(b);
  }
  return out;
}
