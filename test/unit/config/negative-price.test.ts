/** A negative amount in a catalog is a lint error unless its element says `allow-negative: true` (a credit). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintPaths } from '../../../engine/cli/commands/lint.ts';

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'rs-neg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const demo = readFileSync(join(root, 'rules/demo/catalog.yaml'), 'utf8');
const lint = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'lint', name], { cwd: dir, encoding: 'utf8' });
};

describe('negative prices', () => {
  const sms = '{ id: sms, description: SMS, usage-class: sms, unit: event, price: "0.0750", per: "1" }';
  it('the demo line is there to edit', () => expect(demo).toContain(sms));

  it('a negative price is an error at its line:col', () => {
    const text = demo.replace(sms, '{ id: sms, description: SMS, usage-class: sms, unit: event, price: "-0.0750", per: "1" }');
    const line = text.split('\n').findIndex((l) => l.includes('"-0.0750"')) + 1;
    const r = lint('neg.catalog.yaml', text);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^neg\\.catalog\\.yaml:${line}:\\d+: price "-0\\.0750" is negative: mark .*allow-negative: true`, 'm'));
  }, 60_000);

  it('a schema mistake does not hide a negative price or a broken rate condition', () => {
    const text = demo.replace(sms, `{ id: sms, description: SMS, usage-class: sms, unit: event, price: "-0.0750", per: "1", when: "e146(origin) != ''" }`).replace(/^timezone:/m, 'timezon:');
    writeFileSync(join(dir, 'three.catalog.yaml'), text);
    const msgs = lintPaths([join(dir, 'three.catalog.yaml')]).problems.map((p) => p.message);
    expect(msgs).toEqual([
      'unknown key "timezon" (did you mean "timezone"?)',
      expect.stringMatching(/^price "-0\.0750" is negative/),
      expect.stringMatching(/^unknown function e146\(\) \(did you mean e164\(\)\?\)/),
    ]);
  });

  it('allow-negative: true on the rate makes it a credit that lints clean', () => {
    const r = lint('credit.catalog.yaml', demo.replace(sms, '{ id: sms, description: SMS, usage-class: sms, unit: event, price: "-0.0750", per: "1", allow-negative: true }'));
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
