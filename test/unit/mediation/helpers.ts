/** Test helpers: write rule files to a temp folder and compile them. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileMediationFile, type CompileOptions } from '../../../engine/mediation/compiler.ts';

export function tempDir(prefix = 'rs-med-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeRules(yaml: string, dir = tempDir(), name = 'rules.mediation.yaml'): string {
  const f = join(dir, name);
  writeFileSync(f, yaml);
  return f;
}

export function compileText(yaml: string, opts?: CompileOptions) {
  return compileMediationFile(writeRules(yaml), opts);
}

export const CSV_RULES = `kind: mediation
name: t
parser: { type: csv, columns: [id, kind, account, qty] }
filters:
  - { name: comment-like, ignore: "$id ~ '^#'" }
usage-classes:
  - { name: voice, when: "$kind == 'V'" }
mappings:
  - name: m
    fields:
      id: "$id"
      account: "$account"
      startTime: "0"
      quantity: "number($qty)"
      unit: "'ms'"
`;
