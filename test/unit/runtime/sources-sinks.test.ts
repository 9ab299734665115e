/**
 * The runtime's contracts: the source and sink registries (specs whose examples validate, listed by
 * `ratestream list`), the one framer loop (the same records, ignored counts and faults however the bytes are cut),
 * and the raw wire format of the Kafka source (what the drop directory / HTTP ingest produce, the mediate role
 * reads back: coordinates, framing faults and the framer's ignored lines survive the trip).
 */
import { describe, expect, it } from 'vitest';
import { listText } from '../../../engine/cli/commands/list.ts';
import type { ConsumedMessage } from '../../../engine/runtime/kafka/port.ts';
import { BatchDriver } from '../../../engine/runtime/driver.ts';
import { SINKS } from '../../../engine/runtime/sinks/index.ts';
import { SOURCES } from '../../../engine/runtime/sources/index.ts';
import { rawBatch, rawProducerRecords } from '../../../engine/runtime/sources/kafka.ts';
import { frameChunks, type SourceBatch } from '../../../engine/runtime/sources/source.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileMediationFile } from '../../../engine/mediation/compiler.ts';
import { compileText, tempDir, writeRules } from '../mediation/helpers.ts';

const FWV = `kind: mediation
name: fwv
parser:
  type: fixed-width
  record-type: { start: 0, end: 3 }
  header: HDR
  trailer: TRL
  records: [CDR]
  fields:
    - { name: id, start: 3, end: 6 }
    - { name: secs, start: 6, end: 9 }
  trailer-check:
    count: { start: 3, end: 6 }
  on-trailer-mismatch: reject-file
usage-classes: [{ name: voice, when: "true" }]
mappings:
  - name: call
    fields: { id: "$id", account: "'A'", startTime: "0", quantity: "duration($secs, 's')", unit: "'ms'" }
`;
const BAD_TRAILER = 'HDR\nCDR001010\nCDR002020\nCDR003030\nTRL005\n';

async function collect(gen: AsyncIterable<SourceBatch>) {
  const out: SourceBatch[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

describe('source and sink registries', () => {
  it('one spec per component, unique types, examples valid against their options, all listed', () => {
    for (const reg of [SOURCES, SINKS]) {
      expect(new Set(reg.map((s) => s.type)).size).toBe(reg.length);
      for (const s of reg) {
        expect(s.description.length, s.type).toBeGreaterThan(20);
        expect(s.examples.length, s.type).toBeGreaterThan(0);
        for (const ex of s.examples) expect(s.options.safeParse(ex).success, `${s.type} ${JSON.stringify(ex)}`).toBe(true);
      }
    }
    expect(SOURCES.map((s) => s.type)).toEqual(['file', 'stdin', 'drop-dir', 'http', 'kafka']);
    expect(SINKS.map((s) => s.type)).toEqual(['clickhouse', 'kafka-topic', 'dlq-file', 'dlq-topic', 'stdout']);
    const text = listText('sources') + listText('sinks');
    for (const s of [...SOURCES, ...SINKS]) expect(text).toContain(`  ${s.type}`);
  });
});

describe('the framer loop', () => {
  it('gives the same records, ignored counts and faults however the input is cut; the last batch ends the unit', async () => {
    const rules = compileText(FWV);
    const whole = await collect(frameChunks(rules.parser, 'f.fwv', 'fwv', [Buffer.from(BAD_TRAILER)], 2));
    const bytes = Buffer.from(BAD_TRAILER);
    const cut = await collect(frameChunks(rules.parser, 'f.fwv', 'fwv', [...bytes].map((b) => Buffer.from([b])), 2));
    const shape = (bs: SourceBatch[]) => ({
      records: bs.flatMap((b) => b.records.map((r) => [r.source, r.text, r.fault?.reason])),
      ignored: bs.flatMap((b) => [...b.ignored]).reduce<Record<string, number>>((m, [k, n]) => ({ ...m, [k]: (m[k] ?? 0) + n }), {}),
      ends: bs.map((b) => b.unitEnd !== undefined),
    });
    expect(shape(whole).records).toEqual([
      ['f.fwv:2', 'CDR001010', 'TRAILER_MISMATCH'], ['f.fwv:3', 'CDR002020', 'TRAILER_MISMATCH'], ['f.fwv:4', 'CDR003030', 'TRAILER_MISMATCH'],
    ]);
    expect(shape(cut).records).toEqual(shape(whole).records);
    expect(shape(whole).ignored).toEqual({ header: 1, trailer: 1 });
    expect(shape(cut).ignored).toEqual({ header: 1, trailer: 1 });
    expect(whole.every((b) => b.records.length <= 2)).toBe(true);
    expect(shape(whole).ends.at(-1)).toBe(true);
    expect(shape(whole).ends.filter(Boolean)).toHaveLength(1);
    expect(whole.at(-1)!.unitEnd!.check!.ok).toBe(false);
  });
});

describe('binary feeds', () => {
  it('an Avro file\'s base64 lines are framed as the messages\' bytes (sent as bytes by drop-dir and HTTP); other lines stay text', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 's.avsc'), JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'id', type: 'string' }] }));
    const rules = compileMediationFile(writeRules('kind: mediation\nname: a\nparser: { type: avro, registry: false, schema: s.avsc }\nusage-classes: [{ name: u, when: "true" }]\nmappings:\n  - name: m\n    fields: { id: "$id", account: "\'A\'", startTime: "0", quantity: "1", unit: "\'event\'" }\n', dir));
    const wire = Buffer.from([0, 0, 0, 0, 7, 2, 0x61]);
    const [b] = await collect(frameChunks(rules.parser, 'f.avro64', 'a', [`${wire.toString('base64')}\nnot base64!\n`], 10));
    expect(b!.records.map((r) => [r.text, r.binary ? Buffer.from(r.binary).toString('hex') : undefined])).toEqual([['', wire.toString('hex')], ['not base64!', undefined]]);
    const produced = rawProducerRecords(b!, 'raw.a', 'k');
    expect(produced[0]!.value!.equals(wire)).toBe(true);
  });
});

