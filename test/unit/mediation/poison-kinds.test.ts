/**
 * The poison fixture (test/fixtures/poison.ts) is what it claims: each of its kinds of bad carrier CDR line gets
 * its stated reject reason from the demo carrier rules, built from any good line; the mix keeps every good line in
 * order, puts each bad line in once with a unique marker, and sends each duplicate after its original.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDemoFeeds } from '../../../engine/demo/generate.ts';
import { Mediator } from '../../../engine/mediation/mediator.ts';
import { loadPipeline } from '../../../engine/pipeline/load.ts';
import { rawBatch } from '../../../engine/runtime/sources/kafka.ts';
import { AVRO_POISON_KINDS, MARKER, mixAvroPoison, mixPoison, POISON_KINDS, UNKNOWN_SCHEMA_ID, wire } from '../../fixtures/poison.ts';
import { IOT_FEED, IOT_PIPELINE, iotSchemaV1, iotSessions } from '../../fixtures/iot-avro.ts';
import { encodeWire, staticSchemaResolver } from '../../../engine/mediation/parsers/avro.ts';
import { registryError } from '../../../engine/runtime/kafka/schema-registry.ts';
import avro from 'avsc';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

describe('poison fixture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-poison-kinds-'));
  const { carrierFiles } = generateDemoFeeds(dir, { days: 1, perDay: 60 });
  const all = carrierFiles.flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1).filter(Boolean));
  rmSync(dir, { recursive: true, force: true });
  const rules = loadPipeline(join(ROOT, 'pipelines/demo-carrier.yaml')).mediation;
  // good = lines that become UDRs (the demo feed also holds lines that are ignored or rejected by design)
  const udrSources = new Set(new Mediator(rules).mediate(all.map((text, i) => ({ feed: 'carrier-cdr', source: String(i), text }))).udrs.map((u) => u.source));
  const good = all.filter((_, i) => udrSources.has(String(i))).map((line) => ({ key: null, line }));

  it('has at least 20 kinds, each rejected with its reason whatever good line it is built from', () => {
    expect(POISON_KINDS.length).toBeGreaterThanOrEqual(20);
    expect(good.length).toBeGreaterThan(40);
    const lines = mixPoison(good, POISON_KINDS.length * 5, 0, 7).filter((l) => l.kind);
    const m = new Mediator(rules);
    // as the streaming mediate role reads a message: through the Kafka source's raw wire format (bytes that are not
    // UTF-8 reach the mediator as bytes)
    const msgs = lines.map((l, i) => ({ offset: String(i), key: null, value: wire(l), headers: {}, timestamp: '0' }));
    const res = m.mediate(rawBatch(msgs, { topic: 't', partition: 0 }, 'carrier-cdr', false).records);
    expect(res.udrs).toEqual([]);
    const got = res.rejects.map((r) => `${lines[Number(r.source.split('/')[2])]!.kind} ${r.reason}`);
    expect(got.sort()).toEqual(lines.map((l) => `${l.kind} ${POISON_KINDS.find((k) => k.name === l.kind)!.reason}`).sort());
  });

  it('mixes deterministically: good lines in order, each bad line once with a unique marker, duplicates after their original', () => {
    const a = mixPoison(good, 100, 10, 42);
    expect(mixPoison(good, 100, 10, 42)).toEqual(a);
    expect(a.filter((l) => !l.kind).map((l) => l.line)).toEqual(good.map((g) => g.line));
    const bad = a.filter((l) => l.kind && l.kind !== 'duplicate');
    expect(new Set(bad.map((l) => l.line.match(MARKER)?.[0])).size).toBe(100);
    expect(good.some((g) => MARKER.test(g.line))).toBe(false);
    const dups = a.map((l, i) => [l, i] as const).filter(([l]) => l.kind === 'duplicate');
    expect(dups).toHaveLength(10);
    for (const [d, i] of dups) expect(a.findIndex((l) => !l.kind && l.line === d.line)).toBeLessThan(i);
    // the bad-encoding kind goes out as an invalid UTF-8 byte
    const enc = bad.find((l) => l.kind === 'bad-encoding-in-duration')!;
    expect(wire(enc).includes(0xff)).toBe(true);
    expect(wire(enc).toString('utf8')).toBe(enc.line);
  });

  it('Avro kinds: each rejected with its reason and message, markers in the bytes; good sessions all become UDRs', async () => {
    const type = avro.Type.forSchema(iotSchemaV1() as never);
    const base = staticSchemaResolver({ 7: iotSchemaV1() });
    const resolver = { typeById: async (id: number) => {
      if (id === UNKNOWN_SCHEMA_ID) throw registryError(id, Object.assign(new Error(`Schema ${id} not found.`), { status: 404 }));
      return base.typeById(id);
    } };
    const rules = loadPipeline(join(ROOT, IOT_PIPELINE), { schemaResolver: resolver }).mediation;
    const sessions = iotSessions(50, 3, 'A-');
    const good = sessions.map((s) => ({ key: s.sessionId, bytes: encodeWire(7, type.toBuffer(s)) }));
    const mixed = mixAvroPoison(good, AVRO_POISON_KINDS.length * 3, 5, 900_000, (m) => encodeWire(7, type.toBuffer({ ...sessions[0]!, sessionId: m })));
    const recs = mixed.map((x, i) => ({ feed: IOT_FEED, source: `raw/0/${i}`, text: '', binary: x.bytes }));
    await rules.parser.prepare!(recs);
    const res = new Mediator(rules).mediate(recs);
    expect(res.udrs.map((u) => u.id).sort()).toEqual(sessions.map((s) => s.sessionId).sort());
    const bad = mixed.filter((x) => x.bad);
    expect(res.rejects).toHaveLength(bad.length);
    for (const r of res.rejects) {
      const b = mixed[Number(r.source.split('/')[2])]!.bad!;
      const kind = AVRO_POISON_KINDS.find((k) => k.name === b.kind)!;
      expect([b.kind, r.reason]).toEqual([b.kind, kind.reason]);
      expect(r.message).toMatch(kind.message);
      expect(Buffer.from(r.raw.slice(7), 'base64').toString('latin1').match(MARKER)?.[0]).toBe(b.marker);
    }
  });
});
