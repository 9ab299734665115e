/** Every function's documented examples evaluate to their stated result (examples double as docs and tests). */
import { describe, expect, it } from 'vitest';
import { compileExpr } from '../../../engine/expr/compile.ts';
import { FUNCTIONS, FUNCTION_REGISTRY } from '../../../engine/mediation/functions/index.ts';
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
  it('rejects impossible dates through the fallback', () => {
    const t = compileExpr("time('20230229120000', 'yyyyMMddHHmmss')", ctx);
    expect(() => t([], Object.create(null))).toThrow(/does not match/);
  });
});
