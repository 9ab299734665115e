/** `ratestream lint`: every problem with file:line:col; exit ≠ 0. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintPaths } from '../../../engine/cli/commands/lint.ts';
import { CSV_RULES, tempDir, writeRules } from './helpers.ts';

const root = resolve(import.meta.dirname, '../../..');
const fixture = resolve(root, 'test/fixtures/lint/three-mistakes.mediation.yaml');

describe('lint', () => {
  it('reports all three planted expression mistakes at their line:col', () => {
    const { problems } = lintPaths([fixture]);
    expect(problems.map((p) => [p.line, p.col, p.message.split(' (')[0]])).toEqual([
      [10, 27, 'unknown column $calee'],
      [15, 17, 'unknown function e146()'],
      [17, 43, 'unexpected end of expression'],
    ]);
  });

  it('reports every schema mistake too (unknown key, bad enum, missing mapping field)', () => {
    const f = writeRules(`kind: mediation
name: t
parser:
  type: fixed-width
  fields: [{ name: a, start: 0, end: 3 }]
  on-trailer-mismatch: drop
filtres: []
mappings:
  - name: m
    fields: { id: "$a" }
`);
    const { problems } = lintPaths([f]);
    const where = problems.map((p) => `${p.line}:${p.col}`);
    expect(where).toContain('6:3'); // on-trailer-mismatch: invalid option
    expect(where).toContain('7:1'); // unknown key "filtres"
    expect(problems.length).toBe(2);
    const { problems: compile } = lintPaths([writeRules(`kind: mediation
name: t
parser: { type: csv }
mappings:
  - name: m
    fields: { id: "$1" }
`)]);
    expect(compile.map((p) => p.message)).toEqual(expect.arrayContaining([
      expect.stringContaining('does not set the required UDR field "account"'),
      expect.stringContaining('does not set the required UDR field "quantity"'),
    ]));
  });

  it('the CLI prints file:line:col lines and exits non-zero', () => {
    const r = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'lint', fixture], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^test\/fixtures\/lint\/three-mistakes\.mediation\.yaml:10:27: unknown column \$calee/);
    expect(r.stderr).toContain('3 problem(s)');
  }, 30_000);

  it('says "did you mean" for a misspelled column, function and key', () => {
    const { problems } = lintPaths([fixture]);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('unknown column $calee (did you mean $callee?)'),
      expect.stringContaining('unknown function e146() (did you mean e164()?)'),
      expect.stringContaining('unexpected end of expression'),
    ]);
    const { problems: keys } = lintPaths([writeRules(`kind: mediation
name: t
parser: { type: csv, delimter: ";" }
filtres: []
mappings:
  - name: m
    feilds: { id: "$1" }
`)]);
    expect(keys.map((p) => `${p.line}:${p.col}: ${p.message}`)).toEqual([
      '3:22: parser: unknown key "delimter" (did you mean "delimiter"?)',
      '4:1: unknown key "filtres" (did you mean "filters"?)',
      '6:5: mappings.0: missing "fields" (expected record)',
      '7:5: mappings.0: unknown key "feilds" (did you mean "fields"?)',
    ]);
  });

  it('reports YAML, schema and expression problems of one file in one pass (the CLI)', () => {
    const f = writeRules(`kind: mediation
name: t
parser:
  type: csv
  columns: [id, caller, seconds]
filtres: []
usage-classes:
  - { name: voice, when: "$calee != ''" }
mappings:
  - name: m
    fields:
      id: "$id"
      account: "e146($caller, 'NL')"
      startTime: "0"
      quantity: "duration($seconds, 's')"
      unit: "'ms'"
  - name: n
    fields: { id: "$1"
`);
    const r = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'lint', f], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const got = r.stdout.trim().split('\n').map((l) => l.replace(/^.*rules\.mediation\.yaml:/, ''));
    expect(got).toEqual([
      '6:1: unknown key "filtres" (did you mean "filters"?)',
      expect.stringMatching(/^8:27: unknown column \$calee \(did you mean \$caller\?\)/),
      expect.stringMatching(/^13:17: unknown function e146\(\) \(did you mean e164\(\)\?\)/),
      expect.stringMatching(/^19:1: Flow map in block collection must be sufficiently indented/),
    ]);
  }, 60_000);

  it('checks *.test.yaml expectations against what the rules can produce (file:line:col, did you mean)', () => {
    const dir = tempDir();
    writeRules(CSV_RULES, dir, 'r.mediation.yaml');
    const test = writeRules(`kind: mediation-test
rules: r.mediation.yaml
cases:
  - name: one call
    input: "c1,V,ACME,60"
    expect:
      udrs:
        - { id: c1, acount: ACME, quantity: 60 }
      ignored: { coment-like: 0 }
`, dir, 'r.test.yaml');
    const r = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'lint', test], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      'r.test.yaml:8:21: acount is not a UDR field (did you mean "account"?)',
      'r.test.yaml:9:18: no filter of t ignores as "coment-like" (did you mean "comment-like"?) (reasons: comment-like, header, trailer, comment, duplicate, paired)',
    ]);
    // `ratestream test` refuses the file with the same positions instead of comparing against undefined
    const t = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'test', test], { cwd: dir, encoding: 'utf8' });
    expect(t.status).not.toBe(0);
    expect(`${t.stdout}${t.stderr}`).toContain('r.test.yaml:8:21: acount is not a UDR field');
  }, 60_000);

  it('catalog tests: an input UDR field a UDR does not have is an error, and the catalog must load', () => {
    const dir = tempDir();
    const f = writeRules(`kind: catalog-test
catalog: ${resolve(root, 'rules/rating/telecom/catalog.yaml')}
cases:
  - name: x
    udrs: [{ id: a, acount: X, quantity: "1" }]
    expect: {}
`, dir, 'c.test.yaml');
    expect(lintPaths([f]).problems.map((p) => `${p.line}:${p.col}: ${p.message}`)).toEqual(['5:21: acount is not a UDR field (did you mean "account"?) (attrs go under attrs: { … })']);
    const g = writeRules('kind: catalog-test\ncatalog: nope.yaml\ncases: [{ name: x, udrs: [{ id: a }], expect: {} }]\n', dir, 'd.test.yaml');
    expect(lintPaths([g]).problems.map((p) => p.message)).toEqual([expect.stringContaining('catalog nope.yaml does not load')]);
  });

  it('the example rules and pipelines of mediation lint clean', () => {
    const { problems } = lintPaths([resolve(root, 'rules/cgrates'), resolve(root, 'rules/brief'), resolve(root, 'rules/iot'), resolve(root, 'rules/lib')]);
    expect(problems).toEqual([]);
  });
});
