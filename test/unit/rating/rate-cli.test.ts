/**
 * The `rate` command as a CGRateS user meets it: --help documents the UDR fields; `usage` is read in the record's
 * unit (a data record's "2MB" is bytes, not seconds) with the unit following the usage class from the catalog;
 * rejects are labelled by record id; NO_RATE names the destination.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogFile, loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { catalogUnitOf, toUdr, UDR_INPUT_FIELDS } from '../../../engine/rating/udr-input.ts';
import { catalogWith } from './helpers.ts';

const root = resolve(import.meta.dirname, '../../..');
const bin = resolve(root, 'engine/cli/bin.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
const DEMO = 'rules/demo/catalog.yaml';

describe('toUdr: usage in the record unit', () => {
  const table: [Record<string, unknown>, string, number][] = [
    [{ usage: '90s' }, 'ms', 90_000],
    [{ usage: '1m30s' }, 'ms', 90_000],
    [{ usage: 62 }, 'ms', 62_000], // bare number of a duration = seconds
    [{ usage: '2MB', unit: 'byte' }, 'byte', 2_000_000],
    [{ usage: '1KiB', unit: 'byte' }, 'byte', 1024],
    [{ usage: 2048, unit: 'byte' }, 'byte', 2048], // bare number = bytes, not seconds
    [{ usage: '3', unit: 'event' }, 'event', 3],
    [{ quantity: 5, unit: 'ml' }, 'ml', 5],
  ];
  for (const [o, unit, q] of table) {
    it(`${JSON.stringify(o)} → ${q} ${unit}`, () => {
      const u = toUdr(o, 0);
      expect([u.unit, u.quantity]).toEqual([unit, q]);
    });
  }
  it('a data quantity in a time unit is refused (not silently misread)', () => {
    expect(() => toUdr({ usage: '90s', unit: 'byte' }, 0)).toThrow(/time quantity but the usage unit is byte/);
  });
  it('without unit, the unit follows the usage class (the catalog\'s rates), else ms', () => {
    const unitOf = catalogUnitOf(loadCatalogFile(resolve(root, DEMO)));
    expect(toUdr({ class: 'data', usage: '2MB' }, 0, unitOf)).toMatchObject({ unit: 'byte', quantity: 2_000_000 });
    expect(toUdr({ class: 'sms', usage: 1 }, 0, unitOf)).toMatchObject({ unit: 'event', quantity: 1 });
    expect(toUdr({ class: 'voice', usage: '90s' }, 0, unitOf)).toMatchObject({ unit: 'ms', quantity: 90_000 });
    expect(toUdr({ class: 'unknown', usage: '90s' }, 0, unitOf)).toMatchObject({ unit: 'ms', quantity: 90_000 });
    // a class the catalog does not price: its usual unit (data → byte, sms → event), not seconds
    expect(toUdr({ class: 'data', usage: '2MB' }, 0)).toMatchObject({ unit: 'byte', quantity: 2_000_000 });
    expect(toUdr({ class: 'sms', usage: 3 }, 0)).toMatchObject({ unit: 'event', quantity: 3 });
    expect(toUdr({ class: 'data', usage: 2048 }, 0, () => undefined)).toMatchObject({ unit: 'byte', quantity: 2048 });
    // a class priced in two units has no default
    const mixed = catalogUnitOf(loadCatalogText(catalogWith(['{ id: a, usage-class: x, unit: ms, price: "1" }', '{ id: b, usage-class: x, unit: byte, price: "1" }'])));
    expect(mixed('x')).toBeUndefined();
  });
});

describe('ratestream rate', () => {
  it('--help lists every UDR field', () => {
    const r = run('rate', '--help');
    expect(r.status, r.stderr).toBe(0);
    for (const [f] of UDR_INPUT_FIELDS) expect(r.stdout).toContain(f);
    expect(r.stdout).toMatch(/usage\s+amount used, read in the unit/);
  });
  it('a data record\'s usage is bytes; rejects are labelled by record id and NO_RATE names the destination', () => {
    const r = run('rate', '-c', DEMO,
      '--udr', JSON.stringify({ id: 'd1', account: 'ACME', class: 'data', usage: '2MB', start: '2026-10-03T10:00:00Z' }),
      '--udr', JSON.stringify({ id: 'x1', account: 'ACME', class: 'fax', usage: '90s', destination: '+3120555' }));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^d1\tdata\t2000000\t0\.0240000000\t/m); // 2 MB at 0.0120/MB (1 kB increments)
    expect(r.stdout).toMatch(/^REJECT x1 NO_RATE: .*destination \+3120555/m);
  });
});

describe('ratestream rate: records that cannot be read, NO_RATE per destination', () => {
  it('a record that cannot be read is a reject labelled by its id (or place); the others are rated', () => {
    const r = run('rate', '-c', DEMO,
      '--udr', JSON.stringify({ id: 'b1', account: 'ACME', class: 'data', usage: '90s' }),
      '--udr', '{nope',
      '--udr', JSON.stringify({ id: 't1', account: 'ACME', start: 'yesterday', usage: '1s' }),
      '--udr', JSON.stringify({ id: 'd1', account: 'ACME', class: 'data', usage: '2MB', start: '2026-10-03T10:00:00Z' }));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^d1\tdata\t2000000\t/m);
    expect(r.stdout).toContain('REJECT b1 INVALID_RECORD: "90s" is a time quantity but the usage unit is byte');
    expect(r.stdout).toMatch(/^REJECT --udr #2 INVALID_RECORD: not JSON/m);
    expect(r.stdout).toContain('REJECT t1 INVALID_RECORD: startTime "yesterday" is not an ISO time or epoch ms');
  });
  it('NO_RATE names the destination that had no rate (a plan pricing the class for other prefixes only)', () => {
    const cat = loadCatalogText(catalogWith(['{ id: nl, usage-class: voice, prefixes: ["+31"], price: "0.10", per: 60s }']));
    const res = new Rater(cat).rate([toUdr({ id: 'x', account: 'acme', class: 'voice', destination: '+4930123', usage: '60s' }, 0)]);
    expect(res.rejects.map((r) => [r.reason, r.message])).toEqual([['NO_RATE', 'plan plan: no rate for voice in ms to +4930123 at 1970-01-01T00:00:00.000Z']]);
  });
});

describe('rate: charging runs', () => {
  it('prints each run\'s charge with the run name (non-billable marked)', () => {
    const r = run('rate', '-c', 'rules/rating/charging-runs/catalog.yaml', '--udr',
      '{"id":"x1","usageClass":"voice","account":"acme","destination":"+31612345678","usage":"150s","attrs":{"carrier":"kpn"},"startTime":"2026-11-03T09:00:00Z"}');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 5))).toEqual([
      ['x1', 'wholesale (not billable)', 'kpn-nl-mob', '150000', '0.0775000000'],
      ['x1', 'retail', 'nl-mob', '180000', '0.4100000000'],
    ]);
  });

  it('--explain names the run of each charge and the run step', () => {
    const r = run('rate', '-c', 'rules/rating/charging-runs/catalog.yaml', '--explain', '--udr',
      '{"id":"x1","usageClass":"voice","account":"acme","destination":"+31612345678","usage":"150s","attrs":{"carrier":"kpn"},"startTime":"2026-11-03T09:00:00Z"}');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('charge ')).map((l) => l.replace(/^charge \w+ /, ''))).toEqual([
      '(usage, run wholesale, not billable) 0.0775000000 EUR', '(usage, run retail) 0.4100000000 EUR']);
    expect(lines).toContain('    2. charging run wholesale (not billable), account = attrs.carrier');
  });
});
