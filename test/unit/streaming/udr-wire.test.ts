/**
 * The hand-written UDR codec (engine/runtime/streaming/udr-wire.ts) against avsc for schemas/udr.avsc: the same bytes
 * on encode, the same value on decode (of avsc's bytes too), the same failures; any other schema gets no hand codec.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AvroBatchEncoder } from '../../../engine/runtime/kafka/avro-batch.ts';
import type { Udr } from '../../../engine/core/types.ts';
import { udrWireFor, UdrWire } from '../../../engine/runtime/streaming/udr-wire.ts';

const root = resolve(import.meta.dirname, '../../..');
const schema = JSON.parse(readFileSync(join(root, 'schemas/udr.avsc'), 'utf8')) as { fields: { name: string; type: unknown; default?: unknown }[] };
const type = avro.Type.forSchema(schema as avro.Schema);
const wire = udrWireFor(type)!;

/** strings as they come: short ASCII (the common case), any UTF-16 (lone surrogates too), long ones, repeats */
const str = fc.oneof(
  fc.constantFrom('', 'carrier-cdr', 'data', 'byte', 'ACME', '7b5f550b2b88', 'x'.repeat(63), 'y'.repeat(64), 'é'.repeat(32), 'é'.repeat(33)),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('\ud800', '\udc00', 'a', '€', '😀'), maxLength: 70 }),
);
const long = fc.oneof(
  fc.integer({ min: -200, max: 200 }),
  fc.constantFrom(0, -1, 63, 64, -64, -65, 2 ** 28, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31, 2 ** 53 - 2, 2 - 2 ** 53, 1790844332000),
  fc.maxSafeInteger().map((n) => Math.max(2 - 2 ** 53, Math.min(2 ** 53 - 2, n))),
);
const optional = (a: fc.Arbitrary<string>) => fc.option(a, { nil: undefined });
const udr: fc.Arbitrary<Udr> = fc.record({
  id: str, feed: str, usageClass: str, account: str, service: optional(str), ratingKey: str, startTime: long, quantity: long, unit: str,
  origin: optional(str), destination: optional(str), attrs: fc.option(fc.dictionary(str, str, { maxKeys: 5 }), { nil: undefined }), source: str, rulesVersion: str,
}, { requiredKeys: ['id', 'feed', 'usageClass', 'account', 'ratingKey', 'startTime', 'quantity', 'unit', 'source', 'rulesVersion'] }) as fc.Arbitrary<Udr>;

const decode = (w: UdrWire, b: Buffer) => w.read(b, 0, b.length);

