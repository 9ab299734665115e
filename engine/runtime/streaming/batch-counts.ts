/**
 * The record counters of one transactional batch (records in/out, ignored, rejected), held until its transaction
 * commits. A batch that fails is rebuilt and delivered again: counting it on the way in would count its records twice
 * (the metrics are the operator's proof that nothing was lost or counted twice), so the increments are applied only
 * in the commit hook and dropped with an aborted transaction.
 */
import type { Counter, LabelValues } from 'prom-client';
import type { StreamMetrics } from '../../telemetry/metrics.ts';

function sameLabels(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/** one counter whose increments wait for the batch's commit */
export class DeferredCounter<T extends string> {
  private readonly labels: LabelValues<T>[] = [];
  private readonly values: number[] = [];
  constructor(private readonly target: Counter<T>) {}
  inc(labels: LabelValues<T>, n = 1): void {
    if (n === 0) return;
    // consecutive increments of the same series (a record at a time, mostly one feed) become one
    const last = this.labels.length - 1;
    if (last >= 0 && sameLabels(this.labels[last]!, labels)) {
      this.values[last]! += n;
      return;
    }
    this.labels.push(labels);
    this.values.push(n);
  }
  apply(): void {
    for (let i = 0; i < this.values.length; i++) this.target.inc(this.labels[i]!, this.values[i]!);
    this.labels.length = 0;
    this.values.length = 0;
  }
}

export class BatchCounts {
  readonly recordsIn: DeferredCounter<'role' | 'feed'>;
  readonly recordsOut: DeferredCounter<'role' | 'topic'>;
  readonly ignored: DeferredCounter<'role' | 'feed' | 'reason'>;
  readonly rejected: DeferredCounter<'stage' | 'feed' | 'reason'>;
  constructor(metrics: StreamMetrics) {
    this.recordsIn = new DeferredCounter(metrics.recordsIn);
    this.recordsOut = new DeferredCounter(metrics.recordsOut);
    this.ignored = new DeferredCounter(metrics.ignored);
    this.rejected = new DeferredCounter(metrics.rejected);
  }
  /** the batch committed: its counts become visible */
  apply(): void {
    this.recordsIn.apply();
    this.recordsOut.apply();
    this.ignored.apply();
    this.rejected.apply();
  }
}
