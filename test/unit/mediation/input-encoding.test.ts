/** Bytes → text in front of the framers: BOM, declared encoding, invalid bytes, binary input (decoder.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reject, Udr } from '../../../engine/core/types.ts';
import { ByteDecoder } from '../../../engine/mediation/parsers/decoder.ts';
import { Mediator } from '../../../engine/mediation/mediator.ts';
import { FileMediation } from '../../helpers/file-mediation.ts';
import { compileText, CSV_RULES, tempDir } from './helpers.ts';

const rules = (parser: string) => CSV_RULES.replace('parser: { type: csv, columns: [id, kind, account, qty] }', `parser: ${parser}`);

async function mediateBytes(yaml: string, bytes: Buffer, chunk = bytes.length) {
  const udrs: Udr[] = [];
  const rejects: Reject[] = [];
  const fm = new FileMediation(compileText(yaml), 'f', { udr: (u) => udrs.push(u), reject: (r) => rejects.push(r) });
  const framer = fm.rules.parser.createFramer('in.csv', 'f');
  const outs = [];
  for (let i = 0; i < bytes.length; i += chunk) outs.push(framer.push(bytes.subarray(i, i + chunk)));
  outs.push(framer.end());
  for (const o of outs) await fm.records(o.records);
  let ignored = 0;
  for (const o of outs) for (const n of o.ignored.values()) ignored += n;
  return { udrs, rejects, totals: fm.finish(), ignored };
}

const CSV = rules('{ type: csv, columns: [id, kind, account, qty] }');

describe('input decoding', () => {
  it('drops a UTF-8 byte-order mark: the first record is not filtered or misread', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('c1,V,ACME,60\nc2,V,ACME,30\n')]);
    const { udrs, rejects } = await mediateBytes(CSV, bytes);
    expect(rejects).toEqual([]);
    expect(udrs.map((u) => u.id)).toEqual(['c1', 'c2']);
    // the same through a file with the BOM split over two reads
    const dir = tempDir();
    writeFileSync(join(dir, 'bom.csv'), bytes);
    const fm = new FileMediation(compileText(CSV), 'f');
    await fm.file(join(dir, 'bom.csv'), 'bom.csv');
    expect(fm.finish().udrs).toBe(2);
    const split = await mediateBytes(CSV, bytes, 2);
    expect(split.udrs.map((u) => u.id)).toEqual(['c1', 'c2']);
  });

  it('drops a BOM in text given as a string too', async () => {
    const udrs: Udr[] = [];
    const fm = new FileMediation(compileText(CSV), 'f', { udr: (u) => udrs.push(u) });
    await fm.text('in', '\uFEFFc1,V,ACME,60\n');
    expect(fm.finish().udrs).toBe(1);
    expect(udrs[0]!.id).toBe('c1');
  });

  it('a record with bytes invalid in UTF-8 becomes INVALID_ENCODING with its original bytes; the others pass', async () => {
    const bad = Buffer.from([0x63, 0x32, 0x2c, 0x56, 0x2c, 0x41, 0x43, 0x4d, 0xc9, 0x2c, 0x36, 0x30]); // c2,V,ACM\xC9,60
    const bytes = Buffer.concat([Buffer.from('c1,V,ACME,60\n'), bad, Buffer.from('\nc3,V,ACMÉ,5\n')]);
    for (const chunk of [bytes.length, 1, 3, 7]) {
      const { udrs, rejects, totals } = await mediateBytes(CSV, bytes, chunk);
      expect(udrs.map((u) => [u.id, u.account])).toEqual([['c1', 'ACME'], ['c3', 'ACMÉ']]);
      expect(rejects).toHaveLength(1);
      expect(rejects[0]!.reason).toBe('INVALID_ENCODING');
      expect(rejects[0]!.source).toBe('in.csv:2');
      expect(rejects[0]!.message).toContain('utf-8');
      expect(rejects[0]!.raw).toBe(`base64:${bad.toString('base64')}`);
      expect(totals.in).toBe(totals.udrs + totals.ignored + totals.rejects);
    }
  });

  it('encoding: latin1 reads ISO-8859-1 bytes; windows-1252 maps 0x80 to the euro sign; utf-16le with its BOM', async () => {
    const latin = Buffer.from('c1,V,ACM\xC9,60\n', 'latin1');
    const a = await mediateBytes(rules('{ type: csv, encoding: latin1, columns: [id, kind, account, qty] }'), latin);
    expect(a.udrs[0]!.account).toBe('ACMÉ');
    const cp = Buffer.from([...Buffer.from('c1,V,'), 0x80, ...Buffer.from('X,60\n')]);
    const b = await mediateBytes(rules('{ type: csv, encoding: windows-1252, columns: [id, kind, account, qty] }'), cp);
    expect(b.udrs[0]!.account).toBe('€X');
    const u16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('c1,V,ACMÉ,60\nc2,V,B,1\n', 'utf16le')]);
    const c = await mediateBytes(rules('{ type: csv, encoding: utf-16le, columns: [id, kind, account, qty] }'), u16, 5);
    expect(c.rejects).toEqual([]);
    expect(c.udrs.map((u) => u.account)).toEqual(['ACMÉ', 'B']);
  });

  it('ascii: a byte above 0x7F is INVALID_ENCODING, kept as it was', async () => {
    const bytes = Buffer.from('c1,V,ACM\xC9,60\n', 'latin1');
    const { rejects } = await mediateBytes(rules('{ type: csv, encoding: ascii, columns: [id, kind, account, qty] }'), bytes);
    expect(rejects.map((r) => r.reason)).toEqual(['INVALID_ENCODING']);
    expect(Buffer.from(rejects[0]!.raw.slice(7), 'base64').equals(bytes.subarray(0, -1))).toBe(true);
  });

  it('a binary file is one BINARY_INPUT reject, not hundreds of records', async () => {
    let x = 12345;
    const random = Buffer.from(Buffer.alloc(50_000, 0).map(() => (x = (x * 1103515245 + 12345) & 0x7fffffff) >> 16));
    const r = await mediateBytes(CSV, random, 16384);
    expect(r.udrs).toEqual([]);
    expect(r.rejects.map((j) => [j.reason, j.source])).toEqual([['BINARY_INPUT', 'in.csv:1']]);
    expect(r.totals.in).toBe(1);
    expect(r.ignored).toBe(0);
    // an "executable": text with NUL bytes
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]), Buffer.from('a,b,c\n'.repeat(100))]);
    const e = await mediateBytes(CSV, elf);
    expect(e.rejects.map((j) => j.reason)).toEqual(['BINARY_INPUT']);
    expect(e.rejects[0]!.message).toMatch(/NUL/);
    // UTF-16 read as UTF-8: the message says which encoding to set
    const u16 = await mediateBytes(CSV, Buffer.from('c1,V,A,1\n'.repeat(20), 'utf16le'));
    expect(u16.rejects[0]!.message).toContain('encoding: utf-16le');
    // every text format checks; xml and json too
    const xml = await mediateBytes(`kind: mediation
name: x
parser: { type: xml, element: r }
usage-classes: [{ name: v, when: "true" }]
mappings: [{ name: m, fields: { id: "$id", account: "'a'", startTime: "0", quantity: "1", unit: "'event'" } }]
`, random);
    expect(xml.rejects.map((j) => j.reason)).toEqual(['BINARY_INPUT']);
  });

  it('messages given as bytes (Kafka, HTTP) are decoded in the feed encoding by the Mediator; invalid ones rejected with their bytes', () => {
    const m = new Mediator(compileText(rules('{ type: csv, encoding: latin1, columns: [id, kind, account, qty] }')));
    const latin = Buffer.from('c1,V,ACM\xC9,60', 'latin1');
    const ok = m.mediate([{ feed: 'f', source: 'raw/0/1', text: '', binary: latin }]);
    expect(ok.udrs.map((u) => u.account)).toEqual(['ACMÉ']);
    const u8 = new Mediator(compileText(CSV));
    const res = u8.mediate([{ feed: 'f', source: 'raw/0/2', text: '', binary: latin }, { feed: 'f', source: 'raw/0/3', text: '', binary: Buffer.from('\uFEFFc2,V,B,1') }]);
    expect(res.rejects.map((r) => [r.reason, r.raw])).toEqual([['INVALID_ENCODING', `base64:${latin.toString('base64')}`]]);
    expect(res.udrs.map((u) => u.id)).toEqual(['c2']);
  });

  it('a NUL inside a field is an INVALID_ENCODING reject of that record: past a file\'s binary sample (run) and in a message (serve)', async () => {
    // a file: text first (not binary), then one line with a NUL in its last (free-text) field
    const lines = Array.from({ length: 1000 }, (_, i) => `c${i},V,ACME,60`);
    lines[900] = 'c900,V,ACME\u0000x,60';
    const r = await mediateBytes(CSV, Buffer.from(`${lines.join('\n')}\n`), 4096);
    expect(r.rejects.map((j) => [j.reason, j.source])).toEqual([['INVALID_ENCODING', 'in.csv:901']]);
    expect(r.rejects[0]!.message).toMatch(/NUL character at character 12/);
    expect(r.rejects[0]!.raw).toBe('c900,V,ACME\u0000x,60');
    expect(r.udrs).toHaveLength(999);
    // a message as text or as bytes (the streaming mediate role, HTTP ingest)
    const m = new Mediator(compileText(CSV));
    const res = m.mediate([{ feed: 'f', source: 'raw/0/1', text: 'c1,V,AC\u0000ME,60' }, { feed: 'f', source: 'raw/0/2', text: '', binary: Buffer.from('c2,V,ACME,6\u00000') }, { feed: 'f', source: 'raw/0/3', text: 'c3,V,ACME,60' }]);
    expect(res.rejects.map((j) => [j.source, j.reason])).toEqual([['raw/0/1', 'INVALID_ENCODING'], ['raw/0/2', 'INVALID_ENCODING']]);
    expect(res.udrs.map((u) => u.id)).toEqual(['c3']);
  });

  it('ByteDecoder round-trips escapes to the original bytes for every encoding', () => {
    const samples: [string, Buffer][] = [
      ['utf-8', Buffer.from([0x41, 0xe2, 0x82, 0xac, 0xff, 0xc3, 0x41, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80])],
      ['utf-16le', Buffer.from([0x41, 0x00, 0x00, 0xd8, 0x42, 0x00, 0x3d, 0xd8, 0x00, 0xde])],
      ['utf-16be', Buffer.from([0x00, 0x41, 0xdc, 0x00, 0x00, 0x42])],
      ['windows-1252', Buffer.from([0x41, 0x81, 0x80, 0xe9])],
      ['ascii', Buffer.from([0x41, 0xe9])],
    ];
    for (const [enc, bytes] of samples) {
      for (const step of [1, 2, 3, bytes.length]) {
        const d = new ByteDecoder(enc as never);
        let text = '';
        for (let i = 0; i < bytes.length; i += step) text += d.decode(bytes.subarray(i, i + step));
        text += d.decode(new Uint8Array(0), true);
        expect(d.invalid, `${enc} step ${step}`).toBeGreaterThan(0);
        expect(d.encode(text).equals(bytes), `${enc} step ${step}`).toBe(true);
      }
    }
    const ok = new ByteDecoder('utf-8');
    expect(ok.decode(Buffer.from('h\u00e9llo \u{1F600}'))).toBe('h\u00e9llo \u{1F600}');
    expect(ok.invalid).toBe(0);
  });
});
