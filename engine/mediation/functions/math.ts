/**
 * Math on quantities (not money): sum, multiply, divide, round with an explicit mode.
 * Quantities are exact integers in base units; division always names its rounding.
 */
import type { FunctionSpec } from '../../expr/compile.ts';
import { ExprRuntimeError, num, type Value } from '../../expr/runtime.ts';
import { divRound, type RoundingMode, ROUNDING_MODES } from '../../core/money.ts';

function mode(v: Value | undefined): RoundingMode {
  const m = (v ?? 'half-up') as RoundingMode;
  if (!ROUNDING_MODES.includes(m)) throw new ExprRuntimeError(`unknown rounding mode ${JSON.stringify(v)} (use ${ROUNDING_MODES.join(', ')})`);
  return m;
}

/** Decimal-exact a/b rounded to `decimals` places, via scaled bigints (no float rounding surprises). */
export function exactDivRound(a: number, b: number, decimals: number, m: RoundingMode): number {
  if (decimals === 0 && Number.isSafeInteger(a) && Number.isSafeInteger(b) && b !== 0) {
    // integers: exact with plain numbers (the common bytes → kB, seconds → minutes case)
    const q = Math.trunc(a / b);
    const r = a - q * b;
    if (r === 0) return q;
    return intRound(q, r, b, m);
  }
  const pa = decimalParts(a), pb = decimalParts(b);
  // a/b = (ia/10^sa) / (ib/10^sb); scaled to 10^decimals
  const n = pa.i * 10n ** BigInt(pb.s + decimals);
  const d = pb.i * 10n ** BigInt(pa.s);
  if (d === 0n) throw new ExprRuntimeError('division by zero');
  const q = d < 0n ? divRound(-n, -d, m) : divRound(n, d, m);
  return Number(q) / 10 ** decimals;
}

function decimalParts(x: number): { i: bigint; s: number } {
  if (!Number.isFinite(x)) throw new ExprRuntimeError(`${x} is not a finite number`);
  const t = String(x);
  if (/e/i.test(t)) {
    const [mant, exp] = t.toLowerCase().split('e');
    const p = decimalParts(Number(mant));
    const e = Number(exp);
    return e >= 0 ? { i: p.i * 10n ** BigInt(e), s: p.s } : { i: p.i, s: p.s - e };
  }
  const [w, f = ''] = t.split('.');
  return { i: BigInt(w! + f), s: f.length };
}

export const sum: FunctionSpec = {
  name: 'sum', description: 'Sum of numbers (e.g. upload + download bytes).', minArgs: 1, maxArgs: 32,
  examples: [{ expr: "sum('1200', '800')", result: 2000 }],
  fn: (...xs: Value[]) => {
    let a = 0;
    for (let i = 0; i < xs.length; i++) a += num(xs[i]!);
    return a;
  },
};
export const multiply: FunctionSpec = {
  name: 'multiply', description: 'Product of numbers.', minArgs: 2, maxArgs: 8,
  examples: [{ expr: 'multiply(60, 1000)', result: 60000 }],
  fn: (...xs: Value[]) => {
    let a = 1;
    for (let i = 0; i < xs.length; i++) a *= num(xs[i]!);
    return a;
  },
};
export const divide: FunctionSpec = {
  name: 'divide', description: "divide(a, b, decimals?, mode?): a / b rounded explicitly (default 0 decimals, half-up).", minArgs: 2, maxArgs: 4,
  examples: [{ expr: "divide(2500, 1000, 0, 'up')", result: 3 }, { expr: "divide(1, 3, 2, 'half-even')", result: 0.33 }],
  fn: (a: Value, b: Value, d?: Value, m?: Value) => exactDivRound(num(a), num(b), d === undefined ? 0 : num(d), mode(m)),
};
export const round: FunctionSpec = {
  name: 'round', description: "round(x, decimals?, mode?): explicit rounding (up, down, half-up, half-even, half-down).", minArgs: 1, maxArgs: 3,
  examples: [{ expr: "round('31.365', 2, 'half-up')", result: 31.37 }, { expr: "round(2.5, 0, 'half-even')", result: 2 }],
  fn: (x: Value, d?: Value, m?: Value) => exactDivRound(num(x), 1, d === undefined ? 0 : num(d), mode(m)),
};
export const toNumber: FunctionSpec = {
  name: 'number', description: 'Parse text as a number (error → INVALID_FIELD reject).', minArgs: 1, maxArgs: 1,
  examples: [{ expr: "number(' 0042 ')", result: 42 }],
  fn: (x: Value) => num(x),
};

/** round the integer quotient q (remainder r ≠ 0 of a / b) by mode, without floats */
function intRound(q: number, r: number, b: number, m: RoundingMode): number {
  const neg = (r < 0) !== (b < 0); // sign of the exact quotient
  const away = neg ? q - 1 : q + 1;
  const twice = Math.abs(r) * 2, ab = Math.abs(b);
  switch (m) {
    case 'up': return away;
    case 'down': return q;
    case 'half-up': return twice >= ab ? away : q;
    case 'half-down': return twice > ab ? away : q;
    case 'half-even': return twice > ab || (twice === ab && q % 2 !== 0) ? away : q;
    default: return Number(divRound(BigInt(q * b + r), BigInt(b), m));
  }
}
