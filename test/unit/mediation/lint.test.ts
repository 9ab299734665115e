/** `ratestream lint`: every problem with file:line:col; exit ≠ 0. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintPaths } from '../../../engine/cli/commands/lint.ts';
import { writeRules } from './helpers.ts';

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

  it('the example rules and pipelines of mediation lint clean', () => {
    const { problems } = lintPaths([resolve(root, 'rules/cgrates'), resolve(root, 'rules/brief'), resolve(root, 'rules/iot'), resolve(root, 'rules/lib')]);
    expect(problems).toEqual([]);
  });
});
