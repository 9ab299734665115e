/** Every function's documented examples evaluate to their stated result (examples double as docs and tests). */
import { describe, expect, it } from 'vitest';
import { compileExpr } from '../../../engine/expr/compile.ts';
import { FUNCTIONS, FUNCTION_REGISTRY } from '../../../engine/mediation/functions/index.ts';
import { DateTime } from 'luxon';
import { compileFastTime, fastTime, parseTime } from '../../../engine/mediation/functions/datetime.ts';

const ctx = { ordinal: true, functions: FUNCTION_REGISTRY, tables: new Map() };

describe('function examples', () => {
  for (const f of FUNCTIONS) {
    for (const ex of f.examples) {
      it(`${ex.expr} = ${JSON.stringify(ex.result)}`, () => {
        expect(compileExpr(ex.expr, ctx)(ex.record ?? [], Object.create(null))).toEqual(ex.result);
      });
    }
  }
});

describe('time() fast path agrees with luxon', () => {
  const cases: [string, string, string][] = [
    ['2022-03-27 01:59:00', 'sql', 'Europe/Berlin'],
    ['2022-03-27 03:00:00', 'sql', 'Europe/Berlin'],
    ['2022-10-30 02:30:00', 'sql', 'Europe/Berlin'],
    ['2022-10-30 03:30:00', 'sql', 'Europe/Berlin'],
    ['20240229235959', 'yyyyMMddHHmmss', 'UTC'],
    ['20160419210006.813', 'yyyyMMddHHmmss.SSS', 'UTC+02:00'],
    ['2024-07-01 12:00:00', 'yyyy-MM-dd HH:mm:ss', 'America/New_York'],
  ];
  for (const [s, f, z] of cases) {
    it(`${s} ${f} ${z}`, () => {
      const p = compileFastTime(f, z)!;
      const fast = fastTime(p, s);
      const slow = parseTime(s, f, z);
      if (Number.isNaN(fast)) expect(slow).toBeTypeOf('number'); // fell back: the function uses luxon
      else expect(fast).toBe(slow);
    });
  }
  it('agrees with luxon at every hour of two years (DST days included), in zones with and without transitions', () => {
    for (const z of ['Europe/Amsterdam', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago']) {
      const p = compileFastTime('yyyy-MM-dd HH:mm:ss', z)!;
      const bad: string[] = [];
      // days in random order (the day cache and the hour cache both get exercised, transition days among them)
      const days = Array.from({ length: 731 }, (_, i) => i).sort((a, b) => ((a * 7919) % 731) - ((b * 7919) % 731));
      for (const i of days) {
        const day = new Date(Date.UTC(2023, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
        for (let h = 0; h < 24; h++) {
          for (const m of ['00:00', '30:17', '59:59']) {
            const s = `${day} ${String(h).padStart(2, '0')}:${m}`;
            const fast = fastTime(p, s);
            if (Number.isNaN(fast)) continue; // fell back to luxon: the function's answer is luxon's
            const slow = parseTime(s, 'yyyy-MM-dd HH:mm:ss', z);
            if (fast !== slow) bad.push(`${z} ${s}: ${fast} vs ${slow}`);
          }
        }
      }
      expect(bad.slice(0, 5)).toEqual([]);
    }
  });
  it('the fallback (a parser built once per pattern) gives luxon fromFormat\'s result and error, also on the second call', () => {
    const cases: [string, string, string][] = [
      ['2026-10-01T25:99', 'yyyy-MM-dd HH:mm:ss', 'Europe/Amsterdam'],
      ['2026-10-01 7:05:09', 'yyyy-MM-dd H:mm:ss', 'UTC'],
      ['1/2/2026 13:04', 'M/d/yyyy HH:mm', 'America/New_York'],
      ['03 Feb 2013 19:54', 'dd MMM yyyy HH:mm', 'Europe/Berlin'],
      ['20230229120000', 'yyyyMMddHHmmss', 'UTC'],
      ['2026-13-01', 'yyyy-MM-dd', 'UTC'],
      ['not a time', 'yyyyMMdd', 'UTC+02:00'],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [s, f, z] of cases) {
        const dt = DateTime.fromFormat(s, f, { zone: z });
        if (dt.isValid) expect(parseTime(s, f, z)).toBe(dt.toMillis());
        else expect(() => parseTime(s, f, z)).toThrow(`${JSON.stringify(s)} does not match time format ${JSON.stringify(f)} (${dt.invalidExplanation ?? dt.invalidReason})`);
      }
    }
  });
  it('rejects impossible dates through the fallback', () => {
    const t = compileExpr("time('20230229120000', 'yyyyMMddHHmmss')", ctx);
    expect(() => t([], Object.create(null))).toThrow(/does not match/);
  });
});
