/**
 * Test adapter: the mediation side of the batch driver (engine/runtime/driver.ts) with the shape the unit tests use
 * (text / file / records in, totals out). Everything goes through the real framer loop (frameChunks), the real
 * FileSource and the real BatchDriver — this only collects.
 */
import { ignoredTotal, mediationRejects } from '../../engine/core/counters.ts';
import type { RawRecord, Reject, Udr } from '../../engine/core/types.ts';
import type { CompiledMediation } from '../../engine/mediation/compiler.ts';
import type { FramerOutput } from '../../engine/mediation/parsers/types.ts';
import { BatchDriver, type StepOutput } from '../../engine/runtime/driver.ts';
import { FileSource } from '../../engine/runtime/sources/file.ts';
import { frameChunks } from '../../engine/runtime/sources/source.ts';

export interface RunTotals {
  in: number;
  udrs: number;
  rejects: number;
  ignored: number;
  ignoredBy: Record<string, number>;
  rejectsBy: Record<string, number>;
  quantity: Record<string, number>;
  checks: BatchDriver['checks'];
}

export class FileMediation {
  readonly driver: BatchDriver;

  constructor(readonly rules: CompiledMediation, readonly feed: string, private readonly sink: { udr?(u: Udr): void; reject?(r: Reject): void } = {}, readonly batchSize = 8192) {
    this.driver = new BatchDriver({ feed, mediation: rules }, { rate: false, batchSize });
  }

  private take(o: StepOutput): void {
    for (const u of o.udrs) this.sink.udr?.(u);
    for (const r of o.rejects) this.sink.reject?.(r);
  }

  async text(name: string, text: string): Promise<void> {
    for await (const b of frameChunks(this.rules.parser, name, this.feed, [text], this.batchSize)) this.take(await this.driver.step(b));
  }

  async file(path: string, name = path): Promise<void> {
    for await (const b of new FileSource([{ path, name, bytes: 0 }], this.rules.parser, this.feed, this.batchSize).batches()) this.take(await this.driver.step(b));
  }

  async records(batch: RawRecord[]): Promise<void> {
    this.take(await this.driver.records(batch));
  }

  /** framer output produced by the test itself (its own chunking) */
  async framed(unit: string, out: FramerOutput & { check?: { ok: boolean; message: string } }): Promise<void> {
    this.take(await this.driver.step({ records: out.records, ignored: out.ignored, unit, unitEnd: out.check ? { check: out.check } : undefined }));
  }

  /** end of input: pending pairing halves become UNPAIRED rejects */
  finish(): RunTotals {
    this.take(this.driver.flush());
    return this.totals();
  }

  totals(): RunTotals {
    const c = this.driver.counters;
    const rj = mediationRejects(c);
    return {
      in: c.records, udrs: c.udrs, rejects: Object.values(rj).reduce((a, b) => a + b, 0), ignored: ignoredTotal(c), ignoredBy: c.ignored,
      rejectsBy: rj, quantity: c.quantity, checks: this.driver.checks,
    };
  }
}
