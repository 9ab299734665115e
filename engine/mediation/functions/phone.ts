/** Phone numbers: E.164 normalisation, country and calling code (libphonenumber-js metadata). */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Expr } from '../expr/ast.ts';
import type { FunctionSpec } from '../expr/compile.ts';
import { ExprRuntimeError, str, type Value } from '../expr/runtime.ts';

type Parsed = NonNullable<ReturnType<typeof parsePhoneNumberFromString>>;

/**
 * Subscriber numbers repeat heavily in real feeds and libphonenumber parsing costs microseconds: memoise parses in
 * a bounded map (cleared when full), keyed by default country and text. Failures are cached too.
 */
const CACHE_MAX = 200_000;
/** the parses for one default country (a stable object, so compiled rules can hold it) */
interface CountryCache {
  byText: Map<string, Parsed | string>;
  /**
   * the same parses keyed by number: texts made of an optional '+' and up to 15 digits (separators ' ' '-' '.'
   * ignored, as libphonenumber ignores them) hash as a double instead of a string — the common case, several
   * times per record. Slot = (has '+') * 32 + digit count, so leading zeros stay distinct.
   */
  byDigits: (Map<number, Parsed | string> | undefined)[];
}

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
/** default country → its parses (two levels: no key concatenation per call) */
const cache = new Map<string, CountryCache>();
let cached = 0;

function countryCache(c: string): CountryCache {
  let cc = cache.get(c);
  if (cc === undefined) cache.set(c, (cc = { byText: new Map(), byDigits: [] }));
  return cc;
}

function parse(v: Value, country?: Value): Parsed {
  const c = country == null ? '' : typeof country === 'string' ? country : str(country);
  return parseIn(countryCache(c), v, country);
}

/** parse with the cache of the default country `country` */
function parseIn(cc: CountryCache, v: Value, country?: Value): Parsed {
  const text = typeof v === 'string' ? v : str(v);
  const k = digitKey(text);
  if (k >= 0) {
    const slot = keySlot;
    let m = cc.byDigits[slot];
    let hit = m?.get(k);
    if (hit === undefined) {
      hit = parseOrMessage(v, country);
      if (cached >= CACHE_MAX) clearAll();
      if (m === undefined) cc.byDigits[slot] = m = new Map();
      m.set(k, hit);
      cached++;
    }
    if (typeof hit === 'string') throw new ExprRuntimeError(hit);
    return hit;
  }
  let hit = cc.byText.get(text);
  if (hit === undefined) {
    hit = parseOrMessage(v, country);
    if (cached >= CACHE_MAX) clearAll();
    // the key as a string of its own: a substring of the input would keep the whole input chunk alive
    cc.byText.set((` ${text}`).slice(1), hit);
    cached++;
  }
  if (typeof hit === 'string') throw new ExprRuntimeError(hit);
  return hit;
}

function parseOrMessage(v: Value, country?: Value): Parsed | string {
  try {
    return parseUncached(v, country);
  } catch (e) {
    return (e as Error).message;
  }
}

function clearAll(): void {
  for (const x of cache.values()) {
    x.byText.clear();
    x.byDigits.length = 0;
  }
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
  fn: (p: CountryCache | null, v: Value, c?: Value) => parsed(p, v, c).number,
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
