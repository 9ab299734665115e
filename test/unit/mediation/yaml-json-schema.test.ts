/**
 * Every YAML file of the repository that has a `kind:` validates against its generated JSON Schema with a real
 * validator (ajv, draft-07), read the way an editor reads it (YAML core schema: numbers and booleans typed). The
 * JSON Schemas are what yaml-language-server checks authors' files with: they must accept what the loader accepts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkFile, KIND_REGISTRY, KINDS } from '../../../engine/cli/kinds.ts';
import { readYamlFile, validate } from '../../../engine/config/yaml-loader.ts';
import { schemaPath } from '../../../engine/config/json-schema.ts';

const root = resolve(import.meta.dirname, '../../..');
/** tracked YAML files with a kind we own (Kubernetes manifests have their own kinds) */
const files = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { cwd: root, encoding: 'utf8' }).trim().split('\n')
  .map((f) => ({ f, kind: /^kind:\s*(\S+)/m.exec(readFileSync(resolve(root, f), 'utf8'))?.[1] }))
  .filter((x): x is { f: string; kind: string } => x.kind !== undefined && KINDS.some((k) => k.kind === x.kind));
/** fixtures that are wrong on purpose (lint tests) */
const INVALID_ON_PURPOSE = /^test\/fixtures\/lint\//;

describe('YAML files against their JSON Schemas (ajv)', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validators = new Map(KINDS.map((k) => [k.kind, ajv.compile(JSON.parse(readFileSync(schemaPath(k.kind), 'utf8')))]));

  it('finds the repository\'s YAML kinds', () => {
    const kinds = new Set(files.map((x) => x.kind));
    for (const k of ['pipeline', 'mediation', 'catalog', 'mediation-test', 'rating-scenario', 'billing', 'serve']) expect(kinds, k).toContain(k);
    expect(files.length).toBeGreaterThan(60);
  });

  it('every valid YAML file passes its JSON Schema', () => {
    const failures: string[] = [];
    for (const { f, kind } of files) {
      if (INVALID_ON_PURPOSE.test(f)) continue;
      const v = validators.get(kind)!;
      if (!v(parse(readFileSync(resolve(root, f), 'utf8')))) {
        failures.push(`${f} (${kind}): ${(v.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('; ')}`);
      }
    }
    expect(failures).toEqual([]);
    // not vacuous: a wrong file fails, a per-unit rate without `model` passes
    const cat = validators.get('catalog')!;
    expect(cat({ kind: 'catalog', name: 'x', currency: 'EUR', bogus: '1' })).toBe(false);
    expect(cat({ kind: 'catalog', name: 'x', currency: 'EUR', products: [{ id: 'p', plans: [{ id: 'a', rates: [{ id: 'r', 'usage-class': 'v', price: '1' }] }] }] })).toBe(true);
  });

  it('`ratestream schemas --check` agrees: the committed schemas are the generated ones', () => {
    const r = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'schemas', '--check'], { cwd: root, encoding: 'utf8' });
    expect(r.stdout).toContain('JSON Schemas are up to date');
    expect(r.status).toBe(0);
  }, 30_000);

  it('and the loader accepts the same files (the schema and the loader agree)', () => {
    const failures: string[] = [];
    for (const { f, kind } of files) {
      if (INVALID_ON_PURPOSE.test(f)) continue;
      // the bench's rules name reference tables the bench generates: its schema only
      const problems = f.startsWith('bench/') ? validate(readYamlFile(resolve(root, f)), KIND_REGISTRY.get(kind)!.schema).problems : checkFile(resolve(root, f));
      if (problems.length) failures.push(`${f}: ${problems[0]!.message}`);
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
