/** Phone numbers: E.164 normalisation, country and calling code (libphonenumber-js metadata). */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Expr } from '../../expr/ast.ts';
import type { FunctionSpec } from '../../expr/compile.ts';
import { ExprRuntimeError, str, type Value } from '../../expr/runtime.ts';
import { numHash } from './num-hash.ts';

type Parsed = NonNullable<ReturnType<typeof parsePhoneNumberFromString>>;

/**
 * Subscriber numbers repeat heavily in real feeds and libphonenumber parsing costs microseconds: memoise parses in
 * a bounded cache (cleared when full), keyed by default country and text. Failures are cached too.
 */
const CACHE_MAX = 200_000;

/** a cached failure: the error message */
class Failure {
  constructor(readonly message: string) {}
}
/**
 * a cached parse: the E.164 text as a flat string of its own (what e164() returns, hashed again by lookups), or
 * the failure; and the parse (null for a failure)
 */
class Hit {
  constructor(readonly number: string | Failure, readonly parsed: Parsed | null) {}
}

/** the parses for one default country (a stable object, so compiled rules can hold it) */
interface CountryCache {
  /** small id of the country, part of the numeric keys */
  id: number;
  byText: Map<string, Hit>;
}

/**
 * Texts made of an optional '+' and up to 15 digits (separators ' ' '-' '.' ignored, as libphonenumber ignores
 * them) — the common case, several times per record — are cached in one open-addressing table (linear probing,
 * power-of-two size, load ≤ 0.75: a smaller table stays in cache) on typed arrays instead of per-country Maps:
 * fewer memory accesses per lookup.
 * Per position: key = the digits' value (a double, exact below 2^53) and meta = country id * 64 + slot, slot =
 * (has '+') * 32 + digit count (so leading zeros and '+' stay distinct; never 0, so meta 0 = empty), side by side
 * in `numKM`; the E.164 text (or the failure) in `numVal`, the parse in `numParsed` (country(), country_code()).
 */
let numCap = 1 << 12;
let numMask = numCap - 1;
let numKM = new Float64Array(numCap * 2);
let numVal: (string | Failure | null)[] = new Array<string | Failure | null>(numCap).fill(null);
let numParsed: (Parsed | null)[] = new Array<Parsed | null>(numCap).fill(null);
let numCount = 0;

/** slot of the last digitKey() call (avoids allocating a pair per call) */
let keySlot = 0;

/** numeric key of a phone-number text, or -1 when it is not just '+'/digits/separators (then the text is the key) */
function digitKey(t: string): number {
  let i = 0;
  let plus = 0;
  if (t.charCodeAt(0) === 43 /* + */) { plus = 1; i = 1; }
  let v = 0;
  let n = 0;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++n > 15) return -1;
      v = v * 10 + (c - 48);
    } else if (c !== 32 && c !== 45 && c !== 46) return -1;
  }
  if (n === 0) return -1;
  keySlot = plus * 32 + n;
  return v;
}

/** home position of a numeric key */
function numHome(v: number, meta: number): number {
  return numHash(v, meta) & numMask;
}

function numInsert(v: number, meta: number, val: string | Failure, parsed: Parsed | null): number {
  if ((numCount + 1) * 4 > numCap * 3) numGrow();
  let i = numHome(v, meta);
  while (numKM[i * 2 + 1] !== 0) i = (i + 1) & numMask;
  numKM[i * 2] = v;
  numKM[i * 2 + 1] = meta;
  numVal[i] = val;
  numParsed[i] = parsed;
  numCount++;
  return i;
}

function numGrow(): void {
  const km = numKM, val = numVal, parsed = numParsed, n = numCap;
  numCap = n * 2;
  numMask = numCap - 1;
  numKM = new Float64Array(numCap * 2);
  numVal = new Array<string | Failure | null>(numCap).fill(null);
  numParsed = new Array<Parsed | null>(numCap).fill(null);
  numCount = 0;
  for (let i = 0; i < n; i++) if (km[i * 2 + 1] !== 0) numInsert(km[i * 2]!, km[i * 2 + 1]!, val[i]!, parsed[i]!);
}

/** default country → its parses (two levels: no key concatenation per call) */
const cache = new Map<string, CountryCache>();
let cached = 0;

function countryCache(c: string): CountryCache {
  let cc = cache.get(c);
  if (cc === undefined) cache.set(c, (cc = { id: cache.size, byText: new Map() }));
  return cc;
}

/** the text-keyed hit of the last find() that returned -1 */
let textHit: Hit = new Hit('', null);

/**
 * the cached parse of `v` with the default country of `cc` (parsed and cached when missing): its position in the
 * numeric table, or -1 for a text key (then `textHit` holds it)
 */
