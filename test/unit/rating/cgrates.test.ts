import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../engine/core/money.ts';
import { importCgrates } from '../../../engine/rating/cgrates-import.ts';
import { loadCatalogFile } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { toUdr } from '../../../engine/rating/udr-input.ts';

const TP = resolve(import.meta.dirname, '../../../../shared/fixtures/external/cgrates-tariffplans');

function rateTp(dir: string, calls: Record<string, unknown>[]) {
  const out = mkdtempSync(join(tmpdir(), 'cg-'));
  const r = importCgrates(join(TP, dir), out);
  const rater = new Rater(loadCatalogFile(r.catalogFile));
  const res = rater.rate(calls.map((c, i) => toUdr(c, i)));
  return { res, by: Object.fromEntries(res.charges.map((c) => [c.udrId, [c.rateId, formatMoney(c.amount, 4), c.quantity]])) };
}

describe('CGRateS import: an empty or wrong folder', () => {
  it('says no tariff CSVs were found there (empty folder, missing folder)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cg-empty-'));
    const out = mkdtempSync(join(tmpdir(), 'cg-out-'));
    expect(() => importCgrates(empty, out)).toThrow(`no CGRateS tariff CSVs found in ${empty}`);
    expect(() => importCgrates(join(empty, 'nope'), out)).toThrow(/^no CGRateS tariff CSVs found in .*nope \(expected Destinations\.csv/);
  });
});

describe.skipIf(!existsSync(TP) && !process.env.CI)('CGRateS import: costs with CGRateS semantics, exact', () => {
  it('tutorial: rate slots, connect fee, activation times, *disconnect, *any subject, unauthorized destination', () => {
    const { by, res } = rateTp('tutorial', [
      { id: 'c1', account: 'cgrates.org:1001', destination: '1002', start: '2014-06-01T10:00:00Z', usage: '90s' },
      { id: 'c2', account: 'cgrates.org:1001', destination: '1002', start: '2014-06-01T10:00:00Z', usage: '20s' },
      { id: 'c3', account: 'cgrates.org:1001', destination: '1003', start: '2014-06-01T10:00:00Z', usage: '60s' },
      { id: 'c4', account: 'cgrates.org:1001', destination: '1001', start: '2013-06-01T10:00:00Z', usage: '125s' },
      { id: 'c5', account: 'cgrates.org:1003', destination: '1001', start: '2014-06-01T10:00:00Z', usage: '65s' },
      { id: 'c6', account: 'cgrates.org:1005', class: 'sms', destination: '1002', start: '2014-06-01T10:00:00Z', quantity: 1, unit: 'event' },
      { id: 'c7', account: 'cgrates.com:2000', destination: '1002', start: '2014-06-01T10:00:00Z', usage: '61s' },
      { id: 'c8', account: 'cgrates.org:1002', destination: '1005', start: '2014-06-01T10:00:00Z', usage: '30s' },
    ]);
    // CGRateS rounds each timespan's increment cost to rounding_decimals 5 (createIncrementsSlice): 0.1/60 → 0.00167
    expect(by.c1).toEqual(['DR_1002_20CNT.DST_1002.ANY.call', '0.6501', 90_000]); // 0.4 + 0.2 (1st min) + 30 × 0.00167 = 0.6501
    expect(by.c2).toEqual(['DR_1002_20CNT.DST_1002.ANY.call', '0.6000', 60_000]); // first slot increment 60 s
    // MaxCost 0.12 *disconnect: a finished call keeps its price (the strategy limits authorized usage, not the price)
    expect(by.c3).toEqual(['DR_1003_MAXCOST_DISC.DST_1003.ANY.call', '0.6000', 60_000]);
    expect(by.c4).toEqual(['DR_1001_20CNT.DST_1001.ANY.call', '0.7086', 125_000]); // 2013: RP_1002 (activation 2010); 0.4 + 0.2 + 65 × 0.00167, *up
    expect(by.c5).toEqual(['DR_1001_10CNT.DST_1001.ANY.call', '0.3042', 65_000]);
    expect(by.c6).toEqual(['DR_SMS.ANY.ANY.sms', '0.0100', 1]);
    expect(by.c7).toEqual(['DR_1002_20CNT.DST_1002.ANY.call', '0.6017', 61_000]); // cgrates.com:*any → RP_1001
    expect(res.rejects.map((r) => [r.source, r.reason])).toEqual([['cli:7', 'NO_RATE']]);
  });
  it('tutorial2: peak/off-peak timings split a call; weekend; data per 1024; subject fallback to *any', () => {
    const { by } = rateTp('tutorial2', [
      // Monday 07:59 → 60 s off-peak (0.1 + 60 × 0.01) then 60 s peak in the second slot (1.2/min per second)
      { id: 'm', account: 'cgrates.org:2001', destination: '1002', start: '2019-03-04T07:59:00Z', usage: '120s' },
      { id: 'p', account: 'cgrates.org:2001', destination: '1002', start: '2019-03-04T10:00:00Z', usage: '30s' }, // peak: 0.2 + 1.2
      { id: 'w', account: 'cgrates.org:2001', destination: '1002', start: '2019-03-09T10:00:00Z', usage: '30s' }, // Saturday: 0.1 + 0.3
      { id: 'f', account: 'cgrates.org:1001', destination: '1002', start: '2019-03-04T10:00:00Z', usage: '30s' }, // RP_1001 DST_1002
      { id: 'fb', account: 'cgrates.org:1001', destination: '2034', start: '2019-03-04T10:00:00Z', usage: '30s' }, // fallback *any → DST_2030
      { id: 'd', account: 'cgrates.org:2001', class: 'data', start: '2019-03-04T10:00:00Z', quantity: 2049, unit: 'byte' }, // 3 × 1024
    ]);
    expect(by.m).toEqual(['DR_10_60C.DST_10.OFFPEAK_MORNING.call', '1.9000', 120_000]);
    expect(by.p).toEqual(['DR_10_120C.DST_10.PEAK.call', '1.4000', 60_000]);
    expect(by.w).toEqual(['DR_10_60C.DST_10.OFFPEAK_WEEKEND.call', '0.4000', 30_000]);
    expect(by.f).toEqual(['DR_1002_60C.DST_1002.ANY.call', '0.4000', 30_000]);
    expect(by.fb).toEqual(['DR_2030_120C.DST_2030.ANY.call', '1.4000', 60_000]);
    expect(by.d).toEqual(['DR_ANY_1024_1.ANY.ANY.data', '3.0000', 3072]);
  });
});
