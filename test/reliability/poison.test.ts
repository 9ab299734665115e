/**
 * Chaos scenario 6, poison (issue #13), short version: bad records of 25 kinds (test/fixtures/poison.ts: truncated,
 * oversize, wrong types, NUL bytes, invalid UTF-8, impossible times, unknown account, unknown event type, …) and
 * duplicate record ids mixed (seeded) into good demo carrier CDRs, and bad Avro messages of 4 kinds (truncated body,
 * trailing garbage, a schema id the registry does not hold, wrong magic byte) mixed into good IoT sessions on a second
 * raw topic (raw.iot-sessions-avro, Confluent wire format), through one `serve` process (4 partitions):
 * - every bad record is in the DLQ (ClickHouse `rejects`, from dlq.<feed>) exactly once, with its kind's reason
 *   and source coordinates `raw.<feed>/<partition>/<offset>` that hold exactly its bytes;
 * - no good record is there; duplicates are dropped (ignored as `duplicate`), not DLQ'd, not charged twice;
 * - charges equal the embedded `run` of the good records alone (count, ids, total, content hash): nothing missing;
 * - reconciliation balances: records in = UDRs + ignored + rejected (mediate metrics), UDRs stored = good records,
 *   rejects stored = bad records.
 * Sizes by env (bench/chaos.sh runs 100,000 good + 10,000 bad CDRs, 10,000 good + 1,000 bad Avro): RATESTREAM_POISON_GOOD
 * [2000], _BAD [500], _DUPLICATES [40], _AVRO_GOOD [GOOD / 10], _AVRO_BAD [BAD / 10], _SEED [13]. Prints one `[poison] {…}`
 * summary line.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KafkaPort, ProducerRecord } from '../../engine/runtime/kafka/port.ts';
import { SchemaRegistry } from '../../engine/runtime/kafka/schema-registry.ts';
import { IOT_FEED, IOT_PIPELINE, iotSchemaV1, iotSessions } from '../fixtures/iot-avro.ts';
import { AVRO_POISON_KINDS, MARKER, mixAvroPoison, mixPoison, POISON_KINDS, type PoisonLine, wire } from '../fixtures/poison.ts';
import { schemaRegistryUrl, uniqueName } from '../setup/env.ts';
import {
  chargesSummarySql, cleanDemoLines, embeddedRun, peakRssMiB, freePort, kafkaPort, logTail, metric, produceLines, queryDb, ROOT, scrape, type ServeProcess,
  sleep, spawnServe, stopServe, SUMMARY_SQL, waitReady, writeServeConfig,
} from '../integration/streaming-helpers.ts';

const GOOD = Number(process.env.RATESTREAM_POISON_GOOD ?? 2000);
const BAD = Number(process.env.RATESTREAM_POISON_BAD ?? 500);
const DUPLICATES = Number(process.env.RATESTREAM_POISON_DUPLICATES ?? 40);
const SEED = Number(process.env.RATESTREAM_POISON_SEED ?? 13);
const AVRO_GOOD = Number(process.env.RATESTREAM_POISON_AVRO_GOOD ?? Math.round(GOOD / 10));
const AVRO_BAD = Number(process.env.RATESTREAM_POISON_AVRO_BAD ?? Math.round(BAD / 10));
const FEED = 'carrier-cdr';
const PARTITIONS = 4;

/** in order, in sends of at most 5000 records and ~512 KiB (oversize records are 70 KB: the broker's batch limit is 1 MB) */
async function produce(port: KafkaPort, topic: string, lines: readonly PoisonLine[]): Promise<void> {
  const producer = port.producer({ idempotent: true });
  await producer.connect();
  try {
    let chunk: ProducerRecord[] = [];
    let bytes = 0;
    for (const l of lines) {
      const value = wire(l);
      if (chunk.length && (chunk.length >= 5000 || bytes + value.length > 512 << 10)) {
        await producer.send(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push({ topic, key: l.key, value });
      bytes += value.length;
    }
    if (chunk.length) await producer.send(chunk);
  } finally {
    await producer.disconnect();
  }
}

/** every record of the topic: `partition/offset` → bytes */
async function readAll(port: KafkaPort, topic: string, want: number): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const c = port.consumer({ groupId: `test.poison.${randomUUID()}`, fromBeginning: true, maxWaitTimeMs: 100 });
  await c.connect();
  try {
    await c.subscribe([topic]);
    await c.run(async (b) => { for (const m of b.messages) out.set(`${b.partition}/${m.offset}`, m.value ?? Buffer.alloc(0)); });
    for (const deadline = Date.now() + 120_000; out.size < want && Date.now() < deadline;) await sleep(100);
  } finally {
    await c.disconnect();
  }
  return out;
}

describe('chaos: poison records through serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-poison-'));
  let serve: ServeProcess | undefined;
  const registry = new SchemaRegistry({ url: schemaRegistryUrl() });
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${BAD} bad CDRs of ${POISON_KINDS.length} kinds among ${GOOD} good, ${AVRO_BAD} bad Avro messages of ${AVRO_POISON_KINDS.length} kinds among ${AVRO_GOOD} good: all in the DLQ with reason and coordinates, none good, charges equal the embedded run`, async () => {
    expect(BAD).toBeGreaterThanOrEqual(POISON_KINDS.length);
    expect(AVRO_BAD).toBeGreaterThanOrEqual(AVRO_POISON_KINDS.length);
    const good = cleanDemoLines(join(dir, 'demo'), GOOD);
    const mixed = mixPoison(good, BAD, DUPLICATES, SEED);
    const bad = mixed.filter((l) => l.kind && l.kind !== 'duplicate');
    const reasonOf = new Map(POISON_KINDS.map((k) => [k.name, k.reason]));

    // the embedded run of the good records alone: what the charges must be
    mkdirSync(join(dir, 'good', 'carrier'), { recursive: true });
    writeFileSync(join(dir, 'good', 'carrier', 'cdr-good.csv'), `record_type,record_id,event_type,calling,called,sms_peer,start_time,duration_s,bytes_up,bytes_down,cell_id\n${good.map((g) => g.line).join('\n')}\n`);
    const embedded = embeddedRun('pipelines/demo-carrier.yaml', join(dir, 'good', 'carrier'), join(dir, 'emb'));

    const name = uniqueName('spoison');
    const prefix = `${name}.`;
    const topic = `${prefix}raw.${FEED}`;

    // the Avro IoT feed: good sessions (v1 of the gateway's schema) with bad messages mixed in; their embedded run
    const avroTopic = `${prefix}raw.${IOT_FEED}`;
    const v1 = await registry.codec<Record<string, unknown>>(avroTopic, iotSchemaV1());
    const sessions = iotSessions(AVRO_GOOD, SEED, 'A-');
    const avroMixed = mixAvroPoison(sessions.map((x) => ({ key: x.sessionId, bytes: v1.encode(x as never) })), AVRO_BAD, SEED, BAD,
      (marker) => v1.encode({ ...sessions[0]!, sessionId: marker } as never));
    const avroBad = avroMixed.flatMap((x) => (x.bad ? [x.bad] : []));
    mkdirSync(join(dir, 'good', 'iot'), { recursive: true });
    writeFileSync(join(dir, 'good', 'iot', 'sessions.avro64'), `${avroMixed.filter((x) => !x.bad).map((x) => x.bytes.toString('base64')).join('\n')}\n`);
    const embeddedIot = embeddedRun(IOT_PIPELINE, join(dir, 'good', 'iot'), join(dir, 'emb-iot'));

    const cfg = writeServeConfig(join(dir, 'serve.yaml'), { name, prefix, pipelines: ['pipelines/demo-carrier.yaml', IOT_PIPELINE], partitions: PARTITIONS, dataDir: join(dir, 'db'), extra: ['sink: { linger-ms: 200 }', 'rate: { with-mediation: false }'] });
    const port = freePort();
    const log = join(dir, 'serve.log');
    serve = await spawnServe(cfg, { port, log });
    await waitReady(port);
    const kafka = kafkaPort();
    const t0 = Date.now();
    await Promise.all([produce(kafka, topic, mixed), produceLines(kafka, avroTopic, avroMixed.map((x) => ({ key: x.key, line: x.bytes })))]);
    await embedded;
    await embeddedIot;
    try {
      await expect.poll(async () => {
        const m = await scrape(port);
        return metric(m, 'ratestream_clickhouse_rows_total', { table: 'charges' }) >= good.length + AVRO_GOOD && metric(m, 'ratestream_clickhouse_rows_total', { table: 'rejects' }) >= bad.length + AVRO_BAD;
      }, { timeout: 600_000, interval: 500 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log)}`);
    }
    const seconds = (Date.now() - t0) / 1000;
    const m = await scrape(port);
    const rss = peakRssMiB(serve.child.pid);
    expect(await stopServe(serve)).toBe(0);
    serve = undefined;

    // reconciliation (mediate role): records in = UDRs out + ignored + rejected
    const recordsIn = metric(m, 'ratestream_records_in_total', { role: 'mediate', feed: FEED });
    const ignored = metric(m, 'ratestream_records_ignored_total', { role: 'mediate', feed: FEED });
    const duplicatesDropped = metric(m, 'ratestream_records_ignored_total', { role: 'mediate', feed: FEED, reason: 'duplicate' });
    const rejected = metric(m, 'ratestream_records_rejected_total', { stage: 'mediation', feed: FEED });
    const udrsOut = metric(m, 'ratestream_records_out_total', { role: 'mediate', topic: `${prefix}udr` });
    const avroIn = metric(m, 'ratestream_records_in_total', { role: 'mediate', feed: IOT_FEED });
    const avroRejected = metric(m, 'ratestream_records_rejected_total', { stage: 'mediation', feed: IOT_FEED });
    expect({ recordsIn, udrsOut, ignored, duplicatesDropped, rejected, avroIn, avroRejected }).toEqual({
      recordsIn: mixed.length, udrsOut: good.length + AVRO_GOOD, ignored: DUPLICATES, duplicatesDropped: DUPLICATES, rejected: bad.length,
      avroIn: AVRO_GOOD + AVRO_BAD, avroRejected: AVRO_BAD,
    });

    // the DLQ: every bad record once, with its reason and coordinates holding its bytes; no good record
    const db = join(dir, 'db');
    const rejects = await queryDb<{ source: string; reason: string; stage: string; raw: string; message: string }>(db, 'SELECT source, reason, stage, raw, message FROM rejects FINAL');
    const byMarker = new Map<string, typeof rejects>();
    const unmarked: typeof rejects = [];
    for (const r of rejects) {
      // a reject that kept bytes invalid in the feed's encoding holds them as base64 (`base64:…`)
      const text = r.raw.startsWith('base64:') ? Buffer.from(r.raw.slice(7), 'base64').toString('latin1') : r.raw;
      const k = text.match(MARKER)?.[0];
      if (k) byMarker.set(k, [...(byMarker.get(k) ?? []), r]);
      else unmarked.push(r);
    }
    expect(unmarked, 'rejects that are no poison record (good records in the DLQ)').toEqual([]);
    const raw = await readAll(kafka, topic, mixed.length);
    expect(raw.size).toBe(mixed.length);
    const avroRaw = await readAll(kafka, avroTopic, avroMixed.length);
    expect(avroRaw.size).toBe(avroMixed.length);
    const wrong: string[] = [];
    /** the bad record's reject: once, its reason (and message), stage mediation, coordinates in its topic holding its bytes */
    const check = (b: { marker: string; kind: string; bytes: Buffer }, t: string, held: Map<string, Buffer>, reason: string, message?: RegExp) => {
      const got = byMarker.get(b.marker) ?? [];
      const r = got[0];
      const at = r?.source.match(new RegExp(`^${t.replace(/\./g, '\\.')}/(\\d+)/(\\d+)$`));
      if (got.length !== 1) wrong.push(`${b.marker} ${b.kind}: ${got.length} rejects`);
      else if (r!.reason !== reason || r!.stage !== 'mediation') wrong.push(`${b.marker} ${b.kind}: ${r!.stage} ${r!.reason}, expected mediation ${reason}`);
      else if (message && !message.test(r!.message)) wrong.push(`${b.marker} ${b.kind}: message "${r!.message}" does not match ${message}`);
      else if (!at) wrong.push(`${b.marker} ${b.kind}: source ${r!.source} is not ${t}/<partition>/<offset>`);
      else if (!held.get(`${at[1]}/${at[2]}`)?.equals(b.bytes)) wrong.push(`${b.marker} ${b.kind}: ${r!.source} does not hold the record's bytes`);
    };
    for (const b of bad) check({ marker: b.marker!, kind: b.kind!, bytes: wire(b) }, topic, raw, reasonOf.get(b.kind!)!);
    for (const b of avroBad) {
      const k = AVRO_POISON_KINDS.find((x) => x.name === b.kind)!;
      check(b, avroTopic, avroRaw, k.reason, k.message);
    }
    expect(wrong.slice(0, 20), `${wrong.length} bad records not in the DLQ as they should be`).toEqual([]);
    expect(rejects.length).toBe(bad.length + avroBad.length);
    const kinds = new Set(bad.map((b) => b.kind));
    expect(kinds.size).toBe(POISON_KINDS.length);
    expect(new Set(avroBad.map((b) => b.kind)).size).toBe(AVRO_POISON_KINDS.length);

    // charges per feed: exactly the embedded run of its good records (0 missing, 0 duplicate, totals to the cent)
    const [s] = await queryDb(db, chargesSummarySql(FEED));
    const [e] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    expect(s).toEqual(e);
    expect(Number(s!.udrs)).toBe(good.length);
    const [sa] = await queryDb(db, chargesSummarySql(IOT_FEED));
    const [ea] = await queryDb(join(dir, 'emb-iot'), SUMMARY_SQL.charges);
    expect(sa).toEqual(ea);
    expect(Number(sa!.udrs)).toBe(AVRO_GOOD);
    const [{ bad: perUdr }] = (await queryDb<{ bad: string }>(db, SUMMARY_SQL.perUdr)) as [{ bad: string }];
    expect(Number(perUdr)).toBe(0);
    const [udrs] = await queryDb<{ n: string }>(db, SUMMARY_SQL.udrs);
    expect(Number(udrs!.n)).toBe(good.length + AVRO_GOOD);

    process.stderr.write(`[poison] ${JSON.stringify({
      seed: SEED, recordsIn: mixed.length, good: good.length, bad: bad.length, kinds: kinds.size, duplicates: DUPLICATES, charges: Number(s!.final_rows),
      missing: good.length - Number(s!.udrs), duplicateCharges: Number(perUdr), rejects: rejects.length, goodInDlq: unmarked.length, badMisplaced: wrong.length,
      totalsVsEmbedded: s!.total === e!.total ? `equal (${s!.total})` : `${s!.total} vs ${e!.total}`, reconciliation: { recordsIn, udrsOut, ignored, rejected },
      avro: { recordsIn: avroIn, good: AVRO_GOOD, bad: avroBad.length, kinds: AVRO_POISON_KINDS.length, charges: Number(sa!.final_rows), missing: AVRO_GOOD - Number(sa!.udrs), rejected: avroRejected,
        totalsVsEmbedded: sa!.total === ea!.total ? `equal (${sa!.total})` : `${sa!.total} vs ${ea!.total}` },
      seconds, peakRssMiB: rss,
    })}\n`);
  });
});
