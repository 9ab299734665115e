/**
 * Issue 9's three divergences between run modes, as regression tests (real parts: the CLI, the in-process ClickHouse
 * engine, the real Kafka broker and schema registry, a running `serve`):
 *  1. `run` flushes pairing halves at end of input like `dry-run`: an unpaired INVITE is an UNPAIRED reject, a pair
 *     across two files still pairs, nothing vanishes;
 *  2. `run` on an Avro feed resolves schema ids through SCHEMA_REGISTRY_URL like `dry-run`;
 *  3. a fixed-width file whose trailer count is wrong gives 0 UDRs and N TRAILER_MISMATCH rejects through the drop
 *     directory → Kafka → serve, as embedded (the framing fault travels with the records).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../engine/runtime/kafka/schema-registry.ts';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import { queryRows } from '../../engine/store/client.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { kafkaBrokers, schemaRegistryUrl, uniqueName } from '../setup/env.ts';
import { ROOT, sleep } from './streaming-helpers.ts';

const BIN = join(ROOT, 'engine/cli/bin.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rs-divergences-'));

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** the counts of `run`'s summary: records read, rejected by reason, UDRs */
function runSummary(out: string) {
  const num = (label: string) => Number(new RegExp(`^${label}\\s+([\\d,]+)`, 'm').exec(out)?.[1]?.replace(/,/g, '') ?? NaN);
  const detail = /^rejected\s+[\d,]+\s+\(([^)]*)\)/m.exec(out)?.[1] ?? '';
  const rejected = Object.fromEntries(detail.split(', ').filter(Boolean).map((kv) => { const [k, v] = kv.split(': '); return [k!, Number(v)]; }));
  return { records: num('records read'), udrs: num('UDRs'), rejected };
}

/** the counts of dry-run's reconciliation line */
function drySummary(err: string) {
  const m = /in=(\d+) udrs=(\d+) ignored=\d+(?: \([^)]*\))? rejects=\d+(?: \(([^)]*)\))?/.exec(err);
  if (!m) throw new Error(`no summary in ${err}`);
  const rejected = Object.fromEntries((m[3] ?? '').split(',').filter(Boolean).map((kv) => { const [k, v] = kv.split('='); return [k!, Number(v)]; }));
  return { records: Number(m[1]), udrs: Number(m[2]), rejected };
}

const pipeline = (name: string, feed: string, mediation: string, input: string) => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, ['kind: pipeline', `name: ${name}`, `feed: ${feed}`, `mediation: ${mediation}`, `input: ${input}`, ''].join('\n'));
  return f;
};

