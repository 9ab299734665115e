/**
 * The batch driver: ONE mediate-and-rate step for every mode (run, dry-run, test, explain, replay-dlq, serve's mediate
 * role). For each batch of a Source it prepares the parser (Avro: schema ids from the registry), mediates, rates when
 * the pipeline has a catalog and rating is wanted, and counts into the one counters type (core/counters.ts); at end of
 * input — or the end of a bounded window — `flush()` turns pending pairing halves into UNPAIRED rejects, so nothing
 * vanishes. `loadRuntimePipeline` is the one pipeline loader: the schema registry (SCHEMA_REGISTRY_URL, or the
 * resolver given) is wired in every mode.
 */
import { countCharges, countIgnored, countRejects, countUdrs, type Counters, emptyCounters } from '../core/counters.ts';
import type { Charge, RawRecord, Reject, Udr } from '../core/types.ts';
import { type MediationBatchResult, Mediator } from '../mediation/mediator.ts';
import type { FileCheck, SchemaResolver } from '../mediation/parsers/types.ts';
import { type LoadedPipeline, type LoadOptions, loadPipeline } from '../pipeline/load.ts';
import type { CompiledCatalog } from '../rating/catalog.ts';
import { type RateBatchResult, Rater } from '../rating/rater.ts';
import type { CompiledMediation } from '../mediation/compiler.ts';
import type { Source, SourceBatch } from './sources/source.ts';

/**
 * The schema registry named by SCHEMA_REGISTRY_URL, if set (a resolver for Avro schema ids). Its client is loaded
 * only then (importing it costs seconds of start-up that a CSV dry-run should not pay).
 */
export async function registryFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<SchemaResolver | undefined> {
  const url = env.SCHEMA_REGISTRY_URL;
  if (!url) return undefined;
  const { SchemaRegistry } = await import('./kafka/schema-registry.ts');
  return new SchemaRegistry({ url });
}

/**
 * THE pipeline loader of the runtime: the pipeline, its rules compiled with a schema resolver (the one given, else
 * the registry of SCHEMA_REGISTRY_URL), its catalog.
 */
export async function loadRuntimePipeline(file: string, opts: LoadOptions = {}): Promise<LoadedPipeline> {
  return loadPipeline(file, { ...opts, schemaResolver: opts.schemaResolver ?? (await registryFromEnv()) });
}

/** What a pipeline needs to be driven: its feed, its rules and (to rate) its catalog. */
export interface DrivenPipeline {
  feed: string;
  mediation: CompiledMediation;
  catalog?: CompiledCatalog;
}

export interface DriverOptions {
  /** rate the UDRs (default: when the pipeline has a catalog) */
  rate?: boolean;
  /** the rating state to continue from (JSON, Rater.snapshot()) */
  ratingState?: string;
  /** the Mediator to drive (serve keeps one per partition); default a new one over the pipeline's rules */
  mediator?: Mediator;
  /** records mediated at once at most (a longer batch is cut) */
  batchSize?: number;
}

/** One step's output: mediation's and rating's, for the sinks. */
export interface StepOutput {
  mediation: MediationBatchResult;
  udrs: Udr[];
  rejects: Reject[];
  rating?: RateBatchResult;
  charges: Charge[];
  ratingRejects: Reject[];
}

const NO_CHARGES: Charge[] = [];
const NO_REJECTS: Reject[] = [];

export class BatchDriver {
  readonly mediator: Mediator;
  readonly rater?: Rater;
  /** counters since the driver was made (or since takeCounters) */
  counters: Counters = emptyCounters();
  /** file-level checks of the units read (fixed-width trailers) */
  readonly checks: { unit: string; check: FileCheck }[] = [];
  private readonly batchSize: number;

  constructor(readonly pipeline: DrivenPipeline, opts: DriverOptions = {}) {
    this.mediator = opts.mediator ?? new Mediator(pipeline.mediation);
    const rate = opts.rate ?? true;
    this.rater = rate && pipeline.catalog ? new Rater(pipeline.catalog, opts.ratingState) : undefined;
    this.batchSize = opts.batchSize ?? 8192;
  }

