/**
 * Exact cost accumulation. A cost is a rational n/d in scaled money units (10^-10, see core/money.ts): n and d are
 * bigints, d > 0. Prices are scaled bigints and quantities integers, so `price × quantity / per` is exact; rounding
 * happens only at the explicit points named by the catalog (see rounding in rates, proration, penalties).
 */
import { divRound, type RoundingMode, SCALE } from '../core/money.ts';
import type { TextSink } from '../core/types.ts';
import { StringSink } from './json-text.ts';

export interface Cost {
  n: bigint;
  d: bigint;
}

export const ZERO: Cost = { n: 0n, d: 1n };

export function cost(n: bigint, d: bigint = 1n): Cost {
  return { n, d };
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b) [a, b] = [b, a % b];
  return a;
}

export function add(a: Cost, b: Cost): Cost {
  if (a.n === 0n) return b;
  if (a.d === b.d) return { n: a.n + b.n, d: a.d };
  const n = a.n * b.d + b.n * a.d;
  const d = a.d * b.d;
  if (d > 1_000_000_000_000n) {
    const g = gcd(n, d);
    return g > 1n ? { n: n / g, d: d / g } : { n, d };
  }
  return { n, d };
}

/**
 * An exact cost being summed, kept as numbers while it fits: costN / costD with both safe integers (costD > 0) and
 * costBig null; once a term or a sum would leave the safe integers the sum moves to a bigint Cost in costBig (and
 * stays there). Same value, so the same text and rounding, as the bigint sum (both are exact).
 */
export interface CostSum {
  costN: number;
  costD: number;
  costBig: Cost | null;
}

/** s = 0 */
export function sumReset(s: CostSum): void {
  s.costN = 0;
  s.costD = 1;
  s.costBig = null;
}

/** s += n / d (n, d safe integers, d > 0) */
export function sumAdd(s: CostSum, n: number, d: number): void {
  if (s.costBig === null) {
    if (s.costN === 0) {
      s.costN = n;
      s.costD = d;
      return;
    }
    const sd = s.costD;
    if (sd === d) {
      const t = s.costN + n;
      if (Number.isSafeInteger(t)) { s.costN = t; return; }
    } else {
      // a float product or sum beyond 2^53 is never a safe integer: every check below is exact
      const a = s.costN * d, b = n * sd, dd = sd * d;
      if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && Number.isSafeInteger(dd) && Number.isSafeInteger(a + b)) {
        s.costN = a + b;
        s.costD = dd;
        return;
      }
    }
    s.costBig = { n: BigInt(s.costN), d: BigInt(s.costD) };
  }
  s.costBig = add(s.costBig, { n: BigInt(n), d: BigInt(d) });
}

/** s += c */
export function sumAddCost(s: CostSum, c: Cost): void {
  if (c.n < MAX_SUM_B && c.n > -MAX_SUM_B && c.d < MAX_SUM_B) sumAdd(s, Number(c.n), Number(c.d));
  else s.costBig = add(sumCost(s), c);
}

/** s = c */
export function sumSet(s: CostSum, c: Cost): void {
  if (c.n < MAX_SUM_B && c.n > -MAX_SUM_B && c.d < MAX_SUM_B) {
    s.costN = Number(c.n);
    s.costD = Number(c.d);
    s.costBig = null;
  } else s.costBig = c;
}

/** the sum as a Cost (a new object while it is held as numbers) */
export function sumCost(s: CostSum): Cost {
  return s.costBig ?? { n: BigInt(s.costN), d: BigInt(s.costD) };
}

/** roundCost of the sum */
export function sumRound(s: CostSum, decimals: number, mode: RoundingMode): bigint {
  return s.costBig === null ? roundNum(s.costN, s.costD, decimals, mode) : roundCost(s.costBig, decimals, mode);
}

/** costText of the sum */
export function sumText(s: CostSum): string {
  return s.costBig === null ? costTextNum(s.costN, s.costD) : costText(s.costBig);
}

