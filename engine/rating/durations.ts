/** Calendar helpers for rating: durations ("30d", "24h"), ISO dates in the catalog zone, billing periods. */
import { DateTime } from 'luxon';

const DUR: Record<string, number> = { ms: 1, s: 1000, min: 60_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*(ms|s|min|m|h|d|w)\s*$/.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (e.g. "90s", "24h", "30d")`);
  return Number(m[1]) * DUR[m[2]!]!;
}

export function parseDate(text: string, zone: string): number {
  const dt = DateTime.fromISO(text.trim(), { zone, setZone: true });
  if (!dt.isValid) throw new Error(`not an ISO date/time: ${JSON.stringify(text)} (${dt.invalidExplanation ?? dt.invalidReason})`);
  return dt.toMillis();
}

export const FREQUENCIES = ['daily', 'weekly', 'monthly', 'quarterly', 'yearly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export interface Period {
  key: string;
  start: number;
  end: number;
}

/** The billing period of `frequency` containing t, in `zone` (weeks start on Monday). */
export function periodOf(frequency: Frequency, t: number, zone: string): Period {
  const dt = DateTime.fromMillis(t, { zone });
  let start: DateTime;
  let end: DateTime;
  let key: string;
  switch (frequency) {
    case 'daily': start = dt.startOf('day'); end = start.plus({ days: 1 }); key = start.toFormat('yyyy-MM-dd'); break;
    case 'weekly': start = dt.startOf('week'); end = start.plus({ weeks: 1 }); key = start.toFormat("kkkk-'W'WW"); break;
    case 'monthly': start = dt.startOf('month'); end = start.plus({ months: 1 }); key = start.toFormat('yyyy-MM'); break;
    case 'quarterly': start = dt.startOf('quarter'); end = start.plus({ quarters: 1 }); key = start.toFormat("yyyy-'Q'q"); break;
    case 'yearly': start = dt.startOf('year'); end = start.plus({ years: 1 }); key = start.toFormat('yyyy'); break;
  }
  return { key, start: start.toMillis(), end: end.toMillis() };
}

/** Parse a period reference: "2025-03" (month), "2025-W10", "2025-Q1", "2025", "2025-03-05" (day). */
export function parsePeriod(text: string, zone: string): { frequency: Frequency; period: Period } {
  const t = text.trim();
  let frequency: Frequency;
  let dt: DateTime;
  if (/^\d{4}-\d{2}$/.test(t)) { frequency = 'monthly'; dt = DateTime.fromFormat(t, 'yyyy-MM', { zone }); }
  else if (/^\d{4}-W\d{2}$/.test(t)) { frequency = 'weekly'; dt = DateTime.fromISO(t, { zone }); }
  else if (/^\d{4}-Q[1-4]$/.test(t)) { frequency = 'quarterly'; dt = DateTime.fromObject({ year: Number(t.slice(0, 4)), month: (Number(t[6]) - 1) * 3 + 1 }, { zone }); }
  else if (/^\d{4}$/.test(t)) { frequency = 'yearly'; dt = DateTime.fromObject({ year: Number(t) }, { zone }); }
  else if (/^\d{4}-\d{2}-\d{2}$/.test(t)) { frequency = 'daily'; dt = DateTime.fromISO(t, { zone }); }
  else throw new Error(`not a period: ${JSON.stringify(text)} (2025-03, 2025-W10, 2025-Q1, 2025, 2025-03-05)`);
  if (!dt.isValid) throw new Error(`not a period: ${JSON.stringify(text)}`);
  return { frequency, period: periodOf(frequency, dt.toMillis(), zone) };
}

/** Whole months between two instants in `zone` (floor), used by contract terms. */
export function monthsBetween(a: number, b: number, zone: string): number {
  const x = DateTime.fromMillis(a, { zone }), y = DateTime.fromMillis(b, { zone });
  return Math.floor(y.diff(x, 'months').months + 1e-9);
}

export function addMonths(t: number, n: number, zone: string): number {
  return DateTime.fromMillis(t, { zone }).plus({ months: n }).toMillis();
}

export function isoOf(t: number, zone: string): string {
  return DateTime.fromMillis(t, { zone }).toISO({ suppressMilliseconds: true }) ?? String(t);
}
