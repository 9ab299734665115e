/**
 * Exact money. Amounts are bigint scaled by 10^SCALE (10 decimals, matching ClickHouse Decimal(38,10)).
 * Decimal strings in, decimal strings out; no JS float ever holds money.
 */
export const SCALE = 10;
const SCALE_FACTOR = 10n ** BigInt(SCALE);

export type RoundingMode = 'up' | 'down' | 'half-up' | 'half-even' | 'half-down';
export const ROUNDING_MODES: readonly RoundingMode[] = ['up', 'down', 'half-up', 'half-even', 'half-down'];

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** Parse a decimal string ("1.25", "-0.0003", "7") into a scaled bigint; more than 10 decimals is an error. */
export function parseMoney(text: string): bigint {
  const m = DECIMAL_RE.exec(text.trim());
  if (!m) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  const frac = m[3] ?? '';
  if (frac.length > SCALE) {
    const extra = frac.slice(SCALE);
    if (/[1-9]/.test(extra)) throw new Error(`amount ${text} has more than ${SCALE} decimals`);
  }
  const v = BigInt(m[2]!) * SCALE_FACTOR + BigInt((frac.slice(0, SCALE) || '0').padEnd(SCALE, '0'));
  return m[1] === '-' ? -v : v;
}

/** Format a scaled bigint as a plain decimal string with `decimals` places (default all 10), truncating nothing: the
 * value must already be rounded to `decimals` (use roundScaled first). */
export function formatMoney(v: bigint, decimals = SCALE): string {
  const neg = v < 0n;
  let a = neg ? -v : v;
  const whole = a / SCALE_FACTOR;
  let frac = (a % SCALE_FACTOR).toString().padStart(SCALE, '0');
  if (decimals < SCALE) {
    if (/[1-9]/.test(frac.slice(decimals))) throw new Error(`formatMoney: ${v} is not rounded to ${decimals} decimals`);
    frac = frac.slice(0, decimals);
  }
  const s = decimals > 0 ? `${whole}.${frac}` : `${whole}`;
  return neg ? `-${s}` : s;
}

/** Integer division n / d with an explicit rounding mode (d > 0). */
export function divRound(n: bigint, d: bigint, mode: RoundingMode): bigint {
  if (d <= 0n) throw new Error('divRound: divisor must be positive');
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n) return q;
  const neg = n < 0n;
  const absR2 = (r < 0n ? -r : r) * 2n;
  switch (mode) {
    case 'down':
      return neg ? q : q; // toward zero
    case 'up':
      return neg ? q - 1n : q + 1n; // away from zero
    case 'half-up':
      return absR2 >= d ? (neg ? q - 1n : q + 1n) : q;
    case 'half-down':
      return absR2 > d ? (neg ? q - 1n : q + 1n) : q;
    case 'half-even': {
      if (absR2 > d) return neg ? q - 1n : q + 1n;
      if (absR2 < d) return q;
      const odd = (q < 0n ? -q : q) % 2n === 1n;
      return odd ? (neg ? q - 1n : q + 1n) : q;
    }
  }
}

/** Round a scaled amount to `decimals` places (0..10) with `mode`; the result stays scaled by 10^10. */
export function roundScaled(v: bigint, decimals: number, mode: RoundingMode): bigint {
  if (decimals >= SCALE) return v;
  const step = 10n ** BigInt(SCALE - decimals);
  return divRound(v, step, mode) * step;
}

export function sumMoney(values: Iterable<bigint>): bigint {
  let s = 0n;
  for (const v of values) s += v;
  return s;
}

/** Thousands separators on a decimal string: "-1234567.5" → "-1,234,567.5" (digits unchanged). */
export function groupDigits(amount: string): string {
  const neg = amount.startsWith('-');
  const [w, f] = (neg ? amount.slice(1) : amount).split('.');
  const g = w!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${g}${f !== undefined ? `.${f}` : ''}`;
}

/**
 * The one format of money in human output (terminal tables, summaries, invoice documents): rounded to `decimals`
 * places (default 2, half-up unless told) with thousands separators — "5,079.85". CSV and JSON keep full
 * precision (formatMoney). Exact: a scaled bigint, or decimal text, in; never a float.
 */
export function humanMoney(v: bigint | string, decimals = 2, mode: RoundingMode = 'half-up'): string {
  const scaled = typeof v === 'string' ? parseMoney(v) : v;
  return groupDigits(formatMoney(roundScaled(scaled, decimals, mode), decimals));
}
