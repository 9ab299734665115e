/**
 * Chaos scenario 3 (issue #13): the schema registry goes away for 30 s in the middle of a `serve` run of the Avro IoT
 * feed (pipelines/iot-sessions-avro-rated.yaml, Confluent-framed messages on raw.iot-sessions-avro). `serve` reaches
 * the registry through a TCP proxy the test cuts (connection refused, open connections reset) and restores — the
 * shared registry the other test runs use is never stopped.
 *
 * The gateway registered two versions of its schema before the run (directly at the registry): the first half of the
 * sessions is written with v1, then the registry is cut, and the second half — written with v2, a schema id `serve`
 * has not resolved yet — arrives during the outage. Those batches must wait (the mediate role retries them: the
 * registry lookup is a retriable error), not be rejected; when the registry is back they are mediated. At the end:
 * every session is exactly one charge, no reject, and the charges equal the embedded `run` of the same messages
 * (count, ids, total, content hash). Nothing of ours is restarted.
 * Run by `bash bench/chaos.sh registry`; sizes by env: RATESTREAM_CHAOS_SESSIONS [40000], RATESTREAM_CHAOS_REGISTRY_DOWN_S
 * [30], seed RATESTREAM_CHAOS_SEED [13]. Prints one `[registry] {…}` summary line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../engine/runtime/kafka/schema-registry.ts';
import { IOT_FEED, IOT_PIPELINE, iotSchemaV1, iotSchemaV2, iotSessions } from '../../test/fixtures/iot-avro.ts';
import { schemaRegistryUrl, uniqueName } from '../../test/setup/env.ts';
import { TcpProxy } from '../../test/setup/tcp-proxy.ts';
import {
  embeddedRun, expectedCounts, freePort, kafkaPort, logTail, metric, peakRssMiB, produceLines, queryDb, scrape, type ServeProcess, sleep, spawnServe,
  stopServe, SUMMARY_SQL, waitReady, writeServeConfig,
} from '../../test/integration/streaming-helpers.ts';

const SESSIONS = Number(process.env.RATESTREAM_CHAOS_SESSIONS ?? 40_000);
const DOWN_S = Number(process.env.RATESTREAM_CHAOS_REGISTRY_DOWN_S ?? 30);
const SEED = Number(process.env.RATESTREAM_CHAOS_SEED ?? 13);
const PARTITIONS = 4;

describe('chaos: schema registry outage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-chaos-registry-'));
  const registryUrl = new URL(schemaRegistryUrl());
  const proxy = new TcpProxy({ host: registryUrl.hostname, port: Number(registryUrl.port) });
  const registry = new SchemaRegistry({ url: registryUrl.toString() });
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    await proxy.close();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`the registry away for ${DOWN_S} s mid-run: Avro batches wait and recover, nothing rejected or lost, charges equal the embedded run`, async () => {
    const name = uniqueName('creg');
    const prefix = `${name}.`;
    const topic = `${prefix}raw.${IOT_FEED}`;
    // the gateway's two schema versions, registered before the run (v2's id is new to serve)
    const v1 = await registry.codec<Record<string, unknown>>(topic, iotSchemaV1());
    const v2 = await registry.codec<Record<string, unknown>>(topic, iotSchemaV2());
    expect(v2.schemaId).not.toBe(v1.schemaId);
    const sessions = iotSessions(SESSIONS, SEED);
    const half = Math.floor(SESSIONS / 2);
    const messages = sessions.map((s, i) => ({ key: s.sessionId, line: i < half ? v1.encode(s as never) : v2.encode({ ...s, firmware: `fw-${i % 7}` }) }));

    // the embedded run of the same messages (base64 lines, the file form of the feed), straight at the registry
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'sessions.avro64'), `${messages.map((m) => m.line.toString('base64')).join('\n')}\n`);
    const embedded = embeddedRun(IOT_PIPELINE, join(dir, 'in'), join(dir, 'emb'));

    const proxyPort = await proxy.listen();
    const proxied = new URL(registryUrl);
    proxied.port = String(proxyPort);
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
      name, prefix, pipelines: [IOT_PIPELINE], partitions: PARTITIONS, dataDir: join(dir, 'db'), extra: ['sink: { linger-ms: 200 }'],
    });
    const port = freePort();
    const log = join(dir, 'serve.log');
    serve = await spawnServe(cfg, { port, log, env: { SCHEMA_REGISTRY_URL: proxied.toString() } });
    await waitReady(port);
    const kafka = kafkaPort();
    await embedded;
    const want = await expectedCounts(join(dir, 'emb'));
    expect(want.charges).toBe(SESSIONS); // every generated session is good: one charge each
    const t0 = Date.now();
    const charges = async () => metric(await scrape(port), 'ratestream_clickhouse_rows_total', { table: 'charges' });
    const fail = (e: unknown) => new Error(`${(e as Error).message}\n${logTail(log, 60)}`);

    // first half (v1), then the outage with the second half (v2) arriving during it
    await produceLines(kafka, topic, messages.slice(0, half));
    await expect.poll(async () => (await charges()) > half * 0.2, { timeout: 600_000, interval: 200 }).toBe(true).catch((e) => { throw fail(e); });
    await proxy.cut();
    const cutAt = Date.now();
    const atCut = await charges();
    await produceLines(kafka, topic, messages.slice(half));
    await sleep(Math.max(0, DOWN_S * 1000 - (Date.now() - cutAt)));
    const m = await scrape(port);
    const whileDown = {
      charges: metric(m, 'ratestream_clickhouse_rows_total', { table: 'charges' }),
      rejected: metric(m, 'ratestream_records_rejected_total'),
      retriedBatches: metric(m, 'ratestream_transaction_aborts_total', { role: 'mediate', reason: 'error' }),
      serveUp: serve.child.exitCode === null,
    };
    await proxy.restore();
    const downSeconds = (Date.now() - cutAt) / 1000;
    try {
      await expect.poll(async () => {
        if (serve!.child.exitCode !== null) throw new Error(`serve exited with ${serve!.child.exitCode}`);
        return (await charges()) >= want.charges;
      }, { timeout: 900_000, interval: 1000 }).toBe(true);
    } catch (e) {
      throw fail(e);
    }
    const seconds = (Date.now() - t0) / 1000;
    const end = await scrape(port);
    const rss = peakRssMiB(serve.child.pid);
    const retried = metric(end, 'ratestream_transaction_aborts_total', { role: 'mediate', reason: 'error' });
    expect(whileDown.serveUp).toBe(true);
    expect(whileDown.rejected).toBe(0);
    // the v2 half could not be mediated without the registry: it waited (batches retried), none of it got through
    expect(whileDown.charges).toBeLessThanOrEqual(half);
    expect(whileDown.retriedBatches).toBeGreaterThan(0);
    expect(metric(end, 'ratestream_records_rejected_total')).toBe(0);
    expect(await stopServe(serve)).toBe(0);
    serve = undefined;

    const db = join(dir, 'db');
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    const [raw] = await queryDb<{ raw_rows: string }>(db, SUMMARY_SQL.rawRows);
    const [rejects] = await queryDb<{ n: string }>(db, 'SELECT count() AS n FROM rejects FINAL');
    const [perUdr] = await queryDb<{ bad: string }>(db, SUMMARY_SQL.perUdr);
    expect(s).toEqual(e);
    expect(Number(rejects!.n)).toBe(0);
    expect(Number(perUdr!.bad)).toBe(0);
    process.stderr.write(`[registry] ${JSON.stringify({
      seed: SEED, recordsIn: SESSIONS, schemaIds: [v1.schemaId, v2.schemaId], charges: Number(s!.final_rows), missing: Number(e!.final_rows) - Number(s!.final_rows),
      duplicateCharges: Number(perUdr!.bad), duplicateRowsBeforeMerge: Number(raw!.raw_rows) - Number(s!.final_rows), rejects: Number(rejects!.n),
      totalsVsEmbedded: s!.total === e!.total ? `equal (${s!.total})` : `${s!.total} vs ${e!.total}`, chargesAtCut: atCut, registryDownSeconds: Math.round(downSeconds),
      whileDown, mediateBatchesRetried: retried, serveStayedUp: whileDown.serveUp, seconds, peakRssMiB: rss,
    })}\n`);
  });
});
