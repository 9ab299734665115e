import { describe, expect, it } from 'vitest';
import { roundCost } from '../../../engine/rating/rational.ts';
import { catalogWith, rateAll, udr } from './helpers.ts';

describe('rounding modes (table)', () => {
  // exact 0.125 (and -0.125 for symmetry) to 2 decimals
  const table: [string, bigint, bigint][] = [
    ['up', 1_250_000_000n, 1_300_000_000n], ['down', 1_250_000_000n, 1_200_000_000n], ['half-up', 1_250_000_000n, 1_300_000_000n],
    ['half-even', 1_250_000_000n, 1_200_000_000n], ['half-down', 1_250_000_000n, 1_200_000_000n],
    ['half-even', 1_350_000_000n, 1_400_000_000n], ['half-up', 1_240_000_000n, 1_200_000_000n], ['up', 1_200_000_001n, 1_300_000_000n],
  ];
  for (const [mode, v, want] of table) {
    it(`${mode} ${v}`, () => expect(roundCost({ n: v, d: 1n }, 2, mode as never)).toBe(want));
  }
  it('rounding is a per-rate explicit point: telecom LA day 184.5 min × 0.17 = 31.365', () => {
    const rates = ['half-up', 'half-even', 'down', 'up'].map((m) => `{ id: ${m}, usage-class: ${m}, price: "0.17", per: 1min, rounding: { mode: ${m}, decimals: 2 } }`);
    const { amounts } = rateAll(catalogWith(rates), ['half-up', 'half-even', 'down', 'up'].map((m) => udr({ id: m, usageClass: m, quantity: 11_070_000 })));
    expect(amounts).toEqual(['31.3700000000', '31.3600000000', '31.3600000000', '31.3700000000']);
  });
});
