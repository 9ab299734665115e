/**
 * Issue 14: a call crossing a time-of-day change inside a duration step, in both catalog modes.
 * `window-split: increment` (ratestream): each increment is priced by the window in force where it starts.
 * `window-split: cgrates`: CGRateS timespans — a change inside a step takes effect at the next step start (inside the
 * last, open-ended step at the change); each part's cost and increment cost rounded to cgrates-rounding-decimals.
 * Expected amounts come from small oracles that restate those rules directly (per second / per part), not from the
 * rater's code, plus the literal numbers of the worked example.
 */
import { describe, expect, it } from 'vitest';
import { formatMoney, parseMoney } from '../../../engine/core/money.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { add, type Cost, roundCost, ZERO } from '../../../engine/rating/rational.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { udr, w2Catalog } from './helpers.ts';
import { lineageText } from '../../../engine/core/types.ts';

const PRICE = { OP: ['0.0688', '0.055', '0.0412'], PK: ['0.1375', '0.11', '0.0825'] } as const;
const DUR = 1918;
const PEAK = Date.parse('2026-10-09T08:00:00Z');
const m = (s: string, secs: number): Cost => ({ n: parseMoney(s) * BigInt(secs), d: 60n });
const up4 = (c: Cost) => formatMoney(roundCost(add(c, { n: parseMoney('0.05'), d: 1n }), 4, 'up'), 4);

/** ratestream rule: the 60 s first increment by the window at 0; then each second by the window where it starts */
function incrementOracle(x: number): string {
  let c = m(PRICE[0 >= x ? 'PK' : 'OP'][0], 60);
  for (let s = 60; s < DUR; s++) c = add(c, m(PRICE[s >= x ? 'PK' : 'OP'][s < 600 ? 1 : 2], 1));
  return up4(c);
}

/** CGRateS rule: parts [0,60) [60,600) [600,1918); the change x moves to the next step start unless it is in the last step */
function cgratesOracle(x: number, dec: number): string {
  const parts: [number, number, 'OP' | 'PK', number][] = [[0, 60, x <= 0 ? 'PK' : 'OP', 0], [60, 600, x <= 60 ? 'PK' : 'OP', 1]];
  if (x > 600 && x < DUR) parts.push([600, x, 'OP', 2], [x, DUR, 'PK', 2]);
  else parts.push([600, DUR, x <= 600 ? 'PK' : 'OP', 2]);
  let c: Cost = ZERO;
  for (const [a, b, w, k] of parts) {
    const n = k === 0 ? 1 : b - a;
    const span = roundCost(m(PRICE[w][k], b - a), dec, 'half-up');
    c = add(c, { n: roundCost({ n: span, d: BigInt(n) }, dec, 'half-up') * BigInt(n), d: 1n });
  }
  return up4(c);
}

function rate(text: string, x: number): { amount: string; lineage: Record<string, unknown> } {
  const res = new Rater(loadCatalogText(text), undefined, { trace: true }).rate([udr({ id: 'c', startTime: PEAK - x * 1000, quantity: DUR * 1000 })]);
  expect(res.rejects).toEqual([]);
  return { amount: formatMoney(res.charges[0]!.amount, 4), lineage: JSON.parse(lineageText(res.charges[0]!)) };
}

// where the PEAK window starts, in seconds from the call start: before the call, inside / at / around each step start
// (60 s, 600 s), inside the last step, at and after the call end
const CASES: [string, number][] = [
  ['before the call', -30], ['at the call start', 0], ['inside the first step', 30], ['at the 60 s step start', 60],
  ['just after 60 s', 61], ['inside 60–600 s (the issue: 77 s)', 77], ['just before 600 s', 599], ['at the 600 s step start', 600],
  ['just after 600 s', 601], ['inside the last step', 1000], ['at the call end', DUR], ['after the call', 2500],
];

describe('window-split: a time-of-day change before, inside and after each step boundary', () => {
  const native = loadCatalogText(w2Catalog('increment'));
  expect(native.windowSplit).toBe('increment');
  for (const [what, x] of CASES) {
    it(`increment mode, PEAK ${what} (${x} s)`, () => {
      expect(rate(w2Catalog('increment'), x).amount).toBe(incrementOracle(x));
    });
    it(`cgrates mode, PEAK ${what} (${x} s), rounding_decimals 5 and 10`, () => {
      expect(rate(w2Catalog('cgrates'), x).amount).toBe(cgratesOracle(x, 5));
      expect(rate(w2Catalog('cgrates', 10), x).amount).toBe(cgratesOracle(x, 10));
    });
  }

  it('the worked example: 2.9055 (ratestream), 2.4345 (CGRateS, rounding_decimals 5), 2.4261 (10)', () => {
    expect(rate(w2Catalog('increment'), 77).amount).toBe('2.9055');
    const cg = rate(w2Catalog('cgrates'), 77);
    expect(cg.amount).toBe('2.4345');
    expect(rate(w2Catalog('cgrates', 10), 77).amount).toBe('2.4261');
    expect(cg.lineage.segments).toEqual([
      { rate: 'op', window: 'OP', from: 0, to: 60_000, billed: 60_000, cost: '0.06880' },
      { rate: 'op', window: 'OP', from: 60_000, to: 600_000, billed: 540_000, cost: '0.49680' },
      { rate: 'pk', window: 'PK', from: 600_000, to: 1_918_000, billed: 1_318_000, cost: '1.81884' },
    ]);
    expect((cg.lineage.steps as string[]).join('\n')).toMatch(/window PK holds from 2026-10-09T08:00:00.000Z \(77 s into the usage\), inside this part/);
  });

  it('a part shorter than its increment grows to it (CGRateS roundTimeSpansToIncrement)', () => {
    // 20 s call: the 60 s first increment of the off-peak part is billed whole although PEAK starts at 10 s
    const res = new Rater(loadCatalogText(w2Catalog('cgrates'))).rate([udr({ id: 's', startTime: PEAK - 10_000, quantity: 20_000 })]);
    expect(res.charges.map((c) => [c.quantity, formatMoney(c.amount, 4)])).toEqual([[60_000, '0.1188']]);
  });

  it('a call across midnight is cut there; the steps keep counting from the call start', () => {
    const text = w2Catalog('cgrates').replace('PK: { from: "08:00" }', 'PK: { from: "08:00", days: [fri] }');
    const res = new Rater(loadCatalogText(text), undefined, { trace: true }).rate([udr({ id: 'n', startTime: Date.parse('2026-10-09T23:55:00Z'), quantity: 700_000 })]);
    // Fri 23:55 PEAK → Sat 00:00 off-peak at 300 s: inside the 60–600 s step, but CGRateS cuts at midnight first
    const seg = JSON.parse(lineageText(res.charges[0]!)).segments as { rate: string; from: number; to: number }[];
    expect(seg.map((s) => [s.rate, s.from, s.to])).toEqual([['pk', 0, 60_000], ['pk', 60_000, 300_000], ['op', 300_000, 600_000], ['op', 600_000, 700_000]]);
  });
});
