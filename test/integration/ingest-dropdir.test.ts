/**
 * The watched drop directory (a gateway's SFTP landing folder) → raw.<feed>, in a running `serve` (in-process, real
 * Kafka, in-process ClickHouse engine): a file in transfer (.part / .tmp) is ignored until renamed; a complete file's
 * records land in the raw topic exactly once (the CSV header is consumed by the feed's framer) and the file moves to
 * .done/; the records are rated; after a restart the done file is not sent again while a file dropped meanwhile is.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import { queryRows } from '../../engine/store/client.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { kafkaBrokers, schemaRegistryUrl, uniqueName } from '../setup/env.ts';
import { kafkaPort, ROOT, sleep } from './streaming-helpers.ts';

const HEADER = 'record_type,record_id,event_type,calling,called,sms_peer,start_time,duration_s,bytes_up,bytes_down,cell_id';
const sms = (id: string, hour: number) => `6,${id},SMS-MO,+31638782185,+31201234567,,2026-10-05 ${hour}:00:00,,,,c1`;
const file = (...ids: string[]) => `${[HEADER, ...ids.map((id, i) => sms(id, 10 + i))].join('\n')}\n`;

describe('drop directory → raw topic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-drop-'));
  const drop = join(dir, 'landing');
  const name = uniqueName('sdrop');
  const prefix = `${name}.`;
  const kafka = kafkaPort();
  let server: StreamServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  const start = async () => {
    const s = new StreamServer(loadServeConfig(join(dir, 'serve.yaml')), { log: pino({ level: 'warn' }), metrics: new StreamMetrics({ defaultMetrics: false }) });
    await s.start();
    for (const deadline = Date.now() + 60_000; !s.ready().ready; await sleep(50)) if (Date.now() > deadline) throw new Error('serve not ready');
    return s;
  };
  const rawEnd = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      // the topic was just created by serve: until its partitions' leaders are known to the broker this admin asks,
      // metadata says "does not host this topic-partition" (retriable) — ask again for a few seconds
      for (const deadline = Date.now() + 15_000; ; await sleep(200)) {
        try {
          return (await admin.endOffsets(`${prefix}raw.carrier-cdr`)).reduce((a, o) => a + Number(o.offset), 0);
        } catch (err) {
          if (Date.now() > deadline || !/does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|LEADER_NOT_AVAILABLE/i.test(String((err as Error).message) + String((err as { type?: string }).type))) throw err;
        }
      }
    } finally {
      await admin.disconnect();
    }
  };
  const charges = async (s: StreamServer) => (await queryRows<{ udr_id: string }>(s.store!, 'SELECT udr_id FROM charges FINAL ORDER BY udr_id')).map((r) => r.udr_id);

  it('sends complete files once, ignores files in transfer, does not resend after a restart', async () => {
    mkdirSync(drop);
    writeFileSync(join(dir, 'serve.yaml'), [
      'kind: serve', `name: ${name}`, 'pipelines:', `  - ${join(ROOT, 'pipelines/demo-carrier.yaml')}`,
      `topics: { prefix: "${prefix}", partitions: 2 }`, 'clickhouse: { data-dir: data }', 'sink: { linger-ms: 100 }',
      'http: { host: 127.0.0.1, port: 0 }', 'watch:', `  - { dir: ${drop}, feed: carrier-cdr, poll-ms: 100 }`,
    ].join('\n'));
    server = await start();

    // in transfer: ignored however long it sits there
    writeFileSync(join(drop, 'cdr-1.csv.part'), file('F1', 'F2', 'F3'));
    writeFileSync(join(drop, 'cdr-0.csv.tmp'), file('Z1'));
    await sleep(800);
    expect(await rawEnd()).toBe(0);
    expect(readdirSync(drop).sort()).toEqual(['.done', '.failed', 'cdr-0.csv.tmp', 'cdr-1.csv.part']);

    // renamed when complete: sent once, moved to .done/
    renameSync(join(drop, 'cdr-1.csv.part'), join(drop, 'cdr-1.csv'));
    await expect.poll(() => existsSync(join(drop, '.done', 'cdr-1.csv')), { timeout: 10_000, interval: 50 }).toBe(true);
    expect(existsSync(join(drop, 'cdr-1.csv'))).toBe(false);
    expect(await rawEnd()).toBe(4); // three records + the header consumed by the CSV framer (an ignored marker)
    await expect.poll(() => charges(server!), { timeout: 60_000, interval: 200 }).toEqual(['F1', 'F2', 'F3']);
    await sleep(500);
    expect(await rawEnd()).toBe(4); // still once

    // restart: the done file stays done; a file dropped while serve was down is sent
    await server.stop();
    server = undefined;
    writeFileSync(join(drop, 'cdr-2.csv'), file('F4', 'F5'));
    server = await start();
    await expect.poll(() => existsSync(join(drop, '.done', 'cdr-2.csv')), { timeout: 10_000, interval: 50 }).toBe(true);
    await sleep(500);
    expect(await rawEnd()).toBe(7);
    await expect.poll(() => charges(server!), { timeout: 60_000, interval: 200 }).toEqual(['F1', 'F2', 'F3', 'F4', 'F5']);
    expect(readdirSync(join(drop, '.done')).sort()).toEqual(['cdr-1.csv', 'cdr-2.csv']);
    expect(readdirSync(drop).sort()).toEqual(['.done', '.failed', 'cdr-0.csv.tmp']);
    expect(Number((await queryRows<{ n: string }>(server.store!, 'SELECT count() AS n FROM charges'))[0]!.n)).toBe(5); // no duplicate rows
  });
});
