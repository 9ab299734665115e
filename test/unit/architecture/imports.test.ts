/** House rule, checked: every CLI command file is registered. (Import direction and cycles: layering.test.ts.) */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('architecture', () => {
  const root = resolve('engine');

  it('registers every CLI command file', () => {
    const dir = join(root, 'cli/commands');
    const index = readFileSync(join(dir, 'index.ts'), 'utf8');
    const missing = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts'))
      .filter((f) => /export function register\(/.test(readFileSync(join(dir, f), 'utf8')))
      .filter((f) => !index.includes(`'./${f}'`));
    expect(missing).toEqual([]);
  });
});
