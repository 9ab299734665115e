/** Phone numbers: E.164 normalisation, country and calling code (libphonenumber-js metadata). */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { FunctionSpec } from '../expr/compile.ts';
import { ExprRuntimeError, str, type Value } from '../expr/runtime.ts';

function parse(v: Value, country?: Value) {
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
