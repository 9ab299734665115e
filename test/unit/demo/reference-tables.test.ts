import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoReferenceTables, generateDemoFeeds } from '../../../engine/demo/generate.ts';
import { demoCatalogYaml } from '../../../engine/demo/catalog.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

describe('demo data', () => {
  it('committed reference tables match the generator (regenerate with `npx ratestream demo` helpers if this fails)', () => {
    for (const [f, text] of Object.entries(demoReferenceTables())) {
      expect(readFileSync(join('rules/demo', f), 'utf8')).toBe(text);
    }
  });
  it('the committed demo catalog matches engine/demo/catalog.ts (its services are the demo subscriptions)', () => {
    expect(readFileSync('rules/demo/catalog.yaml', 'utf8')).toBe(demoCatalogYaml());
  });
  it('the generator is deterministic', () => {
    const a = generateDemoFeeds(mkdtempSync(join(tmpdir(), 'rs-gen-')), { days: 1, perDay: 200 });
    const b = generateDemoFeeds(mkdtempSync(join(tmpdir(), 'rs-gen-')), { days: 1, perDay: 200 });
    expect(readFileSync(a.carrierFiles[0]!, 'utf8')).toBe(readFileSync(b.carrierFiles[0]!, 'utf8'));
    expect(readFileSync(a.iotFiles[0]!, 'utf8')).toBe(readFileSync(b.iotFiles[0]!, 'utf8'));
    expect(a.stats.carrierLines).toBeGreaterThan(200);
  });
});
