import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDemoFeeds } from '../../../engine/demo/generate.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('demo generator past the end of the demo month', () => {
  it('45 days → one file per calendar day, valid increasing start times across Oct→Nov, unique record ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-gen-long-'));
    dirs.push(dir);
    const DAYS = 45;
    const gen = generateDemoFeeds(dir, { days: DAYS, perDay: 40 });
    expect(gen.carrierFiles).toHaveLength(DAYS);
    expect(new Set(gen.carrierFiles).size).toBe(DAYS); // no file overwritten by a same-named later day
    expect(new Set(gen.iotFiles).size).toBe(DAYS);
    expect(gen.carrierFiles[30]).toMatch(/cdr-20261031\.csv$/);
    expect(gen.carrierFiles[31]).toMatch(/cdr-20261101\.csv$/);
    expect(gen.carrierFiles[44]).toMatch(/cdr-20261114\.csv$/);

    const idToLine = new Map<string, string>();
    let prevDay = '';
    for (const [i, f] of gen.carrierFiles.entries()) {
      const day = DateTime.fromObject({ year: 2026, month: 10, day: 1 }).plus({ days: i }).toFormat('yyyy-MM-dd');
      expect(day > prevDay).toBe(true);
      prevDay = day;
      const rows = readFileSync(f, 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(','));
      expect(rows.length).toBeGreaterThanOrEqual(40);
      let valid = 0;
      for (const r of rows) {
        const line = r.join(',');
        const id = r[1]!;
        expect(id).toMatch(new RegExp(`^NW${day.replaceAll('-', '')}\\d{7}$`));
        // an id repeats only as an exact re-send of the same line (the planted switch duplicates)
        const seen = idToLine.get(id);
        if (seen !== undefined) expect(line).toBe(seen);
        idToLine.set(id, line);
        const start = r[6];
        if (start === undefined || start.includes('T25:99')) continue; // planted malformed line / bad timestamp
        expect(start.startsWith(day)).toBe(true);
        expect(DateTime.fromFormat(start, 'yyyy-MM-dd HH:mm:ss', { zone: 'Europe/Amsterdam' }).isValid).toBe(true);
        valid++;
      }
      expect(valid).toBeGreaterThan(30);
    }
    expect(readFileSync(gen.carrierFiles.at(-1)!, 'utf8')).not.toContain('Invalid');

    const iotIds = new Map<string, string>();
    for (const f of gen.iotFiles) {
      for (const line of readFileSync(f, 'utf8').trimEnd().split('\n')) {
        const m = /"recordId":"(IOT-\d{8}-\d{7})"/.exec(line);
        expect(m).not.toBeNull();
        const seen = iotIds.get(m![1]!);
        if (seen !== undefined) expect(line).toBe(seen);
        iotIds.set(m![1]!, line);
        const start = /"start":"([^"]+)"/.exec(line)?.[1];
        if (start !== undefined) expect(DateTime.fromISO(start).isValid).toBe(true);
      }
    }
  });
});