describe('run modes agree (issue 9 divergences)', () => {
  it('1. run flushes unpaired halves at end of input like dry-run (UNPAIRED), pairs across files still pair', () => {
    const logs = join(dir, 'opensips');
    mkdirSync(logs);
    const row = (m: string, tag: string, call: string, t: number) => `${m}|${tag}|t-${tag}|${call}@10.0.0.9|200|OK|${t}|*prepaid|3001|3002||9:${call}`;
    writeFileSync(join(logs, 'acc_a.log'), [
      row('INVITE', 'aa', 'call-x', 1700001000), row('BYE', 'aa', 'call-x', 1700001060), // a pair in one file
      row('INVITE', 'bb', 'call-y', 1700001100), // its BYE is in the next file
      'not|a|flatstore|row', // malformed: PARSE_ERROR
    ].join('\n') + '\n');
    writeFileSync(join(logs, 'acc_b.log'), [
      row('BYE', 'bb', 'call-y', 1700001130),
      row('INVITE', 'cc', 'call-z', 1700001200), // never answered by a BYE: UNPAIRED at end of input
    ].join('\n') + '\n');
    const p = pipeline('opensips', 'opensips', join(ROOT, 'rules/cgrates/opensips-flatstore.mediation.yaml'), logs);

    const dry = cli(['dry-run', '-p', p, '--summary-only']);
    expect(dry.status, dry.stderr).toBe(0);
    const want = { records: 6, udrs: 2, rejected: { PARSE_ERROR: 1, UNPAIRED: 1 } };
    expect(drySummary(dry.stderr)).toEqual(want);

    const run = cli(['run', p, '--db', join(dir, 'db1'), '--no-progress']);
    expect(run.status, run.stderr).toBe(0);
    expect(runSummary(run.stdout)).toEqual(want);
    // and the UNPAIRED reject is in the DLQ with its coordinates (nothing vanished)
    const dlqFile = [join(dir, 'db1', 'dlq', 'opensips.jsonl'), join(dir, 'data', 'dlq', 'opensips.jsonl')].find((f) => existsSync(f));
    expect(dlqFile, 'the run wrote a DLQ file').toBeDefined();
    const dlq = readFileSync(dlqFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; source: string; stage: string });
    expect(dlq.map((r) => [r.reason, r.source.replace(/^.*\//, ''), r.stage]).sort()).toEqual([['PARSE_ERROR', 'acc_a.log:4', 'mediation'], ['UNPAIRED', 'acc_b.log:2', 'mediation']]);
  }, 120_000);

  it('1b. the end-of-input flush is not lost when the run\'s last file was processed by an earlier run', () => {
    const logs = join(dir, 'opensips-rerun');
    mkdirSync(logs);
    const row = (m: string, tag: string, call: string, t: number) => `${m}|${tag}|t-${tag}|${call}@10.0.0.9|200|OK|${t}|*prepaid|3001|3002||9:${call}`;
    writeFileSync(join(logs, 'acc_z.log'), [row('INVITE', 'zz', 'call-1', 1700002000), row('BYE', 'zz', 'call-1', 1700002060)].join('\n') + '\n');
    const p = pipeline('opensips-rerun', 'opensips', join(ROOT, 'rules/cgrates/opensips-flatstore.mediation.yaml'), logs);
    const db = join(dir, 'db-rerun');
    const first = cli(['run', p, '--db', db, '--no-progress']);
    expect(first.status, first.stderr).toBe(0);
    // a new file sorting before the processed one, holding a half that is never answered
    writeFileSync(join(logs, 'acc_m.log'), row('INVITE', 'mm', 'call-2', 1700002100) + '\n');
    const second = cli(['run', p, '--db', db, '--no-progress']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/1 already processed/);
    const dlq = readFileSync(join(db, 'dlq', 'opensips.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; source: string });
    expect(dlq.map((r) => [r.reason, r.source.replace(/^.*\//, '')])).toEqual([['UNPAIRED', 'acc_m.log:1']]);
  }, 120_000);

  it('2. run resolves Avro schema ids through SCHEMA_REGISTRY_URL like dry-run', async () => {
    const url = schemaRegistryUrl();
    const registry = new SchemaRegistry({ url });
    const schema = readFileSync(join(ROOT, 'schemas/feeds/iot-session.avsc'), 'utf8');
    const type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema);
    let id: number;
    try {
      id = (await registry.codec(uniqueName('divergence-avro'), schema)).schemaId;
    } finally {
      await registry.close();
    }
    // the repo's fixture sessions (one wire message per line, base64): the readable ones (schema id 7) re-framed with
    // the id this registry gave, the broken ones kept as they are; the one naming schema id 99 left out
    const lines = readFileSync(join(ROOT, 'rules/iot/fixtures/sessions.avro64'), 'utf8').split('\n').filter(Boolean);
    const wire = lines.flatMap((l) => {
      const b = Buffer.from(l, 'base64');
      if (b[0] === 0 && b.readUInt32BE(1) === 99) return [];
      let body: Buffer;
      try {
        body = type.toBuffer(type.fromBuffer(b.subarray(5)));
      } catch {
        return [l];
      }
      const out = Buffer.alloc(5 + body.length);
      out.writeUInt32BE(id, 1);
      body.copy(out, 5);
      return [out.toString('base64')];
    });
    const input = join(dir, 'sessions.avro64');
    writeFileSync(input, `${wire.join('\n')}\n`);
    const p = pipeline('iot-avro', 'iot-sessions', join(ROOT, 'rules/iot/iot-sessions.mediation.yaml'), input);
    const env = { SCHEMA_REGISTRY_URL: url };

    // three sessions resolve through the registry (one has an IMSI the rules refuse); the truncated message and the
    // line that is no base64 are PARSE_ERROR in both modes
    const dry = drySummary(cli(['dry-run', '-p', p, '--summary-only'], env).stderr);
    expect(dry).toEqual({ records: 5, udrs: 2, rejected: { INVALID_FIELD: 1, PARSE_ERROR: 2 } });
    const run = cli(['run', p, '--db', join(dir, 'db2'), '--no-progress'], env);
    expect(run.status, run.stderr).toBe(0);
    expect(runSummary(run.stdout)).toEqual(dry);
    // without the registry, every message would be a PARSE_ERROR ("no registry resolver"): not so in the DLQ
    const dlq = readFileSync([join(dir, 'db2', 'dlq', 'iot-sessions.jsonl'), join(dir, 'data', 'dlq', 'iot-sessions.jsonl')].find((f) => existsSync(f))!, 'utf8');
    expect(dlq).not.toMatch(/no registry resolver/);
  }, 120_000);

  it('3. a wrong trailer count: 0 UDRs and N TRAILER_MISMATCH through drop-dir → Kafka → serve, as embedded', async () => {
    const fixture = join(ROOT, 'rules/cgrates/fixtures/carrier-sample-bad-count.fwv');
    const fwv = join(ROOT, 'pipelines/cgrates-carrier-fwv.yaml');
    const embedded = cli(['run', fwv, '-i', fixture, '--db', join(dir, 'db3'), '--no-progress']);
    expect(embedded.status, embedded.stderr).toBe(0);
    const emb = runSummary(embedded.stdout);
    expect(emb.udrs).toBe(0);
    expect(emb.rejected.TRAILER_MISMATCH).toBeGreaterThan(0);
    const n = emb.rejected.TRAILER_MISMATCH!;
    expect(emb.rejected).toEqual({ TRAILER_MISMATCH: n });

    const name = uniqueName('sdiv');
    const landing = join(dir, 'landing');
    mkdirSync(landing);
    writeFileSync(join(dir, 'serve.yaml'), [
      'kind: serve', `name: ${name}`, 'pipelines:', `  - ${fwv}`, `kafka: { brokers: [${kafkaBrokers().map((b) => JSON.stringify(b)).join(', ')}] }`,
      `topics: { prefix: "${name}.", partitions: 2 }`, 'clickhouse: { data-dir: serve-data }', 'sink: { linger-ms: 100 }',
      'http: { host: 127.0.0.1, port: 0 }', 'watch:', `  - { dir: ${landing}, feed: carrier-fwv, poll-ms: 100 }`,
    ].join('\n'));
    process.env.SCHEMA_REGISTRY_URL = schemaRegistryUrl();
    const server = new StreamServer(loadServeConfig(join(dir, 'serve.yaml')), { log: pino({ level: 'warn' }), metrics: new StreamMetrics({ defaultMetrics: false }) });
    stops.push(() => server.stop());
    await server.start();
    for (const deadline = Date.now() + 60_000; !server.ready().ready; await sleep(50)) if (Date.now() > deadline) throw new Error('serve not ready');
    writeFileSync(join(landing, 'carrier-bad-count.fwv'), readFileSync(fixture));
    const rejects = () => queryRows<{ reason: string; n: string }>(server.store!, "SELECT reason, toString(count()) AS n FROM rejects FINAL WHERE feed = 'carrier-fwv' GROUP BY reason ORDER BY reason");
    await expect.poll(rejects, { timeout: 60_000, interval: 200 }).toEqual([{ reason: 'TRAILER_MISMATCH', n: String(n) }]);
    await sleep(1000); // nothing else arrives after them
    expect(await rejects()).toEqual([{ reason: 'TRAILER_MISMATCH', n: String(n) }]);
    const udrs = await queryRows<{ n: string }>(server.store!, "SELECT toString(count()) AS n FROM udrs FINAL WHERE feed = 'carrier-fwv'");
    expect(udrs).toEqual([{ n: '0' }]);
    // the rejects keep the file's coordinates, as embedded
    const sources = await queryRows<{ source: string }>(server.store!, "SELECT source FROM rejects FINAL WHERE feed = 'carrier-fwv' ORDER BY source");
    expect(sources.every((s) => s.source.startsWith('carrier-bad-count.fwv:'))).toBe(true);
  }, 180_000);
});

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops) await s();
});
