/** Phone numbers: E.164 normalisation, country and calling code (libphonenumber-js metadata). */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { FunctionSpec } from '../expr/compile.ts';
import { ExprRuntimeError, str, type Value } from '../expr/runtime.ts';

type Parsed = NonNullable<ReturnType<typeof parsePhoneNumberFromString>>;

/**
 * Subscriber numbers repeat heavily in real feeds and libphonenumber parsing costs microseconds: memoise parses in
 * a bounded map (cleared when full), keyed by default country and text. Failures are cached too.
 */
const CACHE_MAX = 200_000;
/** default country → text → parse (two levels: no key concatenation per call) */
const cache = new Map<string, Map<string, Parsed | string>>();
let cached = 0;

function parse(v: Value, country?: Value): Parsed {
  const c = country == null ? '' : typeof country === 'string' ? country : str(country);
  const text = typeof v === 'string' ? v : str(v);
  let byText = cache.get(c);
  if (byText === undefined) cache.set(c, (byText = new Map()));
  let hit = byText.get(text);
  if (hit === undefined) {
    try {
      hit = parseUncached(v, country);
    } catch (e) {
      hit = (e as Error).message;
    }
    if (cached >= CACHE_MAX) {
      cache.clear();
      cached = 0;
      cache.set(c, (byText = new Map()));
    }
    byText.set(text, hit);
    cached++;
  }
  if (typeof hit === 'string') throw new ExprRuntimeError(hit);
  return hit;
}

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
  fn: (v: Value, c?: Value) => parse(v, c).number,
};
export const country: FunctionSpec = {
  name: 'country', description: 'country(number, defaultCountry?): ISO 3166 alpha-2 country of a phone number (null when ambiguous).',
  minArgs: 1, maxArgs: 2,
  examples: [{ expr: "country('+4930123456')", result: 'DE' }],
  fn: (v: Value, c?: Value) => parse(v, c).country ?? null,
};
export const countryCode: FunctionSpec = {
  name: 'country_code', description: 'country_code(number, defaultCountry?): the calling code without "+" (e.g. 49).',
  minArgs: 1, maxArgs: 2,
  examples: [{ expr: "country_code('+31201234567')", result: '31' }],
  fn: (v: Value, c?: Value) => parse(v, c).countryCallingCode,
};
