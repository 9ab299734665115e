/**
 * A UDR from a loose JSON object (the `rate` command, rating scenarios, catalog tests): missing fields get defaults,
 * `usage` accepts "90s" / "1m30s", `startTime` an ISO time or epoch ms.
 */
import type { Udr } from '../core/types.ts';
import { parseDuration } from '../mediation/functions/units.ts';

export function toUdr(o: Record<string, unknown>, n: number): Udr {
  const start = typeof o.startTime === 'number' ? o.startTime : Date.parse(String(o.startTime ?? o.start ?? '1970-01-01T00:00:00Z'));
  const quantity = o.quantity !== undefined ? Number(o.quantity) : o.usage !== undefined ? parseDuration(String(o.usage), 's') : 0;
  const account = String(o.account ?? '');
  return {
    id: String(o.id ?? `udr-${n}`), feed: String(o.feed ?? 'cli'), usageClass: String(o.usageClass ?? o.class ?? 'call'), account,
    service: String(o.service ?? ''), ratingKey: String(o.ratingKey ?? account), startTime: start, quantity, unit: String(o.unit ?? 'ms'),
    origin: String(o.origin ?? ''), destination: String(o.destination ?? ''), attrs: (o.attrs as Record<string, string>) ?? {},
    source: String(o.source ?? `cli:${n}`), rulesVersion: String(o.rulesVersion ?? ''),
  };
}
