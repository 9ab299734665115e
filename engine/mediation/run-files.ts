/**
 * Mediate files (or text) end to end: framing → Mediator → flush, with file checks (trailers) and the
 * reconciliation counts. Used by `dry-run`, `test`, `replay-dlq` and the bench; the embedded runtime streams
 * through the same framer and Mediator contracts.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RawRecord, Reject, Udr } from '../core/types.ts';
import type { CompiledMediation } from './compiler.ts';
import { Mediator } from './mediator.ts';
import type { FileCheck } from './parsers/types.ts';

export interface RunTotals {
  /** input units: framed records + control lines the framer consumed (header, trailer, comment) */
  in: number;
  udrs: number;
  rejects: number;
  ignored: number;
  ignoredBy: Record<string, number>;
  rejectsBy: Record<string, number>;
  /** quantity sums per unit (e.g. { ms: 1855000 }) */
  quantity: Record<string, number>;
  checks: { file: string; check: FileCheck }[];
}

export interface RunSink {
  udr?(u: Udr): void;
  reject?(r: Reject): void;
}

export class FileMediation {
  readonly mediator: Mediator;
  readonly totals: RunTotals = { in: 0, udrs: 0, rejects: 0, ignored: 0, ignoredBy: {}, rejectsBy: {}, quantity: {}, checks: [] };

  constructor(readonly rules: CompiledMediation, readonly feed: string, private readonly sink: RunSink = {}, readonly batchSize = 8192) {
    this.mediator = new Mediator(rules);
  }

  private countIgnored(m: Map<string, number>): void {
    for (const [k, n] of m) {
      this.totals.ignoredBy[k] = (this.totals.ignoredBy[k] ?? 0) + n;
      this.totals.ignored += n;
    }
  }

  private take(res: { udrs: Udr[]; rejects: Reject[]; ignored: Map<string, number> }): void {
    const t = this.totals;
    for (const u of res.udrs) {
      t.udrs++;
      t.quantity[u.unit] = (t.quantity[u.unit] ?? 0) + u.quantity;
      this.sink.udr?.(u);
    }
    for (const r of res.rejects) {
      t.rejects++;
      t.rejectsBy[r.reason] = (t.rejectsBy[r.reason] ?? 0) + 1;
      this.sink.reject?.(r);
    }
    this.countIgnored(res.ignored);
  }

  /** mediate raw records that need no framing (Kafka-like messages, DLQ replays) */
  async records(batch: RawRecord[]): Promise<void> {
    for (let i = 0; i < batch.length; i += this.batchSize) {
      const part = batch.slice(i, i + this.batchSize);
      this.totals.in += part.length;
      await this.rules.parser.prepare?.(part);
      this.take(this.mediator.mediate(part));
    }
  }

  /** frame and mediate one input given as text (name = the coordinates' file part) */
  async text(name: string, text: string): Promise<void> {
    const framer = this.rules.parser.createFramer(name, this.feed);
    await this.framed(name, framer.push(text));
    await this.framed(name, framer.end());
  }

  /** frame and mediate one file, read in 1 MiB chunks */
  async file(path: string, name = path): Promise<void> {
    const framer = this.rules.parser.createFramer(name, this.feed);
    const fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(1 << 20);
    try {
      while (true) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        await this.framed(name, framer.push(buf.subarray(0, n))); // bytes: the framer decodes (and copies what it keeps)
      }
      await this.framed(name, framer.end());
    } finally {
      closeSync(fd);
    }
  }

  private async framed(name: string, out: { records: RawRecord[]; ignored: Map<string, number>; check?: FileCheck }): Promise<void> {
    let ig = 0;
    for (const n of out.ignored.values()) ig += n;
    this.totals.in += ig;
    this.countIgnored(out.ignored);
    if (out.records.length) await this.records(out.records);
    if (out.check) this.totals.checks.push({ file: name, check: out.check });
  }

  /** end of input: pending pairing halves become UNPAIRED rejects */
  finish(): RunTotals {
    this.take(this.mediator.flush());
    return this.totals;
  }
}

/**
 * A file, or a folder's regular files (sorted, not hidden), with their sizes. A missing path or a folder without
 * files is an error: a run over nothing would report zero records as if the feed had been empty.
 */
export function inputFiles(input: string): { path: string; name: string; bytes: number }[] {
  const show = (p: string) => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  let st;
  try {
    st = statSync(input);
  } catch {
    throw new Error(`input ${input} does not exist`);
  }
  if (!st.isDirectory()) return [{ path: input, name: show(input), bytes: st.size }];
  const files = readdirSync(input).filter((f) => !f.startsWith('.')).sort().map((f) => join(input, f))
    .map((p) => ({ p, st: statSync(p) })).filter((f) => f.st.isFile()).map(({ p, st: s }) => ({ path: p, name: show(p), bytes: s.size }));
  if (!files.length) throw new Error(`input folder ${input} has no files to read (names starting with "." are skipped)`);
  return files;
}

/** one-line reconciliation summary */
export function summarize(t: RunTotals): string {
  const ig = Object.entries(t.ignoredBy).map(([k, v]) => `${k}=${v}`).join(',');
  const rj = Object.entries(t.rejectsBy).map(([k, v]) => `${k}=${v}`).join(',');
  const q = Object.entries(t.quantity).map(([k, v]) => `${k}=${v}`).join(',');
  const ok = t.in === t.udrs + t.ignored + t.rejects;
  return `in=${t.in} udrs=${t.udrs} ignored=${t.ignored}${ig ? ` (${ig})` : ''} rejects=${t.rejects}${rj ? ` (${rj})` : ''} quantity: ${q || '-'} reconciled=${ok ? 'yes' : 'NO'}`;
}
