/**
 * Units of measure into integer base units: time → milliseconds, data → bytes. Decimal (kB, MB, GB = 1000^n) and
 * binary (KiB, MiB, GiB = 1024^n) prefixes are distinct; 'KB' is rejected as ambiguous unless the rule says which.
 */
import type { FunctionSpec } from '../../expr/compile.ts';
import { ExprRuntimeError, num, str, type Value } from '../../expr/runtime.ts';
import { exactDivRound } from './math.ts';

const TIME: Record<string, number> = { ms: 1, s: 1000, sec: 1000, min: 60_000, m: 60_000, h: 3_600_000 };
const DATA: Record<string, number> = {
  B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
  KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4,
};

function scale(x: number, factor: number): number {
  return exactDivRound(x * 1, 1 / factor, 0, 'half-up');
}

/** '10s', '1m30s', '1h2m3.5s' (Go-style, as CGRateS writes usage), or a bare number in `unit`. */
/** only ASCII digits (non-empty): the common case of the number pattern below, without a regex */
function isDigits(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function parseDuration(v: Value, unit: string): number {
  const s = str(v).trim();
  if (s === '') throw new ExprRuntimeError('duration is empty');
  if (isDigits(s) || /^[+]?\d+(\.\d+)?$/.test(s) || typeof v === 'number') {
    const f = TIME[unit];
    if (!f) throw new ExprRuntimeError(`unknown time unit ${JSON.stringify(unit)} (use ms, s, min, h)`);
    return Math.round(Number(s) * f);
  }
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s|us|µs|ns)/gy;
  let total = 0, m: RegExpExecArray | null, pos = 0;
  while ((m = re.exec(s))) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : m[2] === 'ms' ? n : m[2] === 'ns' ? n / 1e6 : n / 1000;
    pos = re.lastIndex;
  }
  if (pos !== s.length || pos === 0) throw new ExprRuntimeError(`${JSON.stringify(s)} is not a duration`);
  return Math.round(total);
}

export const duration: FunctionSpec = {
  name: 'duration', description: "duration(value, unit?): milliseconds from a number in unit (ms, s, min, h; default s) or text like '1m30s'.",
  minArgs: 1, maxArgs: 2,
  examples: [{ expr: "duration('62')", result: 62000 }, { expr: "duration('1m30s')", result: 90000 }, { expr: "duration('67.54', 's')", result: 67540 }],
  fn: (v: Value, u?: Value) => parseDuration(v, u == null ? 's' : str(u)),
};
export const bytes: FunctionSpec = {
  name: 'bytes', description: 'bytes(value, unit): integer bytes from a quantity in B, kB, MB, GB, TB (decimal) or KiB, MiB, GiB, TiB (binary).',
  minArgs: 2, maxArgs: 2,
  examples: [{ expr: "bytes('1.5', 'MB')", result: 1500000 }, { expr: "bytes(2, 'KiB')", result: 2048 }],
  fn: (v: Value, u: Value) => {
    const f = DATA[str(u)];
    if (!f) throw new ExprRuntimeError(`unknown data unit ${JSON.stringify(str(u))} (decimal: B, kB, MB, GB, TB; binary: KiB, MiB, GiB, TiB)`);
    return scale(num(v), f);
  },
};
export const convert: FunctionSpec = {
  name: 'convert', description: "convert(bytes, unit, decimals?, mode?): bytes expressed in a data unit, rounded explicitly (e.g. to kB).",
  minArgs: 2, maxArgs: 4,
  examples: [{ expr: "convert(sum(1200, 800), 'kB')", result: 2 }, { expr: "convert(1536, 'KiB', 1)", result: 1.5 }],
  fn: (v: Value, u: Value, d?: Value, m?: Value) => {
    const f = DATA[str(u)] ?? TIME[str(u)];
    if (!f) throw new ExprRuntimeError(`unknown unit ${JSON.stringify(str(u))}`);
    return exactDivRound(num(v), f, d == null ? 0 : num(d), (m == null ? 'half-up' : str(m)) as never);
  },
};

/** HHMMSS / HHMMSScc (hours any number of digits) or HH:MM:SS(.fff) clock-style durations → milliseconds. */
export function parseClock(v: Value, format: string): number {
  const s = str(v).trim();
  if (format === 'hh:mm:ss') {
    const m = /^(\d+):([0-5]\d):([0-5]\d)(?:\.(\d{1,3}))?$/.exec(s);
    if (!m) throw new ExprRuntimeError(`${JSON.stringify(s)} is not hh:mm:ss`);
    return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number((m[4] ?? '').padEnd(3, '0'));
  }
  const cc = format === 'hhmmsscc';
  if (!cc && format !== 'hhmmss') throw new ExprRuntimeError(`unknown clock format ${JSON.stringify(format)} (hhmmss, hhmmsscc, hh:mm:ss)`);
  if (!/^\d+$/.test(s) || s.length < (cc ? 6 : 4)) throw new ExprRuntimeError(`${JSON.stringify(s)} is not ${format}`);
  const t = cc ? s.slice(0, -2) : s;
  const ss = Number(t.slice(-2)), mm = Number(t.slice(-4, -2)), hh = Number(t.slice(0, -4) || '0');
  if (ss > 59 || mm > 59) throw new ExprRuntimeError(`${JSON.stringify(s)} is not ${format}: minutes/seconds above 59`);
  return ((hh * 60 + mm) * 60 + ss) * 1000 + (cc ? Number(s.slice(-2)) * 10 : 0);
}

export const clock: FunctionSpec = {
  name: 'clock', description: "clock(text, format): milliseconds from a clock-style duration: 'hhmmss', 'hhmmsscc' (hundredths) or 'hh:mm:ss'.",
  minArgs: 2, maxArgs: 2,
  examples: [{ expr: "clock('00001800', 'hhmmsscc')", result: 18000 }, { expr: "clock('01:02:03', 'hh:mm:ss')", result: 3723000 }],
  fn: (v: Value, f: Value) => parseClock(v, str(f)),
};
