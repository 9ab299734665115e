/** The timed loop of the rating benches: batches generated untimed, `rate` timed (CPU user+system and wall), totals. */
import type { Udr } from '../engine/core/types.ts';
import type { RateBatchResult, Rater } from '../engine/rating/rater.ts';

export interface TimedRate {
  charges: number;
  rejects: number;
  stateChanges: number;
  events: number;
  /** CPU µs (user + system) spent in `rate` */
  cpuUs: number;
  /** wall seconds spent in `rate` */
  wall: number;
}

export function rateTimed(rater: Rater, n: number, batch: number, makeBatch: (off: number, n: number) => Udr[], each?: (r: RateBatchResult) => void): TimedRate {
  const t: TimedRate = { charges: 0, rejects: 0, stateChanges: 0, events: 0, cpuUs: 0, wall: 0 };
  let wallNs = 0n;
  for (let off = 0; off < n; off += batch) {
    const b = makeBatch(off, Math.min(batch, n - off));
    const c0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    const r = rater.rate(b);
    wallNs += process.hrtime.bigint() - w0;
    const c = process.cpuUsage(c0);
    t.cpuUs += c.user + c.system;
    t.charges += r.charges.length;
    t.rejects += r.rejects.length;
    t.stateChanges += r.stateChanges.length;
    t.events += r.events.length;
    each?.(r);
  }
  t.wall = Number(wallNs) / 1e9;
  return t;
}
