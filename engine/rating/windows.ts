/**
 * Time-of-day / day-of-week windows in a stated time zone. Compiled once; lookups are integer arithmetic on epoch
 * milliseconds plus a cached zone offset (luxon computes an offset at most once per zone-hour).
 *
 * A window holds at instant t when t's local date matches `days`/`months`/`monthdays`/`years` (each optional) and
 * `from <= local time < to`. Conditions on the date change only at local midnight, so the instants where any window
 * may start or stop holding ("edges") are its from/to times and local midnights.
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const timeOfDay = z.string().regex(/^([01]?\d|2[0-4]):[0-5]\d(:[0-5]\d)?$/, 'HH:MM or HH:MM:SS (24:00 = end of day)');

export const windowSchema = z.object({
  days: z.array(z.enum(DAY_NAMES)).optional().describe('days of week (mon..sun); omitted = every day'),
  from: timeOfDay.default('00:00').describe('local start time (inclusive)'),
  to: timeOfDay.default('24:00').describe('local end time (exclusive); 24:00 = midnight'),
  months: z.array(z.coerce.number().int().min(1).max(12)).optional(),
  monthdays: z.array(z.coerce.number().int().min(1).max(31)).optional(),
  years: z.array(z.coerce.number().int().min(1970).max(9999)).optional(),
  description: z.string().optional(),
}).strict();

export type WindowConfig = z.output<typeof windowSchema>;

const DAY = 86_400_000;

function tod(text: string): number {
  const [h, m, s] = text.split(':').map(Number);
  return ((h! * 60 + m!) * 60 + (s ?? 0)) * 1000;
}

/** slots of ZoneClock's direct-mapped hour cache (a power of two) */
const HOUR_SLOTS = 4096;

/** Zone offset (ms) with a per-hour cache: a direct-mapped table of recent hours in front of a Map of every hour seen. */
export class ZoneClock {
  private readonly zone?: IANAZone;
  private readonly cache = new Map<number, number>();
  /** hour (epoch hours) held in each slot (NaN: none), and its offset */
  private readonly slotHour = new Float64Array(HOUR_SLOTS).fill(NaN);
  private readonly slotOffset = new Float64Array(HOUR_SLOTS);
  constructor(readonly name: string) {
    if (name !== 'UTC' && name !== 'Etc/UTC') {
      const z = IANAZone.create(name);
      if (!z.isValid) throw new Error(`unknown time zone ${JSON.stringify(name)} (use an IANA name such as Europe/Amsterdam)`);
      this.zone = z;
    }
  }
  offset(t: number): number {
    if (!this.zone) return 0;
    const h = Math.floor(t / 3_600_000);
    const slot = h & (HOUR_SLOTS - 1);
    if (this.slotHour[slot] === h) return this.slotOffset[slot]!;
    let o = this.cache.get(h);
    if (o === undefined) {
      o = this.zone.offset(t) * 60_000;
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(h, o);
    }
    this.slotHour[slot] = h;
    this.slotOffset[slot] = o;
    return o;
  }
  /** epoch of a local wall-clock instant (ms since 1970 in local time) */
  epochOfLocal(local: number): number {
    let e = local - this.offset(local);
    e = local - this.offset(e);
    return e;
  }
}

/** Local calendar fields of an instant (no allocation beyond the returned object reused by the caller). */
export interface LocalTime {
  local: number; // local ms since epoch
  dayStart: number; // local ms at local midnight
  tod: number; // ms since local midnight
  weekday: number; // 1 = Monday .. 7 = Sunday
  year: number;
  month: number;
  day: number;
}

