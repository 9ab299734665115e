/**
 * Two things of a long-running `serve` (one in-process instance, real Kafka, in-process ClickHouse engine):
 *
 * 1. Kafka DLQ: a malformed line ends in `dlq.<feed>` — key = its source coordinates, header `reason`, the reject as
 *    JSON — inside the same transaction as the batch's UDRs. The first commit of that batch is made to fail (the
 *    transaction is aborted after the DLQ record was sent): a read_uncommitted reader sees the aborted copy too, a
 *    read_committed reader and ClickHouse see the reject exactly once.
 *    `ratestream replay-dlq --topic dlq.<feed>` reads it back from the topic.
 * 2. Hot reload: the mediation rule file is changed under the running process → later records use the new rules;
 *    then a broken version is written → the last good rules keep working, the error is logged with file:line:col and
 *    ratestream_rules_reload_failing{feed} is 1.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumedMessage, KafkaPort } from '../../engine/runtime/kafka/port.ts';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import { queryRows } from '../../engine/store/client.ts';
import { createLogger } from '../../engine/telemetry/logger.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { kafkaBrokers, schemaRegistryUrl, uniqueName } from '../setup/env.ts';
import { failFirstCommit, kafkaPort, metric, ROOT, sleep } from './streaming-helpers.ts';

const run = promisify(execFile);

/** ACME's subscriber (rules/demo/msisdn.csv) */
const line = (id: string, hour: number) => `6,${id},SMS-MO,+31638782185,+31201234567,,2026-10-05 ${String(hour).padStart(2, '0')}:00:00,,,,c1`;

/** Reads a topic from the beginning until `want` records came and nothing more arrives for `settleMs`. */
async function readTopic(port: KafkaPort, topic: string, isolation: 'read_committed' | 'read_uncommitted', want: number, settleMs = 1500): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = [];
  const c = port.consumer({ groupId: `test.read.${randomUUID()}`, fromBeginning: true, isolation, maxWaitTimeMs: 100 });
  await c.connect();
  await c.subscribe([topic]);
  await c.run(async (b) => { got.push(...b.messages); });
  const deadline = Date.now() + 30_000;
  while (got.length < want && Date.now() < deadline) await sleep(50);
  await sleep(settleMs);
  await c.disconnect();
  return got;
}

