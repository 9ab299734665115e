/**
 * The usage lineage text (steps/lineage.ts UsageLineage.writeTo) is written from constant pieces of the rate and the
 * numbers; since the compact form (version 2) it leaves out what the rate's terms give. Over generated UDRs of several
 * catalogs (plain and split segments, measures, own rounding, caps, pool debits, model detail texts):
 *  - `whole`: every charge's full lineage (the compact text expanded with its rate's terms, fullLineageText) must be
 *    byte for byte what the full text was before the compact form (the digests of commit c3e7795, unchanged): the
 *    compact form loses nothing;
 *  - `bytes`: the compact text as written in pieces into the store's byte writer (the Native path) must equal the text
 *    written whole (checked per charge) and the digests taken when the compact form was made.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LineageSource, lineageText } from '../../../engine/core/types.ts';
import { type CompiledCatalog, loadCatalogFile, loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { fullLineageText } from '../../../engine/rating/steps/lineage.ts';
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

/** sha256 (16 hex) of every charge's full lineage text, and of its compact text as written in pieces into a ByteWriter */
function digests(cat: CompiledCatalog, from: string, days: number, n: number): { charges: number; whole: string; bytes: string } {
  const rater = new Rater(cat);
  const udrs = generateUdrs(cat, from, days, n);
  const whole = createHash('sha256');
  const bytes = createHash('sha256');
  let charges = 0;
  for (let i = 0; i < udrs.length; i += 37) {
    for (const c of rater.rate(udrs.slice(i, i + 37)).charges) {
      charges++;
      whole.update(fullLineageText(c)).update('\n');
      const w = new ByteWriter(16);
      if (typeof c.lineage !== 'string' && c.lineage.writeTo) w.stringFrom(c.lineage as Required<LineageSource>);
      else w.string(lineageText(c));
      const written = w.take();
      const b = new ByteWriter(16);
      b.string(lineageText(c));
      expect(Buffer.from(written)).toEqual(Buffer.from(b.take()));
      bytes.update(written).update('\n');
    }
  }
  return { charges, whole: whole.digest('hex').slice(0, 16), bytes: bytes.digest('hex').slice(0, 16) };
}

/** whole: the digests of commit c3e7795 (the full text); bytes: the compact text's (version 2) */
const PREVIOUS: Record<string, { charges: number; whole: string; bytes: string }> = {
  'demo': {"charges":1149,"whole":"ae120a352b93f0e8","bytes":"280ceb25796e9b12"},
  'demo-pooled': {"charges":1432,"whole":"ee38ec12ca7b41e7","bytes":"8ffaad461aa9b715"},
  'telecom': {"charges":3200,"whole":"1d8bfd324f84c1a2","bytes":"55df425955fb36ce"},
  'scenario-contract': {"charges":437,"whole":"2b6a443da4f8595f","bytes":"d4c4afb5b1911809"},
  'scenario-first-use': {"charges":440,"whole":"8e34007e0a63007f","bytes":"c58d97b5cc603d45"},
  'scenario-hardware-node': {"charges":358,"whole":"d8034c80cb1408f2","bytes":"1c97d0fcb91700cd"},
  'scenario-pay-per-litre': {"charges":240,"whole":"acfa7b477b3f4d02","bytes":"4731ab1b11b38a6f"},
  'scenario-shared-device': {"charges":1128,"whole":"f504aa0c64871f91","bytes":"a8b82f5bc64e17e2"},
  'scenario-sms-pool': {"charges":233,"whole":"fb0b913ad250802e","bytes":"8545496ce1984b55"},
  'w2-increment': {"charges":296,"whole":"c58dcaa9bf1c65ab","bytes":"52c9f659e768b30c"},
  'w2-cgrates': {"charges":296,"whole":"e4075fb608316b2c","bytes":"afbbea600d7cd29f"},
};

describe('usage lineage: the full text = the previous version byte for byte, the compact text as written', () => {
  for (const [name, cat, from, days, n] of CASES) {
    it(name, () => {
      const got = digests(cat(), from, days, n);
      if (process.env.RATESTREAM_PRINT_LINEAGE_DIGESTS) console.log(`  '${name}': ${JSON.stringify(got)},`);
      expect(got.charges).toBeGreaterThan(0);
      expect(got).toEqual(PREVIOUS[name]);
    });
  }
});
