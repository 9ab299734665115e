import { describe, expect, it } from 'vitest';
import { divRound, groupDigits, humanMoney, formatMoney, parseMoney, roundScaled, type RoundingMode } from '../../../engine/core/money.ts';

describe('money', () => {
  it('parses and formats exact decimals', () => {
    expect(parseMoney('0.0003')).toBe(3_000_000n);
    expect(parseMoney('-1.5')).toBe(-15_000_000_000n);
    expect(formatMoney(parseMoney('31.365'))).toBe('31.3650000000');
    expect(formatMoney(parseMoney('31.37'), 2)).toBe('31.37');
    expect(() => parseMoney('1e3')).toThrow(/not a decimal/);
    expect(() => parseMoney('0.00000000001')).toThrow(/more than 10 decimals/);
    expect(() => formatMoney(parseMoney('1.005'), 2)).toThrow(/not rounded/);
  });

  it('shows money one way to people: 2 decimals (half-up), thousands separated; exact from text or scaled', () => {
    expect(humanMoney(parseMoney('5079.8451'))).toBe('5,079.85');
    expect(humanMoney('1234567.1234567891')).toBe('1,234,567.12');
    expect(humanMoney('-1234.005')).toBe('-1,234.01');
    expect(humanMoney('0.004')).toBe('0.00');
    expect(humanMoney('5')).toBe('5.00');
    expect(humanMoney('999999999999999999.995')).toBe('1,000,000,000,000,000,000.00');
    expect(humanMoney('16.065', 2, 'half-even')).toBe('16.06');
    expect(humanMoney('1234.5678', 3)).toBe('1,234.568');
    expect(humanMoney('1234.5', 0)).toBe('1,235');
    expect(groupDigits('-1234567.50')).toBe('-1,234,567.50');
    expect(groupDigits('123')).toBe('123');
  });

  const cases: [string, number, RoundingMode, string][] = [
    ['31.365', 2, 'half-up', '31.37'],
    ['16.065', 2, 'half-up', '16.07'],
    ['16.065', 2, 'half-even', '16.06'],
    ['16.075', 2, 'half-even', '16.08'],
    ['16.065', 2, 'half-down', '16.06'],
    ['16.061', 2, 'up', '16.07'],
    ['16.069', 2, 'down', '16.06'],
    ['-16.065', 2, 'half-up', '-16.07'],
    ['-16.061', 2, 'up', '-16.07'],
    ['-16.069', 2, 'down', '-16.06'],
    ['2.5', 0, 'half-even', '2'],
    ['3.5', 0, 'half-even', '4'],
    ['0.00005', 4, 'half-up', '0.0001'],
  ];
  it.each(cases)('round %s to %i decimals %s → %s', (v, d, m, want) => {
    expect(formatMoney(roundScaled(parseMoney(v), d, m), d)).toBe(want);
  });

  it('divides with an explicit rounding mode', () => {
    expect(divRound(7n, 2n, 'half-up')).toBe(4n);
    expect(divRound(7n, 2n, 'half-even')).toBe(4n);
    expect(divRound(5n, 2n, 'half-even')).toBe(2n);
    expect(divRound(-7n, 2n, 'down')).toBe(-3n);
    expect(divRound(1n, 3n, 'up')).toBe(1n);
    expect(() => divRound(1n, 0n, 'up')).toThrow();
  });
});