describe('the raw wire format (ingest → Kafka → mediate role)', () => {
  it('keeps coordinates, framing faults and the ignored lines: the driver counts what an embedded run counts', async () => {
    const rules = compileText(FWV);
    const batches = await collect(frameChunks(rules.parser, 'f.fwv', 'fwv', [BAD_TRAILER], 100));
    const embedded = new BatchDriver({ feed: 'fwv', mediation: rules });
    for (const b of batches) await embedded.step(b);
    embedded.flush();

    const produced = batches.flatMap((b) => rawProducerRecords(b, 'raw.fwv', 'f.fwv'));
    expect(new Set(produced.map((r) => r.key))).toEqual(new Set(['f.fwv']));
    const consumed: ConsumedMessage[] = produced.map((r, i) => ({
      offset: String(i), key: Buffer.from(String(r.key)), value: r.value, timestamp: '0',
      headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    }));
    const back = rawBatch(consumed, { topic: 'raw.fwv', partition: 0 }, 'fwv', false);
    expect(back.records.map((r) => [r.source, r.text, r.fault?.reason])).toEqual(batches.flatMap((b) => b.records.map((r) => [r.source, r.text, r.fault?.reason])));
    const served = new BatchDriver({ feed: 'fwv', mediation: rules });
    await served.step(back);
    served.flush();
    expect(served.counters).toEqual(embedded.counters);
    expect(served.counters).toMatchObject({ records: 5, udrs: 0, ignored: { header: 1, trailer: 1 }, rejected: { TRAILER_MISMATCH: 3 } });
  });

  it('a text message that is not valid UTF-8 is an INVALID_ENCODING reject keeping its bytes, as in run (never U+FFFD)', async () => {
    const rules = compileText(FWV);
    const bad = Buffer.concat([Buffer.from('CDR00'), Buffer.from([0xff]), Buffer.from('010')]);
    const msg = (offset: string, value: Buffer): ConsumedMessage => ({ offset, key: null, value, headers: {}, timestamp: '0' });
    const back = rawBatch([msg('1', bad), msg('2', Buffer.from('CDR002020'))], { topic: 'raw.fwv', partition: 0 }, 'fwv', false);
    const d = new BatchDriver({ feed: 'fwv', mediation: rules });
    const out = await d.step(back);
    expect(out.udrs.map((u) => u.id)).toEqual(['002']);
    expect(out.rejects.map((r) => [r.reason, r.source, r.raw])).toEqual([['INVALID_ENCODING', 'raw.fwv/0/1', `base64:${bad.toString('base64')}`]]);
  });

  it('a message from another producer (no headers) is one record named topic/partition/offset; an empty one is ignored', () => {
    const msg = (offset: string, value: string): ConsumedMessage => ({ offset, key: null, value: Buffer.from(value), headers: {}, timestamp: '0' });
    const b = rawBatch([msg('7', 'a,b,c'), msg('8', '')], { topic: 'raw.x', partition: 2 }, 'x', false);
    expect(b.records).toEqual([{ feed: 'x', source: 'raw.x/2/7', text: 'a,b,c' }]);
    expect([...b.ignored]).toEqual([['empty', 1]]);
  });
});
