/** Explicit registry of rule functions. A test fails when a file in this folder exports a spec not listed here. */
import type { FunctionSpec } from '../../expr/compile.ts';
import * as text from './text.ts';
import * as regex from './regex.ts';
import * as math from './math.ts';
import * as phone from './phone.ts';
import * as datetime from './datetime.ts';
import * as units from './units.ts';
import * as lookup from './lookup.ts';
import * as hash from './hash.ts';
import * as identifiers from './identifiers.ts';
import * as network from './network.ts';

export const FUNCTIONS: readonly FunctionSpec[] = [
  text.lower, text.upper, text.trim, text.substr, text.concat, text.coalesce, text.padLeft,
  regex.replace, regex.matches, regex.extract,
  math.sum, math.multiply, math.divide, math.round, math.toNumber,
  phone.e164, phone.country, phone.countryCode,
  datetime.time, datetime.formatTime,
  units.duration, units.bytes, units.convert, units.clock,
  lookup.lookup, lookup.prefixLookup,
  hash.hash,
  identifiers.digits, identifiers.imsi, identifiers.iccid, identifiers.mac, identifiers.uuid,
  network.mccMnc,
];

export const FUNCTION_REGISTRY: ReadonlyMap<string, FunctionSpec> = new Map(FUNCTIONS.map((f) => [f.name, f]));
