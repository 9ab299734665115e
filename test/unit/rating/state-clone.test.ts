/** The changelog copies of rating state values (state.ts cloneValue) equal the JSON round trip they replace, and are deep. */
import { describe, expect, it } from 'vitest';
import { cloneValue, type StateArea } from '../../../engine/rating/state.ts';

const VALUES: [StateArea, unknown][] = [
  ['services', { account: 'a', type: 't', plan: 'p', state: 'active', since: 5, log: [{ state: 'active', at: 5, cause: 'catalog' }] }],
  ['firstUse', { total: 3, recent: [[1, 2], [3, 4]] }],
  ['pools', { size: 100, used: 40, start: 0, end: 10, fired: [80] }],
  ['tiers', 1234],
  ['contracts', { spend: '100', usage: { voice: '5' }, volume: { voice: 7 } }],
  ['sessions', { start: 1, quantity: 2, billed: 3, amount: '40', seq: 1, parts: 2 }],
];

describe('cloneValue', () => {
  for (const [area, v] of VALUES) {
    it(`${area}: same JSON as the round trip, no shared objects`, () => {
      const c = cloneValue(area, v);
      expect(JSON.stringify(c)).toBe(JSON.stringify(JSON.parse(JSON.stringify(v))));
      if (typeof v === 'object') {
        expect(c).not.toBe(v);
        for (const k of Object.keys(v as object)) {
          const x = (v as Record<string, unknown>)[k];
          if (x && typeof x === 'object') expect((c as Record<string, unknown>)[k]).not.toBe(x);
        }
      }
    });
  }
});
