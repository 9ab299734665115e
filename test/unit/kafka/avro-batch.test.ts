/** AvroBatchEncoder: a batch framed and encoded into one Buffer gives exactly the bytes of the per-record encoder. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroBatchEncoder } from '../../../engine/runtime/kafka/avro-batch.ts';
import { Mediator } from '../../../engine/mediation/mediator.ts';
import { CSV_RULES, compileText } from '../mediation/helpers.ts';

const root = resolve(import.meta.dirname, '../../..');
const frame = (id: number, body: Buffer) => {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(id, 1);
  return Buffer.concat([h, body]);
};

describe('AvroBatchEncoder', () => {
  it('mediated UDRs: every view equals magic + schema id + type.toBuffer, and all views share one Buffer', () => {
    const type = avro.Type.forSchema(JSON.parse(readFileSync(join(root, 'schemas/udr.avsc'), 'utf8')));
    const lines = Array.from({ length: 500 }, (_, i) => ({ feed: 'cdr', source: `f:${i}`, text: `id-${i},V,acc-${i % 7},${i + 1}` }));
    const udrs = new Mediator(compileText(CSV_RULES)).mediate(lines).udrs;
    expect(udrs).toHaveLength(500);
    const views = new AvroBatchEncoder(type, 42).encode(udrs);
    expect(views).toHaveLength(udrs.length);
    for (let i = 0; i < udrs.length; i++) expect(views[i]!.equals(frame(42, type.toBuffer(udrs[i])))).toBe(true);
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    for (let i = 0; i < udrs.length; i++) expect(type.fromBuffer(views[i]!.subarray(5))).toEqual(udrs[i]);
  });

  it('grows past its first guess (records much bigger than the last batch\'s) without losing or corrupting a record', () => {
    const type = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 's', type: 'string' }, { name: 'n', type: 'long' }] });
    const enc = new AvroBatchEncoder(type, 7);
    const small = Array.from({ length: 50 }, (_, i) => ({ s: 'x', n: i }));
    expect(enc.encode(small).map((v) => type.fromBuffer(v.subarray(5)))).toEqual(small);
    // the next batch starts at ~8 bytes per record and holds records of up to 40 kB, non-ASCII text included
    const big = Array.from({ length: 60 }, (_, i) => ({ s: 'é€'.repeat(i * 7000 + 1), n: -i * 1e12 }));
    const views = enc.encode(big);
    for (let i = 0; i < big.length; i++) expect(views[i]!.equals(frame(7, type.toBuffer(big[i])))).toBe(true);
    expect(enc.encode([])).toEqual([]);
  });
});
