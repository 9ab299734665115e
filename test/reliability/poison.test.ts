/**
 * Chaos scenario 6, poison (issue #13), short version: bad records of 24 kinds (test/fixtures/poison.ts: truncated,
 * oversize, wrong types, NUL byte, invalid UTF-8, impossible times, unknown account, unknown event type, …) and
 * duplicate record ids mixed (seeded) into good demo carrier CDRs, through one `serve` process (4 partitions):
 * - every bad record is in the DLQ (ClickHouse `rejects`, from dlq.carrier-cdr) exactly once, with its kind's reason
 *   and source coordinates `raw.carrier-cdr/<partition>/<offset>` that hold exactly its bytes;
 * - no good record is there; duplicates are dropped (ignored as `duplicate`), not DLQ'd, not charged twice;
 * - charges equal the embedded `run` of the good records alone (count, ids, total, content hash): nothing missing;
 * - reconciliation balances: records in = UDRs + ignored + rejected (mediate metrics), UDRs stored = good records,
 *   rejects stored = bad records.
 * Sizes by env (bench/chaos.sh runs 100,000 good + 10,000 bad): RATESTREAM_POISON_GOOD [2000], _BAD [480],
 * _DUPLICATES [40], _SEED [13]. Prints one `[poison] {…}` summary line.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Mediator } from '../../engine/mediation/mediator.ts';
import { loadPipeline } from '../../engine/pipeline/load.ts';
import { Rater } from '../../engine/rating/rater.ts';
import type { KafkaPort, ProducerRecord } from '../../engine/runtime/kafka/port.ts';
import { MARKER, mixPoison, POISON_KINDS, type PoisonLine, wire } from '../fixtures/poison.ts';
import { uniqueName } from '../setup/env.ts';
import {
  demoCarrierInput, embeddedRun, freePort, kafkaPort, logTail, metric, peakRssMiB, queryDb, ROOT, scrape, type ServeProcess, sleep, spawnServe, stopServe,
  SUMMARY_SQL, waitReady, writeServeConfig,
} from '../integration/streaming-helpers.ts';

const GOOD = Number(process.env.RATESTREAM_POISON_GOOD ?? 2000);
const BAD = Number(process.env.RATESTREAM_POISON_BAD ?? 480);
const DUPLICATES = Number(process.env.RATESTREAM_POISON_DUPLICATES ?? 40);
const SEED = Number(process.env.RATESTREAM_POISON_SEED ?? 13);
const FEED = 'carrier-cdr';
const PARTITIONS = 4;

/** Good demo lines: those the core turns into exactly one charge (the demo feed also holds lines ignored or rejected by design). */
function cleanGoodLines(dir: string, want: number): { key: string | null; line: string }[] {
  const perDay = Math.min(10_000, Math.ceil(want * 1.25));
  const { lines } = demoCarrierInput(dir, Math.ceil((want * 1.25) / perDay), perDay);
  const p = loadPipeline(join(ROOT, 'pipelines/demo-carrier.yaml'));
  const med = new Mediator(p.mediation);
  const rater = new Rater(p.catalog!);
  const ok = new Set<string>();
  for (let i = 0; i < lines.length; i += 8192) {
    const res = med.mediate(lines.slice(i, i + 8192).map((l, j) => ({ feed: FEED, source: String(i + j), text: l.line })));
    const rated = rater.rate(res.udrs);
    const bad = new Set(rated.rejects.map((r) => r.source));
    for (const u of res.udrs) if (!bad.has(u.source)) ok.add(u.source);
  }
  const good = lines.filter((_, i) => ok.has(String(i))).slice(0, want);
  if (good.length < want) throw new Error(`only ${good.length} clean demo lines, ${want} wanted`);
  return good;
}

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
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${BAD} bad records of ${POISON_KINDS.length} kinds among ${GOOD} good: all in the DLQ with reason and coordinates, none good, charges equal the embedded run`, async () => {
    expect(BAD).toBeGreaterThanOrEqual(POISON_KINDS.length);
    const good = cleanGoodLines(join(dir, 'demo'), GOOD);
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
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), { name, prefix, pipelines: ['pipelines/demo-carrier.yaml'], partitions: PARTITIONS, dataDir: join(dir, 'db'), extra: ['sink: { linger-ms: 200 }'] });
    const port = freePort();
    const log = join(dir, 'serve.log');
    serve = await spawnServe(cfg, { port, log });
    await waitReady(port);
    const kafka = kafkaPort();
    const t0 = Date.now();
    await produce(kafka, topic, mixed);
    await embedded;
    try {
      await expect.poll(async () => {
        const m = await scrape(port);
        return metric(m, 'ratestream_clickhouse_rows_total', { table: 'charges' }) >= good.length && metric(m, 'ratestream_clickhouse_rows_total', { table: 'rejects' }) >= bad.length;
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
    expect({ recordsIn, udrsOut, ignored, duplicatesDropped, rejected }).toEqual({
      recordsIn: mixed.length, udrsOut: good.length, ignored: DUPLICATES, duplicatesDropped: DUPLICATES, rejected: bad.length,
    });

    // the DLQ: every bad record once, with its reason and coordinates holding its bytes; no good record
    const db = join(dir, 'db');
    const rejects = await queryDb<{ source: string; reason: string; stage: string; raw: string }>(db, 'SELECT source, reason, stage, raw FROM rejects FINAL');
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
    const wrong: string[] = [];
    const coords = new RegExp(`^${topic.replace(/\./g, '\\.')}/(\\d+)/(\\d+)$`);
    for (const b of bad) {
      const got = byMarker.get(b.marker!) ?? [];
      const r = got[0];
      const at = r?.source.match(coords);
      if (got.length !== 1) wrong.push(`${b.marker} ${b.kind}: ${got.length} rejects`);
      else if (r!.reason !== reasonOf.get(b.kind!) || r!.stage !== 'mediation') wrong.push(`${b.marker} ${b.kind}: ${r!.stage} ${r!.reason}, expected mediation ${reasonOf.get(b.kind!)}`);
      else if (!at) wrong.push(`${b.marker} ${b.kind}: source ${r!.source} is not ${topic}/<partition>/<offset>`);
      else if (!raw.get(`${at[1]}/${at[2]}`)?.equals(wire(b))) wrong.push(`${b.marker} ${b.kind}: ${r!.source} does not hold the record's bytes`);
    }
    expect(wrong.slice(0, 20), `${wrong.length} bad records not in the DLQ as they should be`).toEqual([]);
    expect(rejects.length).toBe(bad.length);
    const kinds = new Set(bad.map((b) => b.kind));
    expect(kinds.size).toBe(POISON_KINDS.length);

    // charges: exactly the embedded run of the good records (0 missing, 0 duplicate, totals to the cent)
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    expect(s).toEqual(e);
    expect(Number(s!.udrs)).toBe(good.length);
    const [{ bad: perUdr }] = (await queryDb<{ bad: string }>(db, SUMMARY_SQL.perUdr)) as [{ bad: string }];
    expect(Number(perUdr)).toBe(0);
    const [udrs] = await queryDb<{ n: string }>(db, SUMMARY_SQL.udrs);
    expect(Number(udrs!.n)).toBe(good.length);

    process.stderr.write(`[poison] ${JSON.stringify({
      seed: SEED, recordsIn: mixed.length, good: good.length, bad: bad.length, kinds: kinds.size, duplicates: DUPLICATES, charges: Number(s!.final_rows),
      missing: good.length - Number(s!.udrs), duplicateCharges: Number(perUdr), rejects: rejects.length, goodInDlq: unmarked.length, badMisplaced: wrong.length,
      totalsVsEmbedded: s!.total === e!.total ? `equal (${s!.total})` : `${s!.total} vs ${e!.total}`, reconciliation: { recordsIn, udrsOut, ignored, rejected },
      seconds, peakRssMiB: rss,
    })}\n`);
  });
});
