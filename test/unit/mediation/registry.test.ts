/** Every spec exported by a file in parsers/ or functions/ must be registered (habit 1: explicit registries). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, FUNCTION_REGISTRY } from '../../../engine/mediation/functions/index.ts';
import { PARSERS } from '../../../engine/mediation/parsers/index.ts';
import { listText } from '../../../engine/cli/commands/list.ts';

const root = join(import.meta.dirname, '../../../engine/mediation');
const files = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'types.ts');

describe('registries', () => {
  it('every parser file exporting `spec` is in PARSERS', async () => {
    for (const f of files('parsers')) {
      const mod = await import(join(root, 'parsers', f));
      if (mod.spec) expect(PARSERS, `parsers/${f} exports a spec that is not registered`).toContain(mod.spec);
    }
  });
  it('every FunctionSpec exported by a functions/ file is in FUNCTIONS', async () => {
    for (const f of files('functions')) {
      const mod = await import(join(root, 'functions', f));
      for (const [name, v] of Object.entries(mod)) {
        if (v && typeof v === 'object' && 'fn' in v && 'minArgs' in v) {
          expect(FUNCTIONS, `functions/${f} exports ${name} (${(v as unknown as { name: string }).name}) that is not registered`).toContain(v);
        }
      }
    }
  });
  it('names are unique and `list` shows them all', () => {
    expect(FUNCTION_REGISTRY.size).toBe(FUNCTIONS.length);
    expect(new Set(PARSERS.map((p) => p.type)).size).toBe(PARSERS.length);
    const text = listText();
    for (const p of PARSERS) expect(text).toContain(p.type);
    for (const f of FUNCTIONS) expect(text).toContain(f.name);
  });
});
