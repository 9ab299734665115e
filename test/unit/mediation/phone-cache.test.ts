/** The phone-number cache never changes a result: numeric keys keep '+', leading zeros and length distinct. */
import { describe, expect, it } from 'vitest';
import { compileExpr } from '../../../engine/expr/compile.ts';
import { FUNCTION_REGISTRY } from '../../../engine/mediation/functions/index.ts';

const e164 = compileExpr("e164($1, 'NL')", { ordinal: true, functions: FUNCTION_REGISTRY, tables: new Map() });
const run = (s: string) => {
  try {
    return e164([s], {});
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
};

describe('e164 cache', () => {
  it('gives the same answer cached and uncached, and keeps look-alike keys apart', () => {
    const inputs = ['0612345678', '612345678', '+31612345678', '0031612345678', '06 1234 5678', '06-1234-5678', '00612345678', '+612345678', '0', '12', '+3161234567890123'];
    const first = inputs.map(run);
    const second = inputs.map(run); // now from the cache
    expect(second).toEqual(first);
    expect(first[0]).toBe('+31612345678');
    expect(first[4]).toBe('+31612345678');
    expect(first[5]).toBe('+31612345678');
    expect(first[2]).toBe('+31612345678');
    expect(first[1]).not.toBe(first[7]); // 612345678 (national, NL) vs +612345678 (Australia)
    expect(first[0]).not.toBe(first[6]); // 0612... vs 00612... (international prefix)
  });
});
