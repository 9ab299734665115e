/**
 * MonthSplit (engine/store/month-split.ts): rows go to the block of their UTC month (the ledger's partitions), the
 * blocks come out oldest first, and a month that gathered nothing since the last reset is dropped.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Charge } from '../../../engine/core/types.ts';
import { ChargeBlock } from '../../../engine/store/ledger-native.ts';
import { MonthSplit } from '../../../engine/store/month-split.ts';
import { NativeBlockWriter, StringColumn } from '../../../engine/store/native.ts';

/** one String column per month, remembering what it was given */
class Probe {
  readonly values: string[] = [];
  private readonly col = new StringColumn('v', { constant: false });
  readonly block = new NativeBlockWriter([this.col] as never);
  put(v: string): void {
    this.values.push(v);
    this.col.put(v);
    this.block.row();
  }
}

const yyyymm = (ms: number) => {
  const d = new Date(ms);
  return String(d.getUTCFullYear() * 100 + d.getUTCMonth() + 1);
};

describe('MonthSplit', () => {
  it('puts each row in its UTC month, at the boundaries too, and gives the months oldest first', () => {
    const made: Probe[] = [];
    const s = new MonthSplit(() => {
      const p = new Probe();
      made.push(p);
      return p;
    });
    const times = [Date.UTC(2026, 9, 1), Date.UTC(2026, 8, 30, 23, 59, 59, 999), Date.UTC(2026, 9, 31, 23, 59, 59, 999), Date.UTC(2026, 10, 1),
      Date.UTC(2026, 8, 1), Date.UTC(2025, 11, 31, 23, 59, 59, 999), Date.UTC(2026, 0, 1)];
    for (const t of times) s.at(t).put(String(t));
    expect(s.rows).toBe(times.length);
    const blocks = s.finish();
    expect(blocks.map((b) => [b.partition, b.rows])).toEqual([['202512', 1], ['202601', 1], ['202609', 2], ['202610', 2], ['202611', 1]]);
    expect(made).toHaveLength(5);
    for (const p of made) for (const v of p.values) expect(yyyymm(Number(v))).toBe(yyyymm(Number(p.values[0])));
  });

  it('agrees with the UTC calendar for any time (property), whatever the order of the rows', () => {
    const lo = Date.UTC(1970, 0, 1);
    const hi = Date.UTC(2299, 11, 31);
    fc.assert(fc.property(fc.array(fc.integer({ min: lo, max: hi }), { minLength: 1, maxLength: 60 }), (times) => {
      const s = new MonthSplit(() => new Probe());
      for (const t of times) s.at(t).put(String(t));
      const blocks = s.finish();
      expect(blocks.reduce((n, b) => n + b.rows, 0)).toBe(times.length);
      expect(blocks.map((b) => b.partition)).toEqual([...new Set(times.map(yyyymm))].sort((a, b) => Number(a) - Number(b)));
    }));
  });

  it('reset empties the months it used and drops the ones it did not', () => {
    const made: Probe[] = [];
    const s = new MonthSplit((rows) => {
      const p = new Probe();
      if (rows) p.block.reserve(rows);
      made.push(p);
      return p;
    }, 100);
    s.at(Date.UTC(2026, 8, 30)).put('a');
    s.at(Date.UTC(2026, 9, 1)).put('b');
    s.finish();
    s.reset();
    expect(s.rows).toBe(0);
    // October again: its columns are reused, September's are kept one more insert (used in the last one)
    s.at(Date.UTC(2026, 9, 2)).put('c');
    expect(made).toHaveLength(2);
    expect(s.finish().map((b) => [b.partition, b.rows])).toEqual([['202610', 1]]);
    s.reset();
    // September gathered nothing in that insert: dropped, so a September row now gets fresh columns
    s.at(Date.UTC(2026, 8, 3)).put('d');
    expect(made).toHaveLength(3);
    expect(s.finish().map((b) => [b.partition, b.rows])).toEqual([['202609', 1]]);
  });

  it('an invalid time still gets a block (ClickHouse places its row)', () => {
    const s = new MonthSplit(() => new Probe());
    s.at(Number.NaN).put('x');
    s.at(Date.UTC(2026, 9, 1)).put('y');
    expect(s.finish().map((b) => b.rows).sort()).toEqual([1, 1]);
  });

  it('ChargeBlock splits by event_time', () => {
    const charge = (eventTime: number): Charge => ({
      id: `C${eventTime}`, udrId: 'U', account: 'a', ratingKey: 'a', service: '', usageClass: 'voice', kind: 'usage', product: 'p', plan: 'b',
      rateId: 'r', matched: '*any', quantity: 1, unit: 'ms', amount: 1n, currency: 'EUR', eventTime, source: 'f:1', rulesVersion: 'r1',
      catalogVersion: 'c1', lineage: '{}',
    });
    const b = new ChargeBlock();
    for (const t of [Date.UTC(2026, 9, 1), Date.UTC(2026, 8, 30), Date.UTC(2026, 9, 2)]) b.put(charge(t), 'feed');
    expect(b.finish().map((x) => [x.partition, x.rows])).toEqual([['202609', 1], ['202610', 2]]);
  });
});
