/** Run counters with charging runs: non-billable runs' costs are totalled apart from the billable amounts. */
import { describe, expect, it } from 'vitest';
import { emptyTotals, renderSummary } from '../../../engine/cli/summary.ts';
import { countCharges, countUdrs, emptyCounters } from '../../../engine/core/counters.ts';
import { formatMoney, parseMoney } from '../../../engine/core/money.ts';
import type { Charge, Udr } from '../../../engine/core/types.ts';

const charge = (amount: string, run?: string, billable?: boolean): Charge => ({
  id: `${run}-${amount}`, udrId: 'u', account: 'a', ratingKey: 'a', service: '', usageClass: 'voice', kind: 'usage', product: 'p', plan: 'p', rateId: 'r',
  matched: '', quantity: 1, unit: 'ms', amount: parseMoney(amount), currency: 'EUR', eventTime: 0, source: 's', rulesVersion: '', catalogVersion: '', lineage: '{}',
  ...(run ? { run } : {}), ...(billable === undefined ? {} : { billable }),
});

describe('countCharges with charging runs', () => {
  const table: [string, Charge[], Record<string, string>][] = [
    ['no runs: one total per currency', [charge('0.41'), charge('0.17')], { EUR: '0.5800' }],
    ['retail and wholesale: the cost apart', [charge('0.41', 'retail', true), charge('0.0775', 'wholesale', false), charge('0.4', 'retail', true), charge('0.0483', 'wholesale', false)],
      { EUR: '0.8100', 'EUR (not billable)': '0.1258' }],
  ];
  for (const [name, charges, want] of table) {
    it(name, () => {
      const t = emptyTotals();
      countCharges(t, charges);
      expect(t.charges).toBe(charges.length);
      expect(Object.fromEntries(Object.entries(t.amounts).map(([k, v]) => [k, formatMoney(v, 4)]))).toEqual(want);
    });
  }

  it('the summary prints the billable total first, then the cost', () => {
    const t = emptyTotals();
    countCharges(t, [charge('0.0775', 'wholesale', false), charge('0.41', 'retail', true)]);
    expect(renderSummary(t, 'x').split('\n').filter((l) => l.startsWith('total'))).toEqual(['total EUR       0.41', 'total EUR (not billable)  0.08']);
  });
});

describe('countUdrs', () => {
  it('sums quantities per unit, units interleaved, across batches, past 2^31', () => {
    const u = (unit: string, quantity: number) => ({ unit, quantity }) as Udr;
    const c = emptyCounters();
    countUdrs(c, [u('ms', 2 ** 31), u('ms', 5), u('byte', 7), u('ms', 1), u('event', 1), u('event', 1)]);
    countUdrs(c, []);
    countUdrs(c, [u('byte', 3), u('ms', 2 ** 40)]);
    expect(c.udrs).toBe(8);
    expect(c.quantity).toEqual({ ms: 2 ** 31 + 6 + 2 ** 40, byte: 10, event: 2 });
  });
});
