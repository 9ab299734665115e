/**
 * Rating state: an explicit, JSON-serialisable object (no bigint, no Map) so the streaming runtime can write it to a
 * compacted changelog (one record per key) and the embedded runner can persist it. Every mutation is marked in the
 * Rater's change tracker (state-tracker.ts) so a batch reports exactly the keys it changed (`stateChanges`).
 */
import { copyFirstUse, copyPool, copyServiceEntry } from './state-values.ts';

export interface ServiceLogEntry {
  state: string;
  at: number;
  /** event (or UDR) that caused the transition */
  cause: string;
}

export interface ServiceStateEntry {
  account: string;
  type: string;
  plan: string;
  state: string;
  since: number;
  log: ServiceLogEntry[];
}

export interface FirstUseCounter {
  total: number;
  /** [eventTime, quantity] of recent counted usage (rolling window only) */
  recent: [number, number][];
}

export interface PoolState {
  size: number;
  used: number;
  start: number;
  end: number;
  /** thresholds (percent) already reported */
  fired: number[];
}

export interface ContractCounters {
  /** scaled money as decimal text of the bigint */
  spend: string;
  usage: Record<string, string>;
  volume: Record<string, number>;
}

/** a session of partial records (sessions.ts): totals of its parts so far */
export interface SessionState {
  /** start of the first part (the call is priced from here) */
  start: number;
  quantity: number;
  billed: number;
  /** rounded amount charged so far: scaled money as decimal text of the bigint */
  amount: string;
  /** last sequence number rated */
  seq: number;
  parts: number;
}

/**
 * A money balance (catalog `balances`, key `account:<id>` or `group:<id>`): what was spent of each of its buckets
 * (initial / top-ups, by id) and the debt beyond them (below zero: within the credit limit, or beyond with
 * allow-negative). Amounts are scaled money as decimal text of the bigint. `exhausted`: the balance-exhausted event
 * was emitted (cleared when the balance is above its floor again).
 */
export interface BalanceState {
  spent: Record<string, string>;
  debt: string;
  exhausted?: boolean;
}

export interface RatingState {
  v: 1;
  services: Record<string, ServiceStateEntry>;
  firstUse: Record<string, FirstUseCounter>;
  pools: Record<string, PoolState>;
  /** cumulative quantities for period-basis tiers: `${plan}/${rate}|${subject}|${period}` */
  tiers: Record<string, number>;
  /** `${contract}|${month}` */
  contracts: Record<string, ContractCounters>;
  /** `${account}|${sessionId}`: created on the first partial record (absent otherwise, so older snapshots are unchanged) */
  sessions?: Record<string, SessionState>;
  /** money balances: created on the first debit (absent otherwise, so older snapshots are unchanged) */
  balances?: Record<string, BalanceState>;
}

export function emptyState(): RatingState {
  return { v: 1, services: Object.create(null), firstUse: Object.create(null), pools: Object.create(null), tiers: Object.create(null), contracts: Object.create(null) };
}

export function restoreState(json: string | object): RatingState {
  const o = (typeof json === 'string' ? JSON.parse(json) : JSON.parse(JSON.stringify(json))) as RatingState;
  if (o.v !== 1) throw new Error(`unsupported rating state version ${String(o.v)}`);
  const base = emptyState();
  for (const k of ['services', 'firstUse', 'pools', 'tiers', 'contracts'] as const) Object.assign(base[k], o[k] ?? {});
  if (o.sessions) base.sessions = Object.assign(Object.create(null), o.sessions);
  if (o.balances) base.balances = Object.assign(Object.create(null), o.balances);
  return base;
}

export type StateArea = 'services' | 'firstUse' | 'pools' | 'tiers' | 'contracts' | 'sessions' | 'balances';

/** One changelog record: `area/key` → the value after the batch (null = deleted). */
export interface StateChange {
  key: string;
  value: unknown;
}

export function stateKey(area: StateArea, key: string): string {
  return `${area}/${key}`;
}

/**
 * A deep copy of one state value (the batch's changelog must not change with later batches). Written per area: the
 * JSON round trip it replaces was the largest cost of stateful rating. Unknown shapes fall back to the round trip. The
 * hot areas' copies are class instances (state-values.ts: not pretenured like a literal's allocation site).
 */
export function cloneValue(area: StateArea, v: unknown): unknown {
  switch (area) {
    case 'tiers': return v;
    case 'pools': return copyPool(v as PoolState);
    case 'firstUse': return copyFirstUse(v as FirstUseCounter);
    case 'services': return copyServiceEntry(v as ServiceStateEntry);
    case 'contracts': {
      const c = v as ContractCounters;
      return { spend: c.spend, usage: { ...c.usage }, volume: { ...c.volume } };
    }
    case 'sessions': return { ...(v as SessionState) };
    case 'balances': {
      const b = v as BalanceState;
      return b.exhausted ? { spent: { ...b.spent }, debt: b.debt, exhausted: true } : { spent: { ...b.spent }, debt: b.debt };
    }
    default: return JSON.parse(JSON.stringify(v));
  }
}

/** Apply changelog records (e.g. replayed from the compacted topic on partition assignment). */
export function applyChanges(s: RatingState, changes: readonly StateChange[]): void {
  for (const c of changes) {
    const slash = c.key.indexOf('/');
    const area = c.key.slice(0, slash) as StateArea;
    const key = c.key.slice(slash + 1);
    const m = (s[area] ??= Object.create(null)) as Record<string, unknown>;
    if (c.value === null) delete m[key];
    else m[key] = JSON.parse(JSON.stringify(c.value));
  }
}
