/**
 * Billing periods: calendar months in the billing time zone, half-open [start, end). Everything on an invoice that
 * is a date derives from the period (issue date = the first day after it), never from the wall clock, so the same
 * ledger always gives the same invoice.
 */
import { DateTime } from 'luxon';

export interface BillingPeriod {
  /** YYYY-MM */
  id: string;
  timezone: string;
  /** epoch ms, inclusive */
  start: number;
  /** epoch ms, exclusive */
  end: number;
  /** YYYY-MM-DD of the first and last day (local) */
  firstDay: string;
  lastDay: string;
  /** number of days */
  days: number;
}

export function parsePeriod(id: string, timezone: string): BillingPeriod {
  const m = /^(\d{4})-(\d{2})$/.exec(id);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new Error(`period must be YYYY-MM with a month 01–12 (got ${JSON.stringify(id)})`);
  const start = DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: 1 }, { zone: timezone });
  if (!start.isValid) throw new Error(`invalid time zone ${JSON.stringify(timezone)}`);
  const end = start.plus({ months: 1 });
  return {
    id,
    timezone,
    start: start.toMillis(),
    end: end.toMillis(),
    firstDay: start.toFormat('yyyy-MM-dd'),
    lastDay: end.minus({ days: 1 }).toFormat('yyyy-MM-dd'),
    days: start.daysInMonth!,
  };
}

export function nextPeriod(p: BillingPeriod): BillingPeriod {
  return parsePeriod(DateTime.fromMillis(p.end, { zone: p.timezone }).toFormat('yyyy-MM'), p.timezone);
}

/** The issue date: the first day after the period (local date). */
export function issueDate(p: BillingPeriod): string {
  return DateTime.fromMillis(p.end, { zone: p.timezone }).toFormat('yyyy-MM-dd');
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toFormat('yyyy-MM-dd');
}
