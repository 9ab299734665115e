/**
 * The values of the rating state the Rater writes (and their changelog copies), made by constructors instead of object
 * literals. Why: V8 tracks an object literal's allocation site and, when most of its objects survive a scavenge, it
 * pretenures the site — every later object of it is born in the old generation. The changelog copies of a batch, its
 * records, and the state entries all outlive the scavenges of their batch, so their literal sites got pretenured and
 * each batch left its (soon dead) changelog copies to full mark-compacts (stateful bench: ≈ 110 MB of old-space garbage
 * per million records from the changelog alone). Instances of a class are not pretenured by allocation site.
 *
 * Each class has exactly the fields of its interface in state.ts, own and enumerable, in the order the literal had: the
 * JSON text (changelog, snapshot) and spreads are unchanged. Values read back from JSON (restoreState, applyChanges)
 * stay plain objects: code reads them through the interfaces only.
 */
import type { FirstUseCounter, PoolState, ServiceLogEntry, ServiceStateEntry, StateChange } from './state.ts';

/** one row of a service's state log in the state (`services/<id>.log`) */
export class LogEntry implements ServiceLogEntry {
  constructor(public state: string, public at: number, public cause: string) {}
}

/** a service's entry in the state (`services/<id>`) */
export class ServiceEntry implements ServiceStateEntry {
  constructor(public account: string, public type: string, public plan: string, public state: string, public since: number, public log: ServiceLogEntry[]) {}
}

/** a bill-on-first-use counter (`firstUse/<id>`) */
export class FirstUseValue implements FirstUseCounter {
  constructor(public total: number, public recent: [number, number][]) {}
}

/** a share-plan pool of one owner and period (`pools/<key>`) */
export class PoolValue implements PoolState {
  constructor(public size: number, public used: number, public start: number, public end: number, public fired: number[]) {}
}

/** one changelog record: `area/key` → the value after the batch (null = deleted) */
export class StateChangeRecord implements StateChange {
  constructor(public key: string, public value: unknown) {}
}

/** deep copies of the hot areas' values (the batch's changelog must not change with later batches) */
export function copyPool(p: PoolState): PoolValue {
  return new PoolValue(p.size, p.used, p.start, p.end, p.fired.slice());
}

export function copyFirstUse(f: FirstUseCounter): FirstUseValue {
  const r = f.recent;
  const recent: [number, number][] = new Array(r.length);
  for (let i = 0; i < r.length; i++) recent[i] = [r[i]![0], r[i]![1]];
  return new FirstUseValue(f.total, recent);
}

export function copyServiceEntry(e: ServiceStateEntry): ServiceEntry {
  const l = e.log;
  const log: LogEntry[] = new Array(l.length);
  for (let i = 0; i < l.length; i++) log[i] = new LogEntry(l[i]!.state, l[i]!.at, l[i]!.cause);
  return new ServiceEntry(e.account, e.type, e.plan, e.state, e.since, log);
}
