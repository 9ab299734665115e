/**
 * Hostile rule files are refused with a clear error (the refusal is asserted, not timings): YAML alias bombs,
 * __proto__ keys, catastrophic / non-regular regexes, multi-megabyte files and expressions, code injection.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile } from '../../engine/cli/kinds.ts';
import { ConfigError } from '../../engine/config/yaml-loader.ts';
import { compileMediationFile } from '../../engine/mediation/compiler.ts';
import { compileExpr } from '../../engine/expr/compile.ts';
import { FUNCTION_REGISTRY } from '../../engine/mediation/functions/index.ts';
import { tempDir, writeRules } from '../unit/mediation/helpers.ts';

const BASE = (extra: string, when = "$1 == 'x'") => `kind: mediation
name: hostile
parser: { type: csv }
usage-classes:
  - { name: voice, when: "${when}" }
mappings:
  - name: m
    fields: { id: "$1", account: "$2", startTime: "0", quantity: "1", unit: "'event'" }
${extra}`;

function problems(yaml: string): string[] {
  const f = writeRules(yaml);
  try {
    compileMediationFile(f);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
  }
}

describe('hostile rule files are refused', () => {
  it('YAML alias bomb (billion laughs)', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const p = problems(`${BASE('')}\n${bomb.join('\n')}\n`);
    expect(p.join('\n')).toMatch(/aliases\/anchors are not supported/);
  });

  it('__proto__, constructor and prototype keys', () => {
    const p = problems(BASE(`reference:\n  __proto__: { file: x.csv, key: k }\ndefaults:\n  constructor: "'x'"\n`));
    expect(p.join('\n')).toMatch(/key "__proto__" is not allowed/);
    expect(p.join('\n')).toMatch(/key "constructor" is not allowed/);
    expect(({} as Record<string, unknown>).file).toBeUndefined(); // nothing polluted
  });

  it('regexes outside RE2 (backreferences, lookaround) are refused at compile time', () => {
    expect(problems(BASE('', "$1 ~ '(a)\\\\\\\\1'")).join('\n')).toMatch(/invalid regular expression .*RE2 syntax/);
    expect(problems(BASE('', "matches($1, '(?=a)a')")).join('\n')).toMatch(/invalid regular expression/);
  });

  it('a classic catastrophic pattern is accepted only because RE2 runs it in linear time', () => {
    const f = compileExpr("$1 ~ '^(a+)+$'", { ordinal: true, functions: FUNCTION_REGISTRY, tables: new Map() });
    expect(f([`${'a'.repeat(100_000)}!`], Object.create(null))).toBe(false); // would never return with backtracking
  });

  it('multi-megabyte rule files and expressions', () => {
    const dir = tempDir();
    const big = join(dir, 'big.mediation.yaml');
    writeFileSync(big, `${BASE('')}\n# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    expect(checkFile(big).map((p) => p.message).join('\n')).toMatch(/larger than 4194304 bytes \(refused\)/);
    const p = problems(BASE('', `$1 == '${'y'.repeat(20_000)}'`));
    expect(p.join('\n')).toMatch(/expression longer than 10000 characters/);
  });

  it('code injection and prototype access in expressions are not expressible', () => {
    const ctx = { ordinal: false, functions: FUNCTION_REGISTRY, tables: new Map() };
    expect(() => compileExpr("constructor.constructor('return process')()", ctx)).toThrow();
    expect(() => compileExpr('process.exit(1)', ctx)).toThrow(/unknown function|expected|unexpected/);
    const get = compileExpr('$__proto__.polluted', ctx);
    expect(get(JSON.parse('{"__proto__": {"polluted": "yes"}}'), Object.create(null))).toBe('yes'); // own data only
    expect(compileExpr('$constructor', ctx)({}, Object.create(null))).toBeNull(); // inherited: invisible
    expect(compileExpr("'); process.exit(1); ('", ctx)({}, Object.create(null))).toBe('); process.exit(1); (');
  });

  it('deeply nested expressions are refused', () => {
    const deep = `${'('.repeat(500)}1${')'.repeat(500)}`;
    expect(problems(BASE('', deep)).join('\n')).toMatch(/nested too deeply/);
  });
});