describe('udr-wire: hand-written Avro for schemas/udr.avsc', () => {
  it('is chosen for udr.avsc only (fingerprint and defaults)', () => {
    expect(wire).toBeInstanceOf(UdrWire);
    expect(udrWireFor(avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 's', type: 'string' }] }))).toBeUndefined();
    const otherDefault = { ...schema, fields: schema.fields.map((f) => (f.name === 'origin' ? { ...f, default: '?' } : f)) };
    expect(udrWireFor(avro.Type.forSchema(otherDefault as avro.Schema))).toBeUndefined();
    const extra = { ...schema, fields: [...schema.fields, { name: 'x', type: ['null', 'string'], default: null }] };
    expect(udrWireFor(avro.Type.forSchema(extra as avro.Schema))).toBeUndefined();
    // docs are not part of it
    const noDocs = { ...schema, doc: undefined, fields: schema.fields.map(({ name, type, default: d }) => ({ name, type, ...(d !== undefined && { default: d }) })) };
    expect(udrWireFor(avro.Type.forSchema(noDocs as avro.Schema))).toBeInstanceOf(UdrWire);
  });

  it('encodes byte-equal to avsc and decodes what avsc decodes (random UDRs, edge values)', () => {
    fc.assert(fc.property(udr, (u) => {
      const want = type.toBuffer(u);
      const got = wire.toBuffer(u);
      expect(got.equals(want)).toBe(true);
      expect(decode(wire, want)).toEqual({ ...type.fromBuffer(want) });
    }), { numRuns: 3000 });
  });

  it('round-trips well-formed values exactly (defaults filled in), also through the intern table', () => {
    const w = new UdrWire();
    fc.assert(fc.property(fc.array(udr, { minLength: 1, maxLength: 20 }), (us) => {
      for (const u of us) {
        const back = decode(w, w.toBuffer(u));
        const want = { ...u, service: u.service ?? '', origin: u.origin ?? '', destination: u.destination ?? '', attrs: u.attrs ?? {} };
        // strings with lone surrogates do not survive UTF-8 (neither do they with avsc): compare with avsc's view
        expect(back).toEqual({ ...type.fromBuffer(type.toBuffer(want)) });
        expect(Object.keys(back)).toEqual(schema.fields.map((f) => f.name));
      }
    }), { numRuns: 500 });
  });

  it('a batch framed by AvroBatchEncoder with the hand body has the bytes of the avsc batch', () => {
    const us = fc.sample(udr, { numRuns: 2000, seed: 7 });
    const a = new AvroBatchEncoder<Udr>(type, 42).encode(us);
    const b = new AvroBatchEncoder<Udr>(type, 42, wire).encode(us);
    for (let i = 0; i < us.length; i++) expect(b[i]!.equals(a[i]!)).toBe(true);
  });

  it('fails where avsc fails: invalid values on encode, truncated and trailing bytes on decode', () => {
    const ok: Udr = { id: 'a', feed: 'f', usageClass: 'u', account: 'acc', service: 's', ratingKey: 'r', startTime: 1, quantity: 2, unit: 'byte', origin: '', destination: '', attrs: { k: 'v' }, source: 'x', rulesVersion: '1' };
    const bad: Record<string, unknown>[] = [
      { id: undefined }, { feed: null }, { startTime: 1.5 }, { quantity: 2 ** 53 }, { quantity: Number.MAX_SAFE_INTEGER }, { startTime: Number.MIN_SAFE_INTEGER }, { quantity: Infinity }, { quantity: '3' }, { startTime: NaN }, { attrs: null }, { attrs: [] },
      { attrs: { k: 1 } }, { service: null }, { rulesVersion: 7 },
    ];
    for (const b of bad) {
      const u = { ...ok, ...b } as unknown as Udr;
      expect(() => type.toBuffer(u)).toThrow();
      expect(() => wire.toBuffer(u)).toThrow();
    }
    const bytes = wire.toBuffer(ok);
    for (let n = 0; n < bytes.length; n++) {
      expect(() => type.fromBuffer(bytes.subarray(0, n))).toThrow();
      expect(() => decode(wire, bytes.subarray(0, n))).toThrow();
    }
    const more = Buffer.concat([bytes, Buffer.from([0])]);
    expect(() => type.fromBuffer(more)).toThrow(/trailing/);
    expect(() => decode(wire, more)).toThrow(/trailing/);
  });

  it('reads maps written in byte-size-prefixed blocks (negative counts) as avsc does', () => {
    const u = type.fromBuffer(type.toBuffer({ id: 'a', feed: 'f', usageClass: 'u', account: 'a', ratingKey: 'r', startTime: 1, quantity: 1, unit: 'byte', source: 's', rulesVersion: '1' }));
    // hand-built body: the fields before attrs, a block of count -2 with its byte size, then 0, then the rest
    const head = Buffer.from('026102660275026100027202020862797465' + '0000', 'hex');
    const entries = Buffer.concat([Buffer.from([2, 0x6b, 2, 0x76]), Buffer.from([4, 0x6b, 0x32, 2, 0x77])]);
    const body = Buffer.concat([head, Buffer.from([3, entries.length << 1]), entries, Buffer.from([0, 2, 0x73, 2, 0x31])]);
    const want = { ...u, attrs: { k: 'v', k2: 'w' } };
    expect({ ...type.fromBuffer(body) }).toEqual(want);
    expect(decode(wire, body)).toEqual(want);
  });
});
