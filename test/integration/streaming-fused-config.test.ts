/**
 * `rate.with-mediation` refuses the layouts it cannot serve, at start and with a message that says what to change:
 * a process without both roles, a process whose rated rows would go through the topics (the UDRs rated in place never
 * reach the udr topic the sink would read them from), and raw topics whose partition count differs from udr's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import type { Role } from '../../engine/runtime/streaming/config.ts';
import { uniqueName } from '../setup/env.ts';
import { kafkaPort, writeServeConfig } from './streaming-helpers.ts';

const PIPELINE = 'pipelines/demo-carrier.yaml';

describe('rate.with-mediation: layouts it refuses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-fusedcfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = async (roles: Role[], opts: { rawPartitions?: number } = {}): Promise<string> => {
    const name = uniqueName('fusedcfg');
    const prefix = `${name}.`;
    if (opts.rawPartitions) {
      const admin = kafkaPort().admin();
      await admin.connect();
      try {
        await admin.ensureTopics([{ topic: `${prefix}raw.carrier-cdr`, partitions: opts.rawPartitions }]);
      } finally {
        await admin.disconnect();
      }
    }
    const cfg = writeServeConfig(join(dir, `${name}.yaml`), { name, prefix, pipelines: [PIPELINE], partitions: 3, dataDir: join(dir, name), extra: ['rate: { with-mediation: true }'] });
    const server = new StreamServer(loadServeConfig(cfg), { roles, log: pino({ level: 'silent' }) });
    try {
      await server.start();
      return 'started';
    } catch (e) {
      return (e as Error).message;
    } finally {
      await server.stop();
    }
  };

  it('needs the mediate and the rate role in the process', async () => {
    expect(await start(['mediate', 'sink'])).toMatch(/needs both the mediate and the rate role in this process \(roles: mediate, sink\); set rate.with-mediation: false/);
  });

  it('needs rate.store direct (here: no sink in the process, no ClickHouse server)', async () => {
    const saved = process.env.CLICKHOUSE_URL;
    delete process.env.CLICKHOUSE_URL;
    try {
      expect(await start(['mediate', 'rate'])).toMatch(/needs rate.store: direct .*with rate.store: topics set rate.with-mediation: false/);
    } finally {
      if (saved !== undefined) process.env.CLICKHOUSE_URL = saved;
    }
  });

  it('needs raw.<feed> and udr with the same partition count', async () => {
    expect(await start(['mediate', 'rate', 'sink'], { rawPartitions: 5 })).toMatch(/needs .*raw\.carrier-cdr and .*udr to have the same number of partitions \(5 and 3\)/);
  });

  it('starts with all roles in one process', async () => {
    expect(await start(['mediate', 'rate', 'sink'])).toBe('started');
  });
}, 120_000);
