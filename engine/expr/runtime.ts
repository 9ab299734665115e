/** Runtime helpers used by compiled expressions. Pure functions; no prototype access anywhere. */
import { CodedError } from '../core/errors.ts';

export type Value = string | number | boolean | null;

export class ExprRuntimeError extends CodedError<'INVALID_FIELD'> {
  constructor(message: string) {
    super('INVALID_FIELD', message);
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Safe path access into parsed structured records: own properties only. */
export function get(obj: unknown, path: readonly string[]): Value {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur == null || typeof cur !== 'object') return null;
    if (Array.isArray(cur)) {
      const i = Number(k);
      cur = Number.isInteger(i) ? cur[i] : undefined;
    } else {
      if (!hasOwn.call(cur, k)) return null;
      cur = (cur as Record<string, unknown>)[k];
    }
  }
  if (cur === undefined || cur === null) return null;
  if (typeof cur === 'object') return JSON.stringify(cur);
  return cur as Value;
}

export function num(v: Value, what = 'value'): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === '') throw new ExprRuntimeError(`${what} is empty, expected a number`);
  const s = v.trim();
  const n = Number(s);
  if (s === '' || !Number.isFinite(n)) throw new ExprRuntimeError(`${what} ${JSON.stringify(v)} is not a number`);
  return n;
}

export function str(v: Value): string {
  return v === null ? '' : typeof v === 'string' ? v : String(v);
}

export function truthy(v: Value): boolean {
  return !(v === null || v === false || v === '' || v === 0);
}

function numLike(v: Value): boolean {
  if (typeof v === 'number') return true;
  if (typeof v !== 'string') return false;
  const s = v.trim();
  return s !== '' && Number.isFinite(Number(s));
}

/** Equality: numeric when either side is a number literal and the other is numeric; otherwise textual. */
export function eq(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null) return (a === null || a === '') && (b === null || b === '');
  if ((typeof a === 'number' || typeof b === 'number') && numLike(a) && numLike(b)) return Number(a) === Number(b);
  if (typeof a === 'boolean' || typeof b === 'boolean') return truthy(a) === truthy(b);
  return str(a) === str(b);
}

/** eq(a, b) for a string literal b: a string a equals b exactly when it is the same text (see eq) */
export function eqS(a: Value, b: string): boolean {
  return typeof a === 'string' ? a === b : eq(a, b);
}

/** eq(a, b) for a number literal b: a one-digit text is that digit's number (see eq, numLike) */
export function eqN(a: Value, b: number): boolean {
  if (typeof a === 'string' && a.length === 1) {
    const c = a.charCodeAt(0) - 48;
    if (c >= 0 && c <= 9) return c === b;
  }
  return eq(a, b);
}

export function cmp(a: Value, b: Value): number {
  if (numLike(a) && numLike(b)) {
    const x = Number(a), y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = str(a), y = str(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function inList(a: Value, list: readonly Value[]): boolean {
  for (const b of list) if (eq(a, b)) return true;
  return false;
}

/** meta.<key> of the record being mediated (see ExprMeta); null outside mediation (e.g. function examples) */
export function meta(m: { feed: string; source: string } | undefined, key: string): Value {
  if (!m) return null;
  switch (key) {
    case 'feed': return m.feed;
    case 'source': return m.source;
    case 'file': case 'line': {
      // coordinates are `path:line` (files), `path#/pointer` (JSON documents) or `topic/partition/offset` (Kafka)
      const s = m.source;
      const hash = s.lastIndexOf('#');
      const colon = s.lastIndexOf(':');
      const cut = hash >= 0 ? hash : colon >= 0 && /^\d+$/.test(s.slice(colon + 1)) ? colon : s.length;
      if (key === 'line') return cut < s.length && s[cut] === ':' ? s.slice(cut + 1) : null;
      const path = s.slice(0, cut);
      return path.slice(path.lastIndexOf('/') + 1);
    }
    default: return null;
  }
}

export const H = { get, num, str, truthy, eq, eqS, eqN, cmp, inList, meta };