describe('serve: Kafka DLQ in the transaction; hot reload of mediation rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-dlqreload-'));
  const name = uniqueName('sdlq');
  const prefix = `${name}.`;
  const rules = join(dir, 'rules', 'carrier-cdr.mediation.yaml');
  const logs: string[] = [];
  const metrics = new StreamMetrics({ defaultMetrics: false });
  let server: StreamServer;
  const kafka = kafkaPort();
  /** Fails the first commit of a mediate transaction that carries a DLQ record: aborts it, then throws. */
  const fault = failFirstCommit((_id, records) => records.some((r) => r.topic === `${prefix}dlq.carrier-cdr`), 'commit lost after the DLQ record was sent');
  const wrapPort = fault.wrapPort;

  beforeAll(async () => {
    mkdirSync(join(dir, 'rules'));
    cpSync(join(ROOT, 'rules/demo/carrier-cdr.mediation.yaml'), rules);
    cpSync(join(ROOT, 'rules/demo/msisdn.csv'), join(dir, 'rules', 'msisdn.csv'));
    writeFileSync(join(dir, 'pipeline.yaml'), [
      'kind: pipeline', 'name: reload', 'feed: carrier-cdr', 'mediation: rules/carrier-cdr.mediation.yaml', `catalog: ${join(ROOT, 'rules/demo/catalog.yaml')}`,
    ].join('\n'));
    writeFileSync(join(dir, 'serve.yaml'), [
      'kind: serve', `name: ${name}`, 'pipelines: [pipeline.yaml]', `topics: { prefix: "${prefix}", partitions: 2 }`,
      'clickhouse: { data-dir: data }', 'sink: { linger-ms: 100 }', 'http: { host: 127.0.0.1, port: 0 }', 'mediate: { reload-debounce-ms: 50 }',
    ].join('\n'));
    process.env.KAFKA_BROKERS = kafkaBrokers().join(',');
    process.env.SCHEMA_REGISTRY_URL = schemaRegistryUrl();
    const log = createLogger({ level: 'info', destination: new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } }) });
    server = new StreamServer(loadServeConfig(join(dir, 'serve.yaml')), { log, metrics, wrapPort });
    await server.start();
    for (const deadline = Date.now() + 60_000; !server.ready().ready; await sleep(50)) if (Date.now() > deadline) throw new Error('serve not ready');
  });

  afterAll(async () => {
    await server?.stop();
  });

  const produce = async (lines: string[]) => {
    const p = kafka.producer({ idempotent: true });
    await p.connect();
    await p.send(lines.map((l) => ({ topic: `${prefix}raw.carrier-cdr`, key: 'ACME', value: Buffer.from(l) })));
    await p.disconnect();
  };
  const count = async (sql: string) => Number((await queryRows<{ n: string }>(server.store!, sql))[0]!.n);

  it('a malformed line lands in dlq.<feed> exactly once, in the transaction of its batch', async () => {
    await produce([line('D1', 10), line('D2', 11), '6,BAD1,VOICE', line('D3', 12)]);
    await expect.poll(() => count('SELECT count() AS n FROM charges FINAL'), { timeout: 60_000, interval: 200 }).toBe(3);
    await expect.poll(() => count('SELECT count() AS n FROM rejects'), { timeout: 30_000, interval: 200 }).toBe(1);
    expect(fault.injected()).toBe(1);
    expect(metric(new Map(Object.entries(await counters())), 'ratestream_transaction_aborts_total', { role: 'mediate', reason: 'error' })).toBe(1);

    const topic = `${prefix}dlq.carrier-cdr`;
    const all = await readTopic(kafka, topic, 'read_uncommitted', 2);
    const committed = await readTopic(kafka, topic, 'read_committed', 1);
    expect(all).toHaveLength(2); // the aborted transaction's copy is in the log…
    expect(committed).toHaveLength(1); // …but only the committed one is visible
    const m = committed[0]!;
    const r = JSON.parse(m.value!.toString()) as Record<string, string>;
    expect(r).toMatchObject({ feed: 'carrier-cdr', reason: 'PARSE_ERROR', message: 'expected at least 11 fields, found 3', raw: '6,BAD1,VOICE', stage: 'mediation' });
    expect(r.source).toMatch(new RegExp(`^${prefix.replaceAll('.', '\\.')}raw\\.carrier-cdr/\\d/2$`)); // raw topic/partition/offset
    expect(m.key!.toString()).toBe(r.source);
    expect(m.headers.reason!.toString()).toBe('PARSE_ERROR');
    // ClickHouse: the reject once (no FINAL: not even a physical duplicate), no duplicate charge either
    expect(await queryRows(server.store!, "SELECT feed, reason, source, raw, stage FROM rejects")).toEqual([{ feed: 'carrier-cdr', reason: 'PARSE_ERROR', source: r.source, raw: '6,BAD1,VOICE', stage: 'mediation' }]);
    expect(await count('SELECT count() AS n FROM charges')).toBe(3);

    // replay-dlq reads the topic (committed records only): still malformed under the current rules
    const { stderr } = await run(process.execPath, [join(ROOT, 'engine/cli/bin.mjs'), 'replay-dlq', '--pipeline', join(dir, 'pipeline.yaml'), '--topic', topic, '--out', join(dir, 'remaining.jsonl')],
      { cwd: ROOT, env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(',') } });
    expect(stderr).toMatch(/replayed 1 reject\(s\) from .*dlq\.carrier-cdr .*recovered 0 UDR\(s\), 1 still rejected/);
    expect(readFileSync(join(dir, 'remaining.jsonl'), 'utf8')).toContain('"raw":"6,BAD1,VOICE"');
  });

  async function counters(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const mt of (await metrics.registry.getMetricsAsJSON())) {
      for (const v of mt.values) out[`${(v as { metricName?: string }).metricName ?? mt.name}{${Object.entries(v.labels).map(([k, x]) => `${k}="${x}"`).join(',')}}`] = v.value;
    }
    return out;
  }
  const reloads = async (result: string) => metric(new Map(Object.entries(await counters())), 'ratestream_rules_reloads_total', { feed: 'carrier-cdr', result });
  const cellOf = async (id: string) => (await queryRows<{ cell: string; v: string }>(server.store!, `SELECT attrs['cell'] AS cell, rules_version AS v FROM udrs FINAL WHERE udr_id = '${id}'`))[0];

  it('swaps to changed rules while running; keeps the last good rules when the new ones are broken', async () => {
    const before = await cellOf('D1');
    expect(before?.cell).toBe('c1');
    const original = readFileSync(rules, 'utf8');
    expect(original).toContain('cell: "$cell_id"');
    writeFileSync(rules, original.replace('cell: "$cell_id"', `cell: "'v2-' & $cell_id"`));
    await expect.poll(() => reloads('swapped'), { timeout: 20_000, interval: 50 }).toBe(1);
    await produce([line('R1', 13)]);
    await expect.poll(() => cellOf('R1'), { timeout: 60_000, interval: 200 }).toBeDefined();
    const v2 = (await cellOf('R1'))!;
    expect(v2.cell).toBe('v2-c1'); // the new rules
    expect(v2.v).not.toBe(before!.v); // stamped with the new rules version

    // a broken version: an unknown function; the error names file:line:col, the v2 rules stay in force
    writeFileSync(rules, original.replace('cell: "$cell_id"', `cell: "no_such_function($cell_id)"`));
    await expect.poll(() => reloads('failed'), { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(1);
    expect(metric(new Map(Object.entries(await counters())), 'ratestream_rules_reload_failing', { feed: 'carrier-cdr' })).toBe(1);
    const err = logs.map((l) => JSON.parse(l) as { level: number; msg: string; problems?: string[] }).find((l) => l.msg.startsWith('rules reload failed'));
    expect(err?.level).toBe(50);
    expect(err?.problems?.join('\n')).toMatch(new RegExp(`carrier-cdr\\.mediation\\.yaml:\\d+:\\d+: .*no_such_function`));
    await produce([line('R2', 14)]);
    await expect.poll(() => cellOf('R2'), { timeout: 60_000, interval: 200 }).toBeDefined();
    expect(await cellOf('R2')).toEqual(v2 && { cell: 'v2-c1', v: v2.v });
    // the UDR reaches ClickHouse from the udr topic, its charge a moment later from the rated topic
    await expect.poll(() => count("SELECT count() AS n FROM charges FINAL WHERE udr_id IN ('R1', 'R2')"), { timeout: 60_000, interval: 200 }).toBe(2);
    expect(await reloads('swapped')).toBe(1);
  });
});
