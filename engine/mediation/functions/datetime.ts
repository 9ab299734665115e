/**
 * Date/time normalisation to epoch milliseconds (UTC) with explicit formats and time zones (luxon).
 * Hot path: when format and zone are literals and the format is made of fixed-width numeric tokens (yyyy MM dd HH
 * mm ss SSS and separators, including 'sql'), the text is read by position and the zone offset is cached per local
 * hour; any other input falls back to luxon, so results are identical. A local day whose offset is the same at 00:00,
 * 12:00 and 23:59:59.999 is taken to have no transition (tzdb has no day with two transitions that cancel out): its
 * 24 hours are cached at once from three zone look-ups (a feed spread over many days — a backfill — misses once per
 * day, not twice per hour); a day with a transition is cached hour by hour, as before.
 */
import { DateTime, FixedOffsetZone, IANAZone, type TokenParser } from 'luxon';
import type { Expr } from '../../expr/ast.ts';
import type { FunctionSpec } from '../../expr/compile.ts';
import { ExprRuntimeError, str, type Value } from '../../expr/runtime.ts';

/**
 * Formats: 'iso' (ISO 8601), 'epoch' (seconds), 'epoch_ms', 'sql' (yyyy-MM-dd HH:mm:ss), or a luxon format
 * string such as 'yyyyMMddHHmmss'. The zone applies to inputs without their own offset (IANA name or UTC±hh:mm).
 */
export function parseTime(v: Value, format: string, zone: string): number {
  const s = str(v).trim();
  if (s === '') throw new ExprRuntimeError('time is empty');
  let dt: DateTime;
  switch (format) {
    case 'epoch': {
      const n = Number(s);
      if (!Number.isFinite(n)) throw new ExprRuntimeError(`${JSON.stringify(s)} is not epoch seconds`);
      return Math.round(n * 1000);
    }
    case 'epoch_ms': {
      const n = Number(s);
      if (!Number.isFinite(n)) throw new ExprRuntimeError(`${JSON.stringify(s)} is not epoch milliseconds`);
      return Math.round(n);
    }
    case 'iso': dt = DateTime.fromISO(s, { zone, setZone: true }); break;
    case 'sql': dt = DateTime.fromSQL(s, { zone }); break;
    default: dt = DateTime.fromFormatParser(s, formatParser(format), { zone });
  }
  if (!dt.isValid) throw new ExprRuntimeError(`${JSON.stringify(s)} does not match time format ${JSON.stringify(format)} (${dt.invalidExplanation ?? dt.invalidReason})`);
  return dt.toMillis();
}

/**
 * luxon's parser of a format pattern, built once per pattern: `DateTime.fromFormat` builds it (its regular expression
 * and token list) on every call, ≈ 75 µs — the cost of each malformed time on the fast path's fallback (bench/RESULTS.md).
 * Same result as fromFormat (luxon's own fromFormat is buildFormatParser + fromFormatParser with the default locale).
 */
const parsers = new Map<string, TokenParser>();

function formatParser(format: string): TokenParser {
  let p = parsers.get(format);
  if (p === undefined) {
    if (parsers.size >= 256) parsers.clear();
    p = DateTime.buildFormatParser(format);
    parsers.set(format, p);
  }
  return p;
}

type Slot = 'y' | 'M' | 'd' | 'H' | 'm' | 's' | 'S';
interface FastTime {
  len: number;
  /** [slot, start, length] */
  parts: [Slot, number, number][];
  /** [position, char] literal separators */
  lits: [number, number][];
  zone: string;
  fixedOffset: number | undefined; // minutes, when the zone is fixed
  /** the IANA zone (when not fixed) */
  iana: IANAZone | undefined;
  cache: Map<number, number>;
  /** in front of `cache`: a direct-mapped copy (local hour & HOT_MASK → hour, offset); HOT_EMPTY = none */
  hotHour: Int32Array;
  hotOff: Int32Array;
  /** `parts` and `lits` as typed arrays (slot as its index in SLOTS), read per call */
  pSlot: Int32Array;
  pStart: Int32Array;
  pEnd: Int32Array;
  litPos: Int32Array;
  litChar: Int32Array;
}

const HOT_SIZE = 1024;
const HOT_MASK = HOT_SIZE - 1;
/** no local hour of a year ≥ 0 is this (year 0 starts at hour −17,268,840) */
const HOT_EMPTY = -0x80000000;

const SLOTS: readonly Slot[] = ['y', 'M', 'd', 'H', 'm', 's', 'S'];

