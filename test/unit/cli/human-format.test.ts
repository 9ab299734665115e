/** The human formats: money in tables, readable dates and subscription shares on invoices. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePeriod } from '../../../engine/billing/period.ts';
import { dayRangeText, dayText, periodShareText, spanText } from '../../../engine/billing/render/format.ts';
import { table } from '../../../engine/cli/format.ts';
import { humanMoney } from '../../../engine/core/money.ts';

describe('dates people read', () => {
  it('days and ranges', () => {
    expect(dayText('2026-11-01')).toBe('1 Nov 2026');
    expect(dayRangeText('2026-10-01', '2026-10-31')).toBe('1–31 Oct 2026');
    expect(dayRangeText('2026-09-28', '2026-10-03')).toBe('28 Sep – 3 Oct 2026');
    expect(dayRangeText('2026-12-28', '2027-01-03')).toBe('28 Dec 2026 – 3 Jan 2027');
    expect(dayRangeText('2026-10-05', '2026-10-05')).toBe('5 Oct 2026');
  });

  it('a span [start, end) shows the local days it touches', () => {
    const p = parsePeriod('2026-10', 'Europe/Amsterdam');
    expect(spanText(p.start, p.end, p.timezone)).toBe('1–31 Oct 2026');
    const mid = Date.parse('2026-10-15T00:00:00+02:00');
    expect(spanText(mid, p.end, p.timezone)).toBe('15–31 Oct 2026');
  });
});

describe('subscription share of a billing period', () => {
  const oct = parsePeriod('2026-10', 'Europe/Amsterdam'); // 31 days, one of them 25 h (DST ends)
  it('the whole period is one month, whatever its length in ms', () => {
    expect(periodShareText(oct.start, BigInt(oct.end - oct.start), oct)).toBe('1 month');
    const feb = parsePeriod('2027-02', 'Europe/Amsterdam');
    expect(periodShareText(feb.start, BigInt(feb.end - feb.start), feb)).toBe('1 month');
  });
  it('a part is counted in calendar days of the period (DST included)', () => {
    const from15 = Date.parse('2026-10-15T00:00:00+02:00');
    expect(periodShareText(from15, BigInt(oct.end - from15), oct)).toBe('17/31 days');
    const until10 = Date.parse('2026-10-11T00:00:00+02:00');
    expect(periodShareText(oct.start, BigInt(until10 - oct.start), oct)).toBe('10/31 days');
    const noon = Date.parse('2026-10-20T12:00:00+02:00');
    expect(periodShareText(noon, BigInt(oct.end - noon), oct)).toBe('11.5/31 days');
  });
});

describe('money in human tables', () => {
  it('2 decimals with separators, right-aligned', () => {
    const t = table([{ account: 'A', amount: humanMoney('1234567.1234567891') }, { account: 'B', amount: humanMoney('5') }]);
    expect(t.split('\n')).toEqual([
      'account        amount',
      '-------  ------------',
      'A        1,234,567.12',
      'B                5.00',
    ]);
  });
});

describe('what-if terminate', () => {
  it('states the charge as money people read; --json keeps it exact', () => {
    const root = resolve(import.meta.dirname, '../../..');
    const args = [join(root, 'engine/cli/bin.mjs'), 'what-if', 'terminate', '--contract', 'acme-2025', '--date', '2025-06-15', '-c', join(root, 'rules/rating/scenarios/contract.catalog.yaml')];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/→ early-termination charge 500\.00$/);
    const j = spawnSync(process.execPath, [...args, '--json'], { encoding: 'utf8' });
    expect(JSON.parse(j.stdout).charge).toBe('500.0000000000');
  });
});
