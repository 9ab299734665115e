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
}
/** default country → its parses (two levels: no key concatenation per call) */
const cache = new Map<string, CountryCache>();
let cached = 0;

function countryCache(c: string): CountryCache {
  let cc = cache.get(c);
  if (cc === undefined) cache.set(c, (cc = { byText: new Map() }));
  return cc;
}

function parse(v: Value, country?: Value): Parsed {
  const c = country == null ? '' : typeof country === 'string' ? country : str(country);
  return parseIn(countryCache(c), v, country);
}

/** parse with the cache of the default country `country` */
function parseIn(cc: CountryCache, v: Value, country?: Value): Parsed {
  const text = typeof v === 'string' ? v : str(v);
  let hit = cc.byText.get(text);
  if (hit === undefined) {
    try {
      hit = parseUncached(v, country);
    } catch (e) {
      hit = (e as Error).message;
    }
    if (cached >= CACHE_MAX) {
      for (const x of cache.values()) x.byText.clear();
      cached = 0;
    }
    // the key as a string of its own: a substring of the input would keep the whole input chunk alive
    cc.byText.set((` ${text}`).slice(1), hit);
    cached++;
  }
  if (typeof hit === 'string') throw new ExprRuntimeError(hit);
  return hit;
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