function find(cc: CountryCache, v: Value, country?: Value): number {
  const text = typeof v === 'string' ? v : str(v);
  const k = digitKey(text);
  if (k >= 0) {
    const meta = cc.id * 64 + keySlot;
    const km = numKM;
    let i = numHome(k, meta);
    while (true) {
      const m = km[i * 2 + 1]!;
      if (m === 0) break;
      if (m === meta && km[i * 2] === k) return i;
      i = (i + 1) & numMask;
    }
    const h = parseOrFailure(v, country);
    if (cached >= CACHE_MAX) clearAll();
    cached++;
    return numInsert(k, meta, h.number, h.parsed);
  }
  let hit = cc.byText.get(text);
  if (hit === undefined) {
    hit = parseOrFailure(v, country);
    if (cached >= CACHE_MAX) clearAll();
    // the key as a string of its own: a substring of the input would keep the whole input chunk alive
    cc.byText.set((` ${text}`).slice(1), hit);
    cached++;
  }
  textHit = hit;
  return -1;
}

/** E.164 text with the cache of the default country `cc` */
function e164In(cc: CountryCache, v: Value, country?: Value): string {
  const i = find(cc, v, country);
  const n = i >= 0 ? numVal[i]! : textHit.number;
  if (typeof n !== 'string') throw new ExprRuntimeError(n.message);
  return n;
}

/** parse with the cache of the default country `cc` */
function parseIn(cc: CountryCache, v: Value, country?: Value): Parsed {
  const i = find(cc, v, country);
  const p = i >= 0 ? numParsed[i]! : textHit.parsed;
  if (p === null) throw new ExprRuntimeError((i >= 0 ? (numVal[i] as Failure) : (textHit.number as Failure)).message);
  return p;
}

function parse(v: Value, country?: Value): Parsed {
  return parseIn(countryCache(countryText(country)), v, country);
}

const countryText = (country?: Value) => (country == null ? '' : typeof country === 'string' ? country : str(country));

function parseOrFailure(v: Value, country?: Value): Hit {
  try {
    const p = parseUncached(v, country);
    // a flat copy of the E.164 text ('+' and digits): libphonenumber builds it by concatenation
    return new Hit(Buffer.from(p.number, 'latin1').toString('latin1'), p);
  } catch (e) {
    return new Hit(new Failure((e as Error).message), null);
  }
}

function clearAll(): void {
  for (const x of cache.values()) x.byText.clear();
  numKM.fill(0);
  numVal.fill(null);
  numParsed.fill(null);
  numCount = 0;
  cached = 0;
}

/** compile time: a literal default country (or none) selects its cache once */
function prepareCountry(args: readonly Expr[]): CountryCache | null {
  const c = args[1];
  if (c === undefined) return countryCache('');
  return c.k === 'lit' && typeof c.v === 'string' ? countryCache(c.v) : null;
}

const parsed = (p: CountryCache | null, v: Value, c?: Value) => (p !== null ? parseIn(p, v, c) : parse(v, c));

function parseUncached(v: Value, country?: Value): Parsed {
  let s = str(v).trim();
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  const p = parsePhoneNumberFromString(s, (country ? str(country).toUpperCase() : undefined) as CountryCode | undefined);
  if (!p) throw new ExprRuntimeError(`${JSON.stringify(str(v))} is not a phone number`);
  return p;
}

export const e164: FunctionSpec = {
  name: 'e164', description: "e164(number, defaultCountry?): the number in E.164 (+CC...); national numbers use the default country (ISO 3166 alpha-2).",
  minArgs: 1, maxArgs: 2,
  examples: [{ expr: "e164('030 1234567', 'DE')", result: '+49301234567' }, { expr: "e164('0031201234567')", result: '+31201234567' }],
  prepare: prepareCountry,
  fn: (p: CountryCache | null, v: Value, c?: Value) => e164In(p !== null ? p : countryCache(countryText(c)), v, c),
};
export const country: FunctionSpec = {
  name: 'country', description: 'country(number, defaultCountry?): ISO 3166 alpha-2 country of a phone number (null when ambiguous).',
  minArgs: 1, maxArgs: 2,
  examples: [{ expr: "country('+4930123456')", result: 'DE' }],
  prepare: prepareCountry,
  fn: (p: CountryCache | null, v: Value, c?: Value) => parsed(p, v, c).country ?? null,
};
export const countryCode: FunctionSpec = {
  name: 'country_code', description: 'country_code(number, defaultCountry?): the calling code without "+" (e.g. 49).',
  minArgs: 1, maxArgs: 2,
  examples: [{ expr: "country_code('+31201234567')", result: '31' }],
  prepare: prepareCountry,
  fn: (p: CountryCache | null, v: Value, c?: Value) => parsed(p, v, c).countryCallingCode,
};