  /** the counters so far; counting starts again from zero (per-file counters of the embedded mode) */
  takeCounters(): Counters {
    const c = this.counters;
    this.counters = emptyCounters();
    return c;
  }

  /** one batch of a source: framer-ignored lines counted, records prepared, mediated, rated */
  async step(batch: Pick<SourceBatch, 'records' | 'ignored'> & Partial<SourceBatch>): Promise<StepOutput> {
    countIgnored(this.counters, batch.ignored, true);
    if (batch.unitEnd?.check && batch.unit !== undefined) this.checks.push({ unit: batch.unit, check: batch.unitEnd.check });
    const recs = batch.records;
    if (recs.length <= this.batchSize) return this.mediate(recs);
    let out: StepOutput | undefined;
    for (let i = 0; i < recs.length; i += this.batchSize) {
      const o = await this.mediate(recs.slice(i, i + this.batchSize));
      out = out ? merge(out, o) : o;
    }
    return out!;
  }

  /** raw records that need no framing (DLQ replays, rule-test messages) */
  records(records: RawRecord[]): Promise<StepOutput> {
    return this.step({ records, ignored: new Map() });
  }

  /** end of input (or of a bounded window): pending pairing halves become UNPAIRED rejects, rated like any output */
  flush(): StepOutput {
    return this.account(this.mediator.flush());
  }

  /** drive a whole source: every batch, then the end-of-input flush; `each` sees every step's output (the sinks) */
  async drive(source: Source, each?: (out: StepOutput) => Promise<void> | void): Promise<Counters> {
    for await (const b of source.batches()) {
      const out = await this.step(b);
      await each?.(out);
      await source.ack(b);
    }
    await each?.(this.flush());
    return this.counters;
  }

  private async mediate(records: RawRecord[]): Promise<StepOutput> {
    this.counters.records += records.length;
    if (records.length) await this.pipeline.mediation.parser.prepare?.(records);
    if (this.mediator.rules !== this.pipeline.mediation) this.mediator.swapRules(this.pipeline.mediation); // hot reload, between batches
    return this.account(this.mediator.mediate(records));
  }

  private account(m: MediationBatchResult): StepOutput {
    const c = this.counters;
    countIgnored(c, m.ignored, false);
    countUdrs(c, m.udrs);
    countRejects(c, m.rejects, 'mediation');
    if (!this.rater) return { mediation: m, udrs: m.udrs, rejects: m.rejects, charges: NO_CHARGES, ratingRejects: NO_REJECTS };
    const r = this.rater.rate(m.udrs);
    countCharges(c, r.charges);
    countRejects(c, r.rejects, 'rating');
    return { mediation: m, udrs: m.udrs, rejects: m.rejects, rating: r, charges: r.charges, ratingRejects: r.rejects };
  }
}

function merge(a: StepOutput, b: StepOutput): StepOutput {
  const rating = a.rating && b.rating ? {
    charges: a.rating.charges.concat(b.rating.charges), rejects: a.rating.rejects.concat(b.rating.rejects),
    stateChanges: a.rating.stateChanges.concat(b.rating.stateChanges), events: a.rating.events.concat(b.rating.events),
    stateLog: a.rating.stateLog.concat(b.rating.stateLog),
  } : undefined;
  const ignored = new Map(a.mediation.ignored);
  for (const [k, n] of b.mediation.ignored) ignored.set(k, (ignored.get(k) ?? 0) + n);
  // one array each, shared by the mediation result and the step output (as step() shares them)
  const udrs = a.udrs.concat(b.udrs);
  const rejects = a.rejects.concat(b.rejects);
  return {
    mediation: {
      udrs, rejects, ignored, pending: b.mediation.pending,
      pairingChanges: a.mediation.pairingChanges.concat(b.mediation.pairingChanges), pairingClock: b.mediation.pairingClock ?? a.mediation.pairingClock,
      ...(a.mediation.dedupAdded || b.mediation.dedupAdded ? { dedupAdded: (a.mediation.dedupAdded ?? []).concat(b.mediation.dedupAdded ?? []) } : {}),
    },
    udrs, rejects, rating, charges: rating?.charges ?? NO_CHARGES, ratingRejects: rating?.rejects ?? NO_REJECTS,
  };
}

export type { SchemaResolver };
