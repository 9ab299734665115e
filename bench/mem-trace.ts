/**
 * Memory trace of a bench run (bench/embedded.ts `--mem-trace`): a timer samples this process's RSS and high-water
 * mark (/proc/self/status VmRSS, VmHWM), V8's heap used and total, external and arrayBuffers, and — one query at a time, at
 * most every `chEveryMs` — the in-process ClickHouse engine's own memory accounting (system.metrics MemoryTracking,
 * MergesMutationsMemoryTracking) and its running merges (system.merges), with where the run was: file, bytes read
 * into it, phase. The embedded runner and chDB run in this process, so this process's RSS is the run's.
 *
 * The timer runs on the main thread: while the main thread computes a step it fires late, so the high-water mark is
 * read at every sample too — the first sample that sees VmHWM at its final value is the peak's moment, within one
 * sampling interval (or one step) of it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { RunHooks } from '../engine/runtime/embedded-runner.ts';
import { queryRows, type StoreClient } from '../engine/store/client.ts';

interface ChMemory {
  /** MemoryTracking: what the engine accounts for all its queries, merges and caches (MiB) */
  trackedMiB: number;
  /** MergesMutationsMemoryTracking (MiB) */
  mergesMiB: number;
  /** running merges: table, progress, memory (MiB), result size (rows) */
  merges: string[];
  /** ms after the run's start the numbers were read */
  atMs: number;
}

export interface MemSample {
  ms: number;
  rssMiB: number;
  hwmMiB: number;
  heapUsedMiB: number;
  /** V8's heap as reserved (used + free space in its pages) */
  heapTotalMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  file: number;
  /** bytes read of the current file, as a fraction of it */
  fileFraction: number;
  /** records completed in the files before this one */
  recordsBefore: number;
  phase: string;
  ch?: ChMemory;
}

const MiB = 2 ** 20;
const mib = (n: number) => Math.round(n / MiB);

function procStatus(): { rss: number; hwm: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1024), hwm: Math.round(kb('VmHWM') / 1024) };
}

export class MemTrace {
  private timer?: NodeJS.Timeout;
  private t0 = 0;
  private fileNo = -1;
  private fileBytes = 0;
  private bytesIn = 0;
  private recordsBefore = 0;
  private phaseName = 'start';
  private ch?: ChMemory;
  private chBusy = false;
  private chLast = -Infinity;
  private readonly samples: MemSample[] = [];

  constructor(readonly store: StoreClient, readonly everyMs = 150, readonly logFile = '', readonly chEveryMs = 500) {}

  /** runner hooks that keep the position (bytes into the file, phase) */
  hooks(): RunHooks {
    return {
      onFileStart: () => { this.phaseName = 'read'; },
      onBytes: (n) => {
        this.bytesIn += n;
        if (this.fileBytes && this.bytesIn >= this.fileBytes) this.phaseName = 'read-done';
      },
      onFileEnd: () => { this.phaseName = 'file-end'; },
    };
  }

  start(): void {
    this.t0 = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  /** file `i` (of `bytes`) starts: its hash and checkpoint look-up come first */
  file(i: number, bytes: number, recordsBefore: number): void {
    this.fileNo = i;
    this.fileBytes = bytes;
    this.bytesIn = 0;
    this.recordsBefore = recordsBefore;
    this.phaseName = 'sha+lookup';
    this.sample();
  }

  phase(name: string): void {
    this.phaseName = name;
    this.sample();
  }

  private sample(): void {
    const ms = Math.round(performance.now() - this.t0);
    const { rss, hwm } = procStatus();
    const m = process.memoryUsage();
    const s: MemSample = {
      ms, rssMiB: rss, hwmMiB: hwm, heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), externalMiB: mib(m.external), arrayBuffersMiB: mib(m.arrayBuffers),
      file: this.fileNo, fileFraction: this.fileBytes ? +(this.bytesIn / this.fileBytes).toFixed(3) : 0, recordsBefore: this.recordsBefore,
      phase: this.phaseName, ch: this.ch,
    };
    this.samples.push(s);
    if (!this.chBusy && ms - this.chLast >= this.chEveryMs) {
      this.chBusy = true;
      this.chLast = ms;
      void this.readCh().finally(() => { this.chBusy = false; });
    }
  }

  private async readCh(): Promise<void> {
    try {
      const [metrics, merges] = await Promise.all([
        queryRows<{ metric: string; v: string }>(this.store,
          `SELECT metric, toString(value) AS v FROM system.metrics WHERE metric IN ('MemoryTracking', 'MergesMutationsMemoryTracking')`),
        queryRows<{ t: string; p: number; m: string; r: string }>(this.store,
          `SELECT table AS t, round(progress, 2) AS p, toString(memory_usage) AS m, toString(rows_read) AS r FROM system.merges`),
      ]);
      const v = (k: string) => mib(Number(metrics.find((r) => r.metric === k)?.v ?? 0));
      this.ch = {
        trackedMiB: v('MemoryTracking'), mergesMiB: v('MergesMutationsMemoryTracking'),
        merges: merges.map((r) => `${r.t} ${r.p} ${mib(Number(r.m))}MiB ${r.r}rows`), atMs: Math.round(performance.now() - this.t0),
      };
    } catch {
      /* the store is closing */
    }
  }

  /** stop sampling; the peak's moment and the largest RSS sample */
  async stop(): Promise<{ samples: number; everyMs: number; peakMoment?: MemSample; maxRssSample?: MemSample; maxChTrackedMiB: number }> {
    clearInterval(this.timer);
    this.sample();
    while (this.chBusy) await new Promise((r) => setTimeout(r, 10));
    const hwm = this.samples[this.samples.length - 1]!.hwmMiB;
    const peakMoment = this.samples.find((s) => s.hwmMiB >= hwm);
    let maxRssSample: MemSample | undefined;
    let maxCh = 0;
    for (const s of this.samples) {
      if (!maxRssSample || s.rssMiB > maxRssSample.rssMiB) maxRssSample = s;
      if (s.ch && s.ch.trackedMiB > maxCh) maxCh = s.ch.trackedMiB;
    }
    if (this.logFile) writeFileSync(this.logFile, this.samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const i = peakMoment ? this.samples.indexOf(peakMoment) : -1;
    return { samples: this.samples.length, everyMs: this.everyMs, peakMoment, maxRssSample, maxChTrackedMiB: maxCh, ...(i > 0 ? { beforePeak: this.samples[i - 1] } : {}) };
  }
}
