/**
 * The usage lineage text (steps/lineage.ts UsageLineage.writeTo) is written from fewer, longer constant pieces than
 * before (the rate's pieces joined where no number sits between them); the text must stay byte for byte what the
 * previous version wrote. The digests below were taken from the previous writeTo (commit c3e7795) over generated UDRs
 * of several catalogs (plain and split segments, measures, own rounding, caps, pool debits, model detail texts),
 * written both whole (lineageText) and in pieces into the store's byte writer (the Native path).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LineageSource, lineageText } from '../../../engine/core/types.ts';
import { type CompiledCatalog, loadCatalogFile, loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { ByteWriter } from '../../../engine/store/bytes.ts';
import { generateUdrs, w2Catalog } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const file = (p: string) => () => loadCatalogFile(resolve(ROOT, p));
const CASES: [string, () => CompiledCatalog, string, number, number][] = [
  ['demo', file('rules/demo/catalog.yaml'), '2026-10-01T00:00:00Z', 31, 1500],
  ['demo-pooled', file('rules/demo/pooled.catalog.yaml'), '2026-10-01T00:00:00Z', 45, 1500],
  ['telecom', file('rules/rating/telecom/catalog.yaml'), '2025-03-01T00:00:00Z', 10, 800],
  ...['contract', 'first-use', 'hardware-node', 'pay-per-litre', 'shared-device', 'sms-pool'].map((s) => [`scenario-${s}`, file(`rules/rating/scenarios/${s}.catalog.yaml`), '2025-01-01T00:00:00Z', 120, 500] as [string, () => CompiledCatalog, string, number, number]),
  ['w2-increment', () => loadCatalogText(w2Catalog('increment')), '2025-03-03T07:00:00Z', 1, 600],
  ['w2-cgrates', () => loadCatalogText(w2Catalog('cgrates')), '2025-03-03T07:00:00Z', 1, 600],
];

/** sha256 (16 hex) of every charge's lineage text, whole and as written in pieces into a ByteWriter */
function digests(cat: CompiledCatalog, from: string, days: number, n: number): { charges: number; whole: string; bytes: string } {
  const rater = new Rater(cat);
  const udrs = generateUdrs(cat, from, days, n);
  const whole = createHash('sha256');
  const bytes = createHash('sha256');
  let charges = 0;
  for (let i = 0; i < udrs.length; i += 37) {
    for (const c of rater.rate(udrs.slice(i, i + 37)).charges) {
      charges++;
      whole.update(lineageText(c)).update('\n');
      const w = new ByteWriter(16);
      if (typeof c.lineage !== 'string' && c.lineage.writeTo) w.stringFrom(c.lineage as Required<LineageSource>);
      else w.string(lineageText(c));
      bytes.update(w.take()).update('\n');
    }
  }
  return { charges, whole: whole.digest('hex').slice(0, 16), bytes: bytes.digest('hex').slice(0, 16) };
}

const PREVIOUS: Record<string, { charges: number; whole: string; bytes: string }> = {
  'demo': {"charges":1149,"whole":"ae120a352b93f0e8","bytes":"5922f861c37810ac"},
  'demo-pooled': {"charges":1432,"whole":"ee38ec12ca7b41e7","bytes":"f44d732bea966fb3"},
  'telecom': {"charges":3200,"whole":"1d8bfd324f84c1a2","bytes":"60789af4f25241aa"},
  'scenario-contract': {"charges":437,"whole":"2b6a443da4f8595f","bytes":"392cfd6de78a8e5c"},
  'scenario-first-use': {"charges":440,"whole":"8e34007e0a63007f","bytes":"1246a4c39fbe9884"},
  'scenario-hardware-node': {"charges":358,"whole":"d8034c80cb1408f2","bytes":"5130b45f6c88a589"},
  'scenario-pay-per-litre': {"charges":240,"whole":"acfa7b477b3f4d02","bytes":"87e82a83e6491844"},
  'scenario-shared-device': {"charges":1128,"whole":"f504aa0c64871f91","bytes":"a8b82f5bc64e17e2"},
  'scenario-sms-pool': {"charges":233,"whole":"fb0b913ad250802e","bytes":"ec07696e87fa3acf"},
  'w2-increment': {"charges":296,"whole":"c58dcaa9bf1c65ab","bytes":"fce8e131f40785c1"},
  'w2-cgrates': {"charges":296,"whole":"e4075fb608316b2c","bytes":"93f805e1ca2c7468"},
};

describe('usage lineage text, written from joined pieces = the previous version byte for byte', () => {
  for (const [name, cat, from, days, n] of CASES) {
    it(name, () => {
      const got = digests(cat(), from, days, n);
      if (process.env.RATESTREAM_PRINT_LINEAGE_DIGESTS) console.log(`  '${name}': ${JSON.stringify(got)},`);
      expect(got.charges).toBeGreaterThan(0);
      expect(got).toEqual(PREVIOUS[name]);
    });
  }
});
