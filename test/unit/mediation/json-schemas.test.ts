/** Generated JSON Schemas are fresh, and every example YAML points its editor at one that exists. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleSchemas } from '../../../engine/config/json-schema.ts';
import { yamlFiles } from '../../../engine/cli/commands/lint.ts';
import { KINDS } from '../../../engine/cli/kinds.ts';

const root = resolve(import.meta.dirname, '../../..');

describe('JSON Schemas', () => {
  it('schemas/json is up to date with the zod schemas (run `npx ratestream schemas`)', () => {
    expect(staleSchemas(KINDS)).toEqual([]);
  });
  it('every mediation-owned example YAML has a yaml-language-server $schema line to an existing schema', () => {
    const files = yamlFiles([resolve(root, 'rules/cgrates'), resolve(root, 'rules/brief'), resolve(root, 'rules/iot'), resolve(root, 'rules/lib')])
      .concat(yamlFiles([resolve(root, 'pipelines')]).filter((f) => /(cgrates|brief|iot)-/.test(f)));
    expect(files.length).toBeGreaterThan(15);
    for (const f of files) {
      const m = /^# yaml-language-server: \$schema=(\S+)/m.exec(readFileSync(f, 'utf8'));
      expect(m, `${f} has no $schema line`).not.toBeNull();
      expect(existsSync(resolve(dirname(f), m![1]!)), `${f}: ${m![1]} does not exist`).toBe(true);
    }
  });
});
