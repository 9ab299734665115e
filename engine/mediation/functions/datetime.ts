/** Date/time normalisation to epoch milliseconds (UTC) with explicit formats and time zones (luxon). */
import { DateTime } from 'luxon';
import type { FunctionSpec } from '../expr/compile.ts';
import { ExprRuntimeError, str, type Value } from '../expr/runtime.ts';

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
    default: dt = DateTime.fromFormat(s, format, { zone });
  }
  if (!dt.isValid) throw new ExprRuntimeError(`${JSON.stringify(s)} does not match time format ${JSON.stringify(format)} (${dt.invalidExplanation ?? dt.invalidReason})`);
  return dt.toMillis();
}

export const time: FunctionSpec = {
  name: 'time', description: "time(text, format, zone?): epoch milliseconds. Formats: iso, sql, epoch, epoch_ms or a luxon pattern; zone default UTC.",
  minArgs: 2, maxArgs: 3,
  examples: [
    { expr: "time('2013-02-03 19:54:00', 'sql', 'Europe/Berlin')", result: 1359917640000 },
    { expr: "time('20120708181506', 'yyyyMMddHHmmss', 'UTC')", result: 1341771306000 },
  ],
  fn: (v: Value, f: Value, z?: Value) => parseTime(v, str(f), z == null ? 'UTC' : str(z)),
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