const TOKENS: [string, Slot][] = [['yyyy', 'y'], ['SSS', 'S'], ['MM', 'M'], ['dd', 'd'], ['HH', 'H'], ['mm', 'm'], ['ss', 's']];

/** A fixed-position reader for numeric luxon patterns, or undefined when the pattern is not one. */
export function compileFastTime(format: string, zone: string): FastTime | undefined {
  const fmt = format === 'sql' ? 'yyyy-MM-dd HH:mm:ss' : format;
  if (fmt === 'iso' || fmt === 'epoch' || fmt === 'epoch_ms') return undefined;
  const parts: FastTime['parts'] = [];
  const lits: FastTime['lits'] = [];
  let i = 0;
  outer: while (i < fmt.length) {
    for (const [tok, slot] of TOKENS) {
      if (fmt.startsWith(tok, i)) { parts.push([slot, i, tok.length]); i += tok.length; continue outer; }
    }
    const c = fmt[i]!;
    if (/[A-Za-z']/.test(c)) return undefined; // another token (e.g. MMM, a, ZZ) or quoting: leave it to luxon
    lits.push([i, c.charCodeAt(0)]);
    i++;
  }
  const need: Slot[] = ['y', 'M', 'd'];
  if (!need.every((n) => parts.some((p) => p[0] === n))) return undefined;
  let fixedOffset: number | undefined;
  if (/^utc$/i.test(zone) || zone === 'Z') fixedOffset = 0;
  else {
    const fz = FixedOffsetZone.parseSpecifier(zone);
    if (fz) fixedOffset = fz.offset(0);
    else if (!IANAZone.isValidZone(zone)) return undefined;
  }
  return {
    len: fmt.length, parts, lits, zone, fixedOffset, cache: new Map(), iana: fixedOffset === undefined ? IANAZone.create(zone) : undefined,
    hotHour: new Int32Array(HOT_SIZE).fill(HOT_EMPTY),
    hotOff: new Int32Array(HOT_SIZE),
    pSlot: Int32Array.from(parts, (p) => SLOTS.indexOf(p[0])),
    pStart: Int32Array.from(parts, (p) => p[1]),
    pEnd: Int32Array.from(parts, (p) => p[1] + p[2]),
    litPos: Int32Array.from(lits, (l) => l[0]),
    litChar: Int32Array.from(lits, (l) => l[1]),
  };
}

/** days since 1970-01-01 of a proleptic Gregorian date (year ≥ 0) */
function daysFromCivil(y: number, M: number, d: number): number {
  if (M <= 2) y--;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (M > 2 ? M - 3 : M + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** the zone's offset (minutes) at a local time, as luxon's fixOffset finds it; NaN when the local time is in a gap */
function offsetAtLocal(z: IANAZone, local: number): number {
  const o1 = z.offset(local);
  const o2 = z.offset(local - o1 * 60_000);
  if (o1 === o2) return o1;
  const o3 = z.offset(local - o2 * 60_000);
  return o2 === o3 ? o2 : NaN;
}

/**
 * A local day (`day0`: its 00:00 as local epoch ms) with one offset all day — the same at 00:00, 12:00 and
 * 23:59:59.999 — gets its 24 hours cached; returns that offset, or undefined for a day with a transition.
 */
function dayOffset(p: FastTime, day0: number, hourKey: number, hot: number): number | undefined {
  const z = p.iana;
  if (!z || !z.isValid) return undefined;
  const o = offsetAtLocal(z, day0);
  if (o !== o || o !== (o | 0) || offsetAtLocal(z, day0 + 43_200_000) !== o || offsetAtLocal(z, day0 + 86_399_999) !== o) return undefined;
  if (p.cache.size > 50_000) p.cache.clear();
  const h0 = Math.floor(day0 / 3_600_000);
  for (let h = h0; h < h0 + 24; h++) p.cache.set(h, o);
  p.hotHour[hot] = hourKey;
  p.hotOff[hot] = o;
  return o;
}

/** epoch ms, or NaN when the text does not fit the pattern exactly (the caller falls back to luxon) */
export function fastTime(p: FastTime, s: string): number {
  if (s.length !== p.len) return NaN;
  const litPos = p.litPos, litChar = p.litChar;
  for (let i = 0; i < litPos.length; i++) if (s.charCodeAt(litPos[i]!) !== litChar[i]) return NaN;
  let y = 0, M = 1, d = 1, H = 0, m = 0, sec = 0, ms = 0;
  const pSlot = p.pSlot, pStart = p.pStart, pEnd = p.pEnd;
  for (let i = 0; i < pSlot.length; i++) {
    let x = 0;
    for (let j = pStart[i]!, end = pEnd[i]!; j < end; j++) {
      const c = s.charCodeAt(j) - 48;
      if (!(c >= 0 && c <= 9)) return NaN;
      x = x * 10 + c;
    }
    switch (pSlot[i]) {
      case 0: y = x; break;
      case 1: M = x; break;
      case 2: d = x; break;
      case 3: H = x; break;
      case 4: m = x; break;
      case 5: sec = x; break;
      default: ms = x; break;
    }
  }
  if (M < 1 || M > 12 || d < 1 || d > DAYS[M - 1]! || H > 23 || m > 59 || sec > 59) return NaN;
  if (M === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return NaN;
  // Date.UTC(y, M - 1, d, H, m, sec, ms) by integer arithmetic (days from civil); Date.UTC reads years 0–99 as 19xx
  const local = y >= 100 ? daysFromCivil(y, M, d) * 86_400_000 + H * 3_600_000 + m * 60_000 + sec * 1000 + ms : Date.UTC(y, M - 1, d, H, m, sec, ms);
  let off = p.fixedOffset;
  if (off === undefined) {
    const hourKey = Math.floor(local / 3_600_000);
    const hot = hourKey & HOT_MASK;
    if (p.hotHour[hot] === hourKey) return local - p.hotOff[hot]! * 60_000;
    off = p.cache.get(hourKey);
    if (off !== undefined && off === (off | 0)) {
      p.hotHour[hot] = hourKey;
      p.hotOff[hot] = off;
    }
    if (off === undefined && y >= 100) off = dayOffset(p, daysFromCivil(y, M, d) * 86_400_000, hourKey, hot);
    if (off === undefined) {
      const dt = DateTime.fromObject({ year: y, month: M, day: d, hour: H }, { zone: p.zone });
      if (!dt.isValid) return NaN;
      // only cache when the offset is the same over the whole local hour (no transition inside it; the hour starts
      // at :00 — not in a half-hour gap such as Lord Howe's, which luxon moves to :30)
      const end = DateTime.fromObject({ year: y, month: M, day: d, hour: H, minute: 59, second: 59 }, { zone: p.zone });
      off = dt.offset;
      if (end.isValid && end.offset === off && dt.hour === H && dt.minute === 0) {
        if (p.cache.size > 50_000) p.cache.clear();
        p.cache.set(hourKey, off);
      } else return NaN;
    }
  }
  return local - off * 60_000;
}

function literal(e: Expr | undefined): string | undefined {
  return e && e.k === 'lit' && typeof e.v === 'string' ? e.v : undefined;
}

export const time: FunctionSpec = {
  name: 'time', description: "time(text, format, zone?): epoch milliseconds. Formats: iso, sql, epoch, epoch_ms or a luxon pattern; zone default UTC.",
  minArgs: 2, maxArgs: 3,
  examples: [
    { expr: "time('2013-02-03 19:54:00', 'sql', 'Europe/Berlin')", result: 1359917640000 },
    { expr: "time('20120708181506', 'yyyyMMddHHmmss', 'UTC')", result: 1341771306000 },
    { expr: "time('2016-04-19 21:00:06.813', 'yyyy-MM-dd HH:mm:ss.SSS', 'UTC+2')", result: 1461092406813 },
  ],
  prepare: (args) => {
    const f = literal(args[1]);
    const z = args[2] === undefined ? 'UTC' : literal(args[2]);
    if (f === undefined || z === undefined) return null;
    return compileFastTime(f, z) ?? null;
  },
  fn: (p: FastTime | null, v: Value, f: Value, z?: Value) => {
    if (p !== null && typeof v === 'string') {
      const t = fastTime(p, v);
      if (t === t) return t; // not NaN
    }
    return parseTime(v, str(f), z == null ? 'UTC' : str(z));
  },
};
export const formatTime: FunctionSpec = {
  name: 'format_time', description: "format_time(epochMs, format, zone?): render epoch milliseconds (luxon pattern or 'iso').",
  minArgs: 2, maxArgs: 3,
  examples: [{ expr: "format_time(1341771306000, 'yyyy-MM-dd', 'UTC')", result: '2012-07-08' }],
  fn: (v: Value, f: Value, z?: Value) => {
    const dt = DateTime.fromMillis(Number(v), { zone: z == null ? 'UTC' : str(z) });
    return str(f) === 'iso' ? dt.toISO() : dt.toFormat(str(f));
  },
};