/** a × k / m (k, m integers, m > 0) */
export function cmp(a: Cost, b: Cost): number {
  const x = a.n * b.d, y = b.n * a.d;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** 10^(SCALE - decimals) for decimals 0..SCALE */
const ROUND_STEP: readonly bigint[] = Array.from({ length: SCALE + 1 }, (_, d) => 10n ** BigInt(SCALE - d));
const TEXT_F = 10n ** 6n;
const TEXT_WHOLE = 10n ** BigInt(SCALE + 6);

/** 10^(SCALE - decimals) as numbers */
const ROUND_STEP_NUM: readonly number[] = ROUND_STEP.map(Number);
const MAX_SAFE = 2 ** 52;
const MAX_SAFE_B = 2n ** 52n;
/** bound of the numbers a CostSum holds (safe integers) */
const MAX_SUM_B = 2n ** 53n;

/**
 * Round to `decimals` places with `mode`, returning a scaled bigint (10^10). The single rounding point. While n, d and
 * d × 10^(10 - decimals) are below 2^52 the division is done on numbers (every product and remainder an exact integer
 * below 2^53, the float quotient corrected by its remainder) and one bigint made of the result; else on bigints.
 */
export function roundCost(a: Cost, decimals: number, mode: RoundingMode): bigint {
  const di = decimals < SCALE ? decimals : SCALE;
  if (a.n < MAX_SAFE_B && a.n > -MAX_SAFE_B && a.d < MAX_SAFE_B) {
    const step = ROUND_STEP_NUM[di]!;
    const d = Number(a.d) * step;
    if (d < MAX_SAFE) return BigInt(divRoundNum(Number(a.n), d, mode) * step);
  }
  return roundCostBig(a, di, mode);
}

/** roundCost of n / d given as safe integers (d > 0) */
export function roundNum(n: number, d: number, decimals: number, mode: RoundingMode): bigint {
  const di = decimals < SCALE ? decimals : SCALE;
  if (n < MAX_SAFE && n > -MAX_SAFE && d < MAX_SAFE) {
    const step = ROUND_STEP_NUM[di]!;
    const dd = d * step;
    if (dd < MAX_SAFE) return scaledBig(divRoundNum(n, dd, mode), step);
  }
  return roundCostBig({ n: BigInt(n), d: BigInt(d) }, di, mode);
}

/** slots of the amount cache (a power of two) */
const AMOUNT_SLOTS = 8192;
const amountKey = new Float64Array(AMOUNT_SLOTS).fill(NaN);
const amountStep = new Float64Array(AMOUNT_SLOTS);
const amountBig: bigint[] = new Array<bigint>(AMOUNT_SLOTS).fill(0n);

/**
 * BigInt(q × step) (q × step a safe integer), from a direct-mapped cache of recent amounts: rounded amounts repeat a
 * lot (the rating bench: ≈ 4,500 distinct among 131,072 charges), and a bigint is immutable, so charges may share
 * one — no bigint made (and kept with the charge) per record. Indexed by the quotient q (consecutive integers), not by
 * q × step (multiples of a power of ten).
 */
function scaledBig(q: number, step: number): bigint {
  const slot = q & (AMOUNT_SLOTS - 1);
  if (amountKey[slot] === q && amountStep[slot] === step) return amountBig[slot]!;
  const b = BigInt(q * step);
  amountKey[slot] = q;
  amountStep[slot] = step;
  amountBig[slot] = b;
  return b;
}

function roundCostBig(a: Cost, di: number, mode: RoundingMode): bigint {
  const step = ROUND_STEP[di]!;
  return divRound(a.n, a.d === 1n ? step : a.d * step, mode) * step;
}

/** roundCost through bigint only (the reference the number path is tested against) */
export function roundCostReference(a: Cost, decimals: number, mode: RoundingMode): bigint {
  return roundCostBig(a, decimals < SCALE ? decimals : SCALE, mode);
}

/** divRound (core/money.ts) on integers |n| < 2^52, 0 < d < 2^52: the quotient truncated toward zero, then rounded by mode */
function divRoundNum(n: number, d: number, mode: RoundingMode): number {
  let q = Math.trunc(n / d);
  let r = n - q * d;
  if (n >= 0) {
    while (r < 0) { q--; r += d; }
    while (r >= d) { q++; r -= d; }
  } else {
    while (r > 0) { q++; r -= d; }
    while (r <= -d) { q--; r += d; }
  }
  if (r === 0) return q;
  const neg = n < 0;
  const absR2 = (r < 0 ? -r : r) * 2;
  switch (mode) {
    case 'down':
      return q;
    case 'up':
      return neg ? q - 1 : q + 1;
    case 'half-up':
      return absR2 >= d ? (neg ? q - 1 : q + 1) : q;
    case 'half-down':
      return absR2 > d ? (neg ? q - 1 : q + 1) : q;
    case 'half-even': {
      if (absR2 > d) return neg ? q - 1 : q + 1;
      if (absR2 < d) return q;
      return Math.abs(q) % 2 === 1 ? (neg ? q - 1 : q + 1) : q;
    }
  }
  return q;
}

const MAX_N = 2n ** 52n;
const MAX_D = 2n ** 33n;
const MAX_D_NUM = 2 ** 33;
const SCALE_NUM = 10 ** SCALE;
const TEXT_UNIT = 1_000_000;

/**
 * Decimal text of an exact cost (for lineage): exact when it terminates within 16 places, else marked "≈".
 * With d < 2^33 (nearly all costs) the quotient n / d and remainder are taken once (as numbers when |n| < 2^52, else
 * one bigint division) and the digits written with integer arithmetic on numbers (every intermediate an integer below
 * 2^53, float quotients corrected by their remainder); other costs with bigint only. The same text either way.
 */
export function costText(a: Cost): string {
  if (a.d >= MAX_D) return costTextBig(a);
  const d = Number(a.d);
  if (a.n < MAX_N && a.n > -MAX_N) {
    const sn = Number(a.n);
    const n = sn < 0 ? -sn : sn;
    let ip = Math.floor(n / d);
    let r = n - ip * d;
    if (r < 0) { ip--; r += d; } else if (r >= d) { ip++; r -= d; }
    return costDigits(sn < 0, ip, r, d);
  }
  const neg = a.n < 0n;
  const n = neg ? -a.n : a.n;
  const ipB = n / a.d;
  if (ipB >= MAX_N) return costTextBig(a);
  return costDigits(neg, Number(ipB), Number(n % a.d), d);
}

/** costText of n / d given as safe integers (d > 0) */
export function costTextNum(n: number, d: number): string {
  const out = new StringSink();
  writeCostNum(out, n, d);
  return out.s;
}

/** costTextNum(n, d) written into `out` (a lineage being written: the digits as numbers, no string per cost) */
export function writeCostNum(out: TextSink, n: number, d: number): void {
  if (d >= MAX_D_NUM || n >= MAX_SAFE || n <= -MAX_SAFE) return out.text(costText({ n: BigInt(n), d: BigInt(d) }));
  const a = n < 0 ? -n : n;
  let ip = Math.floor(a / d);
  let r = a - ip * d;
  if (r < 0) { ip--; r += d; } else if (r >= d) { ip++; r -= d; }
  costDigitsTo(out, n < 0, ip, r, d);
}

/** text of (ip + r / d) × 10^-10, ip < 2^52 and 0 <= r < d < 2^33 */
function costDigits(neg: boolean, ip: number, r: number, d: number): string {
  const out = new StringSink();
  costDigitsTo(out, neg, ip, r, d);
  return out.s;
}

/** '0' × k, k <= 10 */
const ZEROS = Array.from({ length: 11 }, (_, k) => '0'.repeat(k));

/** decimal digits of 0 < v < 2^53 */
function digitCount(v: number): number {
  let k = 1;
  for (; v >= 10; v = Math.floor(v / 10)) k++;
  return k;
}

/** 0 < v without its trailing decimal zeros */
function dropZeros(v: number): number {
  for (let q = Math.floor(v / 10); q * 10 === v; q = Math.floor(v / 10)) v = q;
  return v;
}

/** costDigits into `out`: `[≈][-]<whole>[.<fraction>][…]` (the fraction zero-padded, its trailing zeros dropped) */
function costDigitsTo(out: TextSink, neg: boolean, ip: number, r: number, d: number): void {
  // the 6 digits after the 10 of the scale: floor(r × 10^6 / d), r × 10^6 < 2^33 × 10^6 < 2^53
  const r6 = r * TEXT_UNIT;
  let x = Math.floor(r6 / d);
  let rx = r6 - x * d;
  if (rx < 0) { x--; rx += d; } else if (rx >= d) { x++; rx -= d; }
  let whole = Math.floor(ip / SCALE_NUM);
  let f = ip - whole * SCALE_NUM;
  if (f < 0) { whole--; f += SCALE_NUM; } else if (f >= SCALE_NUM) { whole++; f -= SCALE_NUM; }
  if (rx !== 0) out.text('≈');
  if (neg) out.text('-');
  out.int(whole);
  if (x !== 0) {
    // all 10 digits of f, then x's 6 without trailing zeros
    out.text('.');
    if (f === 0) out.text(ZEROS[10]!);
    else {
      out.text(ZEROS[10 - digitCount(f)]!);
      out.int(f);
    }
    out.text(ZEROS[6 - digitCount(x)]!);
    out.int(dropZeros(x));
  } else if (f !== 0) {
    out.text('.');
    out.text(ZEROS[10 - digitCount(f)]!);
    out.int(dropZeros(f));
  }
  if (rx !== 0) out.text('…');
}

function costTextBig(a: Cost): string {
  const neg = a.n < 0n;
  const n = neg ? -a.n : a.n;
  const nf = n * TEXT_F;
  const q = a.d === 1n ? nf : nf / a.d;
  const exact = a.d === 1n || nf % a.d === 0n;
  const whole = q / TEXT_WHOLE;
  const r = q % TEXT_WHOLE;
  const frac = r === 0n ? '' : r.toString().padStart(SCALE + 6, '0').replace(/0+$/, '');
  const s = `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
  return exact ? s : `≈${s}…`;
}

/** costText through bigint only (the reference the fast path is tested against) */
export const costTextReference = costTextBig;
