/**
 * `ratestream query` prints Decimal money and 64-bit integers exactly: without quoting, ClickHouse's JSON carries
 * them as numbers and a JS float would round them (12345678901.1234567891 → 12345678901.123457).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'rs-query-exact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SQL = "SELECT toDecimal128('12345678901.1234567891', 10) AS amount, toUInt64(18446744073709551615) AS big, 7 AS n";
const query = (format: string) => {
  const r = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'query', SQL, '--format', format, '--db', dir],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CLICKHOUSE_URL: '' } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
};

describe('ratestream query: exact decimals', () => {
  it('json, csv and table keep every digit of a Decimal(38,10) and a UInt64', () => {
    expect(JSON.parse(query('json'))).toEqual({ amount: '12345678901.1234567891', big: '18446744073709551615', n: 7 });
    expect(query('csv').split('\n')).toEqual(['amount,big,n', '12345678901.1234567891,18446744073709551615,7']);
    expect(query('table').split('\n')[2]).toMatch(/^12345678901\.1234567891 {2}18446744073709551615 {2}7$/);
  }, 120_000);
});
