/**
 * MonthSplit (engine/store/month-split.ts): rows go to the block of their UTC month (the ledger's partitions), the
 * blocks come out oldest first, a new month takes over the columns of a month idle in the insert, and at most one idle
 * month's columns are kept past a reset.
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

  it('reset empties the months it used; a new month takes over an idle month\'s columns; one idle month is kept', () => {
    const made: Probe[] = [];
    const s = new MonthSplit((rows) => {
      const p = new Probe();
      if (rows) p.block.reserve(rows);
      made.push(p);
      return p;
    }, 100);
    const month = (m: number, d = 2) => Date.UTC(2026, m, d);
    s.at(month(8, 30)).put('a');
    s.at(month(9, 1)).put('b');
    s.finish();
    s.reset();
    expect(s.rows).toBe(0);
    // October again: its columns are reused; September's stay (used in the last insert)
    s.at(month(9)).put('c');
    expect(made).toHaveLength(2);
    expect(s.finish().map((b) => [b.partition, b.rows])).toEqual([['202610', 1]]);
    s.reset();
    // September gathered nothing in that insert: kept as the spare, and November takes its columns over
    const sept = made[0]!;
    expect(s.at(month(10))).toBe(sept);
    s.at(month(10)).put('d');
    expect(made).toHaveLength(2);
    expect(s.finish().map((b) => [b.partition, b.rows])).toEqual([['202611', 1]]);
    s.reset();
    // three months in one insert, then one: two months are idle at the reset, one is kept, one dropped
    for (const m of [0, 1, 2]) s.at(Date.UTC(2027, m, 2)).put(String(m));
    expect(made).toHaveLength(3);
    s.reset();
    s.at(Date.UTC(2027, 3, 2)).put('apr');
    s.reset();
    // the months of the last insert (April: one set) and one spare: a fourth month needs new columns again
    for (const m of [4, 5, 6]) s.at(Date.UTC(2027, m, 2)).put(String(m));
    expect(made).toHaveLength(4);
    expect(s.finish().map((b) => [b.partition, b.rows])).toEqual([['202705', 1], ['202706', 1], ['202707', 1]]);
  });

  it('a month that takes over columns writes the same block as fresh columns', () => {
    const charge = (eventTime: number, i: number): Charge => ({
      id: `C${i}`, udrId: `U${i}`, account: `a${i % 3}`, ratingKey: 'a', service: '', usageClass: 'voice', kind: 'usage', product: 'p', plan: 'b',
      rateId: 'r', matched: '*any', quantity: i, unit: 'ms', amount: BigInt(i * 7), currency: 'EUR', eventTime, source: `f:${i}`, rulesVersion: 'r1',
      catalogVersion: 'c1', lineage: `{"i":${i}}`,
    });
    const bytes = (b: { parts: Uint8Array[] }) => Buffer.concat(b.parts.map((p) => Buffer.from(p)));
    const reused = new ChargeBlock();
    // September, with different values (a long lineage, other accounts), then an insert of October only
    for (let i = 0; i < 50; i++) reused.put({ ...charge(Date.UTC(2026, 8, 3), i), lineage: 'x'.repeat(500), account: 'other' }, 'feed');
    reused.finish();
    reused.reset();
    for (let i = 0; i < 5; i++) reused.put(charge(Date.UTC(2026, 9, 3), i), 'feed');
    reused.finish();
    reused.reset();
    // November takes September's columns
    const fresh = new ChargeBlock();
    for (let i = 0; i < 20; i++) {
      reused.put(charge(Date.UTC(2026, 10, 3), i), 'feed');
      fresh.put(charge(Date.UTC(2026, 10, 3), i), 'feed');
    }
    const [a] = reused.finish();
    const [b] = fresh.finish();
    expect(a!.partition).toBe('202611');
    expect({ ...a, parts: bytes(a!) }).toEqual({ ...b, parts: bytes(b!) });
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
