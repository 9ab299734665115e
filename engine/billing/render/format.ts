/** Display helpers shared by the invoice renderers (display only: stored amounts stay exact decimal text). */
import { DateTime } from 'luxon';
import { groupDigits } from '../../core/money.ts';
import type { BillingPeriod } from '../period.ts';

const group = (n: bigint) => groupDigits(n.toString());

/** A billed quantity in words a customer reads: time as min/s, data in MB (decimal), events as a count. */
export function quantityText(q: bigint, unit: string): string {
  const neg = q < 0n;
  const a = neg ? -q : q;
  const sign = neg ? '-' : '';
  switch (unit) {
    case 'ms': {
      const s = (a + 500n) / 1000n;
      const min = s / 60n;
      const sec = s % 60n;
      return `${sign}${group(min)} min ${sec.toString().padStart(2, '0')} s`;
    }
    case 'byte': {
      const hundredths = (a + 5_000n) / 10_000n; // MB with 2 decimals, half-up
      return `${sign}${group(hundredths / 100n)}.${(hundredths % 100n).toString().padStart(2, '0')} MB`;
    }
    case 'event':
      return `${sign}${group(a)}`;
    case '':
      return '';
    default:
      return `${sign}${group(a)} ${unit}`;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A local date as people read it: "2026-11-01" → "1 Nov 2026". */
export function dayText(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return `${d} ${MONTHS[m! - 1]} ${y}`;
}

/** First and last local day, inclusive: "1–31 Oct 2026", "28 Sep – 3 Oct 2026", "28 Dec 2026 – 3 Jan 2027", "5 Oct 2026". */
export function dayRangeText(first: string, last: string): string {
  if (first === last) return dayText(first);
  const [y1, m1, d1] = first.split('-').map(Number);
  const [y2, m2] = last.split('-').map(Number);
  if (y1 !== y2) return `${dayText(first)} – ${dayText(last)}`;
  if (m1 !== m2) return `${d1} ${MONTHS[m1! - 1]} – ${dayText(last)}`;
  return `${d1}–${dayText(last)}`;
}

/** The local days a time span [start, end) touches, as a range: "15–31 Oct 2026". */
export function spanText(start: number, end: number, timezone: string): string {
  const day = (ms: number) => DateTime.fromMillis(ms, { zone: timezone }).toFormat('yyyy-MM-dd');
  return dayRangeText(day(start), day(Math.max(start, end - 1)));
}

/**
 * The part of a billing period a subscription line covers: "1 month" for the whole period, else days of the period
 * ("17/31 days"; one decimal when the span does not start and end at midnight).
 */
export function periodShareText(start: number, ms: bigint, period: BillingPeriod): string {
  const end = start + Number(ms);
  if (start === period.start && end === period.end) return '1 month';
  const days = DateTime.fromMillis(end, { zone: period.timezone }).diff(DateTime.fromMillis(start, { zone: period.timezone }), 'days').days;
  const tenths = Math.round(days * 10);
  return `${tenths % 10 === 0 ? tenths / 10 : (tenths / 10).toFixed(1)}/${period.days} days`;
}

export function rateText(rate: string): string {
  // "0.21" → "21%", "0.055" → "5.5%"
  const [w, f = ''] = rate.split('.');
  const digits = `${w}${f.padEnd(2, '0')}`;
  const intPart = digits.slice(0, w!.length + 2).replace(/^0+(?=\d)/, '');
  const frac = f.slice(2).replace(/0+$/, '');
  return `${intPart}${frac ? `.${frac}` : ''}%`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
