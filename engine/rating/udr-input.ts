/**
 * A UDR from a loose JSON object (the `rate` command, rating scenarios, catalog tests): missing fields get defaults,
 * `startTime` an ISO time or epoch ms, and `usage` is read in the record's unit: for ms a duration ("90s", "1m30s";
 * a bare number is seconds), for byte a data quantity ("2MB", "1KiB"; a bare number is bytes), otherwise a whole
 * number of that unit. Without `unit`, the unit follows the usage class (`unitOf`, e.g. from the catalog's rates);
 * failing that, the usual unit of the class (data → byte; sms, mms, event → event), else ms.
 */
import type { Udr } from '../core/types.ts';
import { parseDuration } from '../mediation/functions/units.ts';
import type { CompiledCatalog } from './catalog.ts';
import { parseQuantity } from './units.ts';

/** The fields `toUdr` reads, for help texts: [field (aliases), meaning]. */
export const UDR_INPUT_FIELDS: readonly [string, string][] = [
  ['id', 'record id (charge ids derive from it; default udr-<n>)'],
  ['account', 'account id'],
  ['service', 'service id (its plan and state; optional)'],
  ['usageClass (class)', 'usage class, e.g. voice, sms, data (default call)'],
  ['destination', 'called number / destination (longest prefix selects the rate)'],
  ['origin', 'calling number'],
  ['startTime (start)', 'ISO time or epoch ms (default 1970-01-01T00:00:00Z)'],
  ['usage', 'amount used, read in the unit: ms → "90s", "1m30s" (bare number = seconds); byte → "2MB", "1KiB" (bare number = bytes); other units → whole number'],
  ['quantity', 'amount used as an integer in the unit (instead of usage)'],
  ['unit', 'ms, byte, event or a custom unit (default: the unit of the catalog\'s rates for the usage class, else byte for data, event for sms/mms/event, else ms)'],
  ['attrs', 'object of extra fields (country, location, measures, onNet...)'],
  ['ratingKey, feed, source, rulesVersion', 'passed through (defaults: account, cli, cli:<n>, empty)'],
];

/** The unit of a usage class when every rate of the catalog pricing it (measures aside) uses the same one. */
export function catalogUnitOf(cat: CompiledCatalog): (usageClass: string) => string | undefined {
  const units = new Map<string, Set<string>>();
  for (const p of cat.plans.values()) for (const ix of p.index.values()) for (const r of ix.rates) {
    if (r.measure) continue;
    const s = units.get(r.usageClass) ?? new Set<string>();
    s.add(r.unit);
    units.set(r.usageClass, s);
  }
  for (const sp of cat.sharePlans) if (!units.has(sp.bucketClass)) units.set(sp.bucketClass, new Set([sp.unit]));
  return (uc) => {
    const s = units.get(uc);
    return s && s.size === 1 ? [...s][0] : undefined;
  };
}

/** the usual unit of a usage class the catalog does not price in one unit */
export const CLASS_UNITS: Readonly<Record<string, string>> = { data: 'byte', sms: 'event', mms: 'event', event: 'event' };

function usageIn(v: unknown, unit: string): number {
  if (unit === 'ms') return parseDuration(String(v), 's');
  return parseQuantity(String(v), unit);
}

export function toUdr(o: Record<string, unknown>, n: number, unitOf?: (usageClass: string) => string | undefined): Udr {
  const start = typeof o.startTime === 'number' ? o.startTime : Date.parse(String(o.startTime ?? o.start ?? '1970-01-01T00:00:00Z'));
  const usageClass = String(o.usageClass ?? o.class ?? 'call');
  const unit = o.unit !== undefined ? String(o.unit) : unitOf?.(usageClass) ?? CLASS_UNITS[usageClass] ?? 'ms';
  const quantity = o.quantity !== undefined ? Number(o.quantity) : o.usage !== undefined ? usageIn(o.usage, unit) : 0;
  if (!Number.isFinite(start)) throw new Error(`startTime ${JSON.stringify(o.startTime ?? o.start)} is not an ISO time or epoch ms`);
  if (!Number.isFinite(quantity) || quantity < 0) throw new Error(`quantity ${JSON.stringify(o.quantity)} is not a non-negative number of ${unit}`);
  const account = String(o.account ?? '');
  return {
    id: String(o.id ?? `udr-${n}`), feed: String(o.feed ?? 'cli'), usageClass, account,
    service: String(o.service ?? ''), ratingKey: String(o.ratingKey ?? account), startTime: start, quantity, unit,
    origin: String(o.origin ?? ''), destination: String(o.destination ?? ''), attrs: (o.attrs as Record<string, string>) ?? {},
    source: String(o.source ?? `cli:${n}`), rulesVersion: String(o.rulesVersion ?? ''),
  };
}
