/**
 * The one counters type of a run, whatever the mode (run, dry-run, test, explain, replay-dlq, the serve roles, the
 * bench): what came in, what became of it. Every input unit ends in exactly one place:
 *
 *   records = udrs + Σ ignored + Σ mediation rejects        (after the end-of-input flush; pairing partners are
 *                                                            counted as ignored `paired`)
 *
 * `records` counts framed records AND the lines the framer consumed (header, trailer, comment), which are counted in
 * `ignored` by reason, so a file's line count reconciles. Rating rejects are kept apart as `rating:<REASON>` in
 * `rejected` (a UDR that was not rated is still a UDR). Amounts are scaled bigints (core/money.ts), never floats.
 */
import type { Charge, Reject, Udr } from './types.ts';

export interface Counters {
  records: number;
  udrs: number;
  /** by reason: framer-consumed lines (header, trailer, comment, empty), filters, duplicate, paired */
  ignored: Record<string, number>;
  /** by reason; rating rejects as `rating:<REASON>` */
  rejected: Record<string, number>;
  charges: number;
  /** UDRs that got charges (one UDR has a charge per charging run: charges ≥ rated) */
  rated: number;
  /** per currency, scaled bigint (non-billable charging runs' costs as `<currency> (not billable)`) */
  amounts: Record<string, bigint>;
  /** UDR quantity sums per unit (e.g. { ms: 1855000 }) */
  quantity: Record<string, number>;
}

export const RATING_PREFIX = 'rating:';

export function emptyCounters(): Counters {
  return { records: 0, udrs: 0, ignored: {}, rejected: {}, charges: 0, rated: 0, amounts: {}, quantity: {} };
}

function add(m: Record<string, number>, k: string, n: number): void {
  m[k] = (m[k] ?? 0) + n;
}

function addMoney(m: Record<string, bigint>, k: string, n: bigint): void {
  m[k] = (m[k] ?? 0n) + n;
}

/** ignored units of a framer or a mediation batch (they are input records too when `asInput`) */
export function countIgnored(c: Counters, ignored: ReadonlyMap<string, number> | Readonly<Record<string, number>>, asInput: boolean): void {
  const entries = ignored instanceof Map ? ignored.entries() : Object.entries(ignored);
  for (const [k, n] of entries) {
    add(c.ignored, k, n);
    if (asInput) c.records += n;
  }
}

export function countUdrs(c: Counters, udrs: readonly Udr[]): void {
  c.udrs += udrs.length;
  // summed in a local while the unit stays the same (one store into the counters per run of a unit, not per UDR:
  // each store of a sum past 2^31 boxed a new number); quantities are safe integers, so any grouping gives the same sum
  let unit: string | undefined;
  let sum = 0;
  for (let i = 0; i < udrs.length; i++) {
    const u = udrs[i]!;
    if (u.unit !== unit) {
      if (unit !== undefined) add(c.quantity, unit, sum);
      unit = u.unit;
      sum = 0;
    }
    sum += u.quantity;
  }
  if (unit !== undefined) add(c.quantity, unit, sum);
}

export function countRejects(c: Counters, rejects: readonly Reject[], stage: 'mediation' | 'rating'): void {
  const p = stage === 'rating' ? RATING_PREFIX : '';
  for (const r of rejects) add(c.rejected, p + r.reason, 1);
}

/** amounts by currency; charges of non-billable charging runs (costs) apart, as `<currency> (not billable)` */
export function countCharges(c: Counters, charges: readonly Charge[]): void {
  c.charges += charges.length;
  let runs: Set<string> | undefined; // UDR ids of charges made by named charging runs (several charges per UDR)
  for (const ch of charges) {
    addMoney(c.amounts, ch.billable === false ? `${ch.currency} (not billable)` : ch.currency, ch.amount);
    if (ch.run === undefined) c.rated++;
    else (runs ??= new Set()).add(ch.udrId);
  }
  if (runs) c.rated += runs.size;
}

/** `into` += `from` */
export function addCounters(into: Counters, from: Counters): void {
  into.records += from.records;
  into.udrs += from.udrs;
  into.charges += from.charges;
  into.rated += from.rated ?? from.charges;
  for (const [k, v] of Object.entries(from.ignored)) add(into.ignored, k, v);
  for (const [k, v] of Object.entries(from.rejected)) add(into.rejected, k, v);
  for (const [k, v] of Object.entries(from.amounts)) addMoney(into.amounts, k, v);
  for (const [k, v] of Object.entries(from.quantity ?? {})) add(into.quantity, k, v);
}

const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

export function ignoredTotal(c: Counters): number {
  return sum(c.ignored);
}

export function mediationRejects(c: Counters): Record<string, number> {
  return Object.fromEntries(Object.entries(c.rejected).filter(([k]) => !k.startsWith(RATING_PREFIX)));
}

export function ratingRejects(c: Counters): Record<string, number> {
  return Object.fromEntries(Object.entries(c.rejected).filter(([k]) => k.startsWith(RATING_PREFIX)).map(([k, v]) => [k.slice(RATING_PREFIX.length), v]));
}

/** records = udrs + ignored + mediation rejects */
export function reconciles(c: Counters): boolean {
  return c.records === c.udrs + ignoredTotal(c) + sum(mediationRejects(c));
}

/** one-line reconciliation summary (dry-run, replay-dlq, the bench) */
export function summarize(c: Counters): string {
  const list = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(',');
  const ig = list(c.ignored);
  const mr = mediationRejects(c);
  const rj = list(mr);
  const q = list(c.quantity);
  return `in=${c.records} udrs=${c.udrs} ignored=${ignoredTotal(c)}${ig ? ` (${ig})` : ''} rejects=${sum(mr)}${rj ? ` (${rj})` : ''} quantity: ${q || '-'} reconciled=${reconciles(c) ? 'yes' : 'NO'}`;
}
