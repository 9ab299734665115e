/**
 * localTime keeps the calendar fields of the day its scratch object already holds: a reused object gives the same
 * fields as a fresh one for any sequence of instants (same day, next day, back in time, across DST changes, 1970-01-01).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localTime, newLocalTime, ZoneClock } from '../../../engine/rating/windows.ts';

describe('localTime', () => {
  it('a reused LocalTime equals a fresh one for any sequence of instants', () => {
    for (const zone of ['Europe/Amsterdam', 'UTC', 'America/New_York']) {
      const clock = new ZoneClock(zone);
      const reused = newLocalTime();
      const t0 = Date.parse('2026-03-28T00:00:00Z');
      const near = fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }).map((d) => t0 + d);
      const any = fc.integer({ min: 0, max: 4_102_444_800_000 });
      fc.assert(fc.property(fc.array(fc.oneof(near, any, fc.constantFrom(0, 1, 86_399_999, 86_400_000)), { maxLength: 40 }), (ts) => {
        for (const t of ts) expect({ ...localTime(clock, t, reused) }).toEqual({ ...localTime(clock, t, newLocalTime()) });
      }), { numRuns: 300 });
      // 1970-01-01 (day 0) is a Thursday: a fresh object holds no day yet
      if (zone === 'UTC') expect(localTime(clock, 1000, newLocalTime()).weekday).toBe(4);
    }
  });
});