export function localTime(clock: ZoneClock, t: number, out: LocalTime): LocalTime {
  const local = t + clock.offset(t);
  const days = Math.floor(local / DAY);
  const dayStart = days * DAY;
  out.local = local;
  out.tod = local - dayStart;
  // the calendar fields of the day `out` already holds are kept (a scratch object sees the same day again and again)
  if (out.dayStart === dayStart) return out;
  out.dayStart = dayStart;
  out.weekday = ((days % 7) + 7 + 3) % 7 + 1;
  // civil from days (H. Hinnant)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  out.day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = yoe + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

/** a LocalTime to pass to localTime (dayStart NaN: no day held yet) */
export function newLocalTime(): LocalTime {
  return { local: 0, dayStart: NaN, tod: 0, weekday: 1, year: 1970, month: 1, day: 1 };
}

export class TimeWindow {
  readonly from: number;
  readonly to: number;
  private readonly days?: Set<number>;
  private readonly months?: Set<number>;
  private readonly monthdays?: Set<number>;
  private readonly years?: Set<number>;
  /** holds at every instant (00:00–24:00, no date conditions): selection needs no local time */
  readonly always: boolean;
  constructor(readonly id: string, cfg: WindowConfig) {
    this.from = tod(cfg.from);
    this.to = tod(cfg.to);
    if (this.to <= this.from) throw new Error(`window ${id}: "to" (${cfg.to}) must be after "from" (${cfg.from}); split overnight windows in two`);
    if (this.to > DAY) throw new Error(`window ${id}: "to" is after 24:00`);
    if (cfg.days) this.days = new Set(cfg.days.map((d) => DAY_NAMES.indexOf(d) + 1));
    if (cfg.months) this.months = new Set(cfg.months);
    if (cfg.monthdays) this.monthdays = new Set(cfg.monthdays);
    if (cfg.years) this.years = new Set(cfg.years);
    this.always = this.from === 0 && this.to === DAY && !cfg.days && !cfg.months && !cfg.monthdays && !cfg.years;
  }
  /** does the window hold at this local time */
  holds(lt: LocalTime): boolean {
    if (lt.tod < this.from || lt.tod >= this.to) return false;
    return this.matchesDate(lt);
  }
  /** do the date conditions (days, months, monthdays, years) hold on lt's local day */
  matchesDate(lt: LocalTime): boolean {
    if (this.days && !this.days.has(lt.weekday)) return false;
    if (this.months && !this.months.has(lt.month)) return false;
    if (this.monthdays && !this.monthdays.has(lt.day)) return false;
    if (this.years && !this.years.has(lt.year)) return false;
    return true;
  }
  /** next local-time-of-day edge strictly after lt.tod on the same local day (or DAY = midnight) */
  nextEdgeTod(lt: LocalTime): number {
    if (lt.tod < this.from) return this.from;
    if (lt.tod < this.to) return this.to;
    return DAY;
  }
  describe(): string {
    const f = (ms: number) => `${String(Math.floor(ms / 3_600_000)).padStart(2, '0')}:${String(Math.floor(ms / 60_000) % 60).padStart(2, '0')}`;
    const parts = [`${f(this.from)}-${f(this.to)}`];
    if (this.days) parts.push([...this.days].map((d) => DAY_NAMES[d - 1]).join(','));
    if (this.months) parts.push(`months ${[...this.months].join(',')}`);
    if (this.monthdays) parts.push(`days ${[...this.monthdays].join(',')}`);
    if (this.years) parts.push(`years ${[...this.years].join(',')}`);
    return parts.join(' ');
  }
}

/** The always-open window used by rates without `window` (CGRateS *any: 00:00 every day). */
export const ALWAYS = new TimeWindow('*any', { from: '00:00', to: '24:00' });

/** Epoch of the next instant after t at which any of `windows` may change (their edges, local midnight). */
export function nextEdge(clock: ZoneClock, t: number, lt: LocalTime, windows: readonly TimeWindow[]): number {
  let best = DAY;
  for (let i = 0; i < windows.length; i++) {
    const e = windows[i]!.nextEdgeTod(lt);
    if (e < best) best = e;
  }
  const e = clock.epochOfLocal(lt.dayStart + best);
  return e > t ? e : t + 1;
}
