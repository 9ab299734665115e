/** Every rule/pipeline YAML names its JSON Schema for editors, and that schema is the one of its `kind:`. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(f)) out.push(p);
  }
  return out;
}

describe('YAML files', () => {
  it('start with a yaml-language-server $schema line for their kind', () => {
    const bad: string[] = [];
    for (const f of [...yamlFiles('rules'), ...yamlFiles('pipelines'), 'deploy/serve.local.yaml', 'deploy/compose/serve.yaml']) {
      const text = readFileSync(f, 'utf8');
      const kind = /^kind:\s*([\w-]+)/m.exec(text)?.[1];
      const ref = /^# yaml-language-server: \$schema=(\S+)/m.exec(text)?.[1];
      if (!kind) continue; // not a ratestream YAML kind (none today)
      if (!ref) { bad.push(`${f}: no $schema line`); continue; }
      const target = resolve(dirname(f), ref);
      if (!existsSync(target)) bad.push(`${f}: ${ref} does not exist`);
      else if (!target.endsWith(`/${kind}.schema.json`)) bad.push(`${f}: kind ${kind} but schema ${ref}`);
    }
    expect(bad).toEqual([]);
  });
});
