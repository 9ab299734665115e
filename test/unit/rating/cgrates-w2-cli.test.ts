/**
 * Issue 14 end to end through the CLI: `import-cgrates test/fixtures/cgrates-w2 --out DIR` then `rate --explain`
 * prices the example call as CGRateS' timespans do, and IMPORT.md's worked example states the same numbers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const bin = resolve(root, 'engine/cli/bin.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
const CALL = JSON.stringify({ id: 'w2', account: 'w2.test:1001', destination: '00178897878170', start: '2026-10-09T07:58:43Z', usage: '1918s' });

describe('import-cgrates + rate: a peak/off-peak change inside the 60–600 s rate slot', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cgr-w2-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('rounding_decimals 5 (CGRateS default): 2.4345 with the timespans in --explain', () => {
    const imp = run('import-cgrates', 'test/fixtures/cgrates-w2', '--out', join(tmp, 'd5'));
    expect(imp.status, imp.stderr).toBe(0);
    const r = run('rate', '-c', join(tmp, 'd5/catalog.yaml'), '--explain', '--udr', CALL);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^charge \w+ \(usage\) 2\.4345000000 XXX$/m);
    expect(r.stdout).toContain('window-split cgrates (CGRateS timespans, rounding_decimals 5)');
    expect(r.stdout).toContain('0 s–60 s in window OFFPEAK_MORN');
    expect(r.stdout).toContain('60 s–600 s in window OFFPEAK_MORN (rate DR_OP.DST_17818.OFFPEAK_MORN.call), slot from 60 s: 0.0550000000 per 60 s, 540 × 1 s: 0.495 → 0.49500; per increment 0.00092 × 540 = 0.49680');
    expect(r.stdout).toContain('window PEAK holds from 2026-10-09T08:00:00.000Z (77 s into the usage), inside this part');
    expect(r.stdout).toContain('600 s–1918 s in window PEAK (rate DR_PK.DST_17818.PEAK.call), slot from 600 s: 0.0825000000 per 60 s, 1318 × 1 s: 1.81225 → 1.81225; per increment 0.00138 × 1318 = 1.81884');
    expect(r.stdout).toContain('round 2.43444 up to 4 decimals = 2.4345');
    const doc = readFileSync(join(tmp, 'd5/IMPORT.md'), 'utf8');
    expect(doc).toContain('## Calls crossing a time-of-day change');
    expect(doc).toContain('→ *up 4 → **2.4345**');
    expect(doc).not.toContain('each increment priced by the window it starts in');
  }, 60_000);

  it('rounding_decimals 10 (import-cgrates --rounding-decimals 10): 2.4261, as IMPORT.md says', () => {
    const imp = run('import-cgrates', 'test/fixtures/cgrates-w2', '--out', join(tmp, 'd10'), '--rounding-decimals', '10');
    expect(imp.status, imp.stderr).toBe(0);
    const r = run('rate', '-c', join(tmp, 'd10/catalog.yaml'), '--udr', CALL);
    expect(r.stdout.trim().split('\t')[3]).toBe('2.4261000000');
    expect(readFileSync(join(tmp, 'd10/IMPORT.md'), 'utf8')).toContain('→ *up 4 → **2.4261**');
  }, 60_000);

  it('a bad --rounding-decimals is one clear line and a non-zero exit', () => {
    const r = run('import-cgrates', 'test/fixtures/cgrates-w2', '--out', join(tmp, 'bad'), '--rounding-decimals', '12');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('rounding decimals must be an integer from 0 to 10');
  }, 60_000);
});
