/**
 * The fused stage (`rate.with-mediation`) when a transaction fails after its batch reached ClickHouse: the first
 * commit of a raw-partition transaction that carries rating state is aborted (after the direct insert was
 * acknowledged). The whole slot (its raw and udr inputs) is rebuilt from the changelogs, the batch is cut again where
 * it was announced and rated again from the restored state: the same rows under the same dedup tokens. Asserted: one
 * abort, charges and UDRs equal the embedded run, no physical duplicate, pool balances equal one uninterrupted run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { uniqueName } from '../setup/env.ts';
import {
  caughtUp, changelogPools, coreRunPools, demoCarrierInput, embeddedRun, failFirstCommit, kafkaPort, produceLines, queryDb, SUMMARY_SQL, writeServeConfig,
} from './streaming-helpers.ts';

const PIPELINE = 'pipelines/demo-carrier-pooled.yaml';

describe('fused stage: a transaction that fails after its direct insert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-fusedretry-'));
  const name = uniqueName('sfretry');
  const prefix = `${name}.`;
  let server: StreamServer | undefined;
  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds the slot and stores the batch once', { timeout: 180_000 }, async () => {
    const { lines } = demoCarrierInput(join(dir, 'in'), 2, 3000);
    const embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
      name, prefix, pipelines: [PIPELINE], partitions: 2, dataDir: join(dir, 'db'),
      extra: ['rate: { with-mediation: true }', 'mediate: { max-bytes-per-partition: 16384, batch-bytes: 16384 }'],
    });
    // the first commit of a raw-partition transaction carrying rating state: aborted, then reported as failed
    const { wrapPort, injected } = failFirstCommit((id, records) => id.includes('.raw.') && records.some((r) => r.topic === `${prefix}rating-state` && r.key !== '__barrier'),
      'the commit after the direct insert is lost');
    const metrics = new StreamMetrics({ defaultMetrics: false });
    server = new StreamServer(loadServeConfig(cfg), { log: pino({ level: 'error' }), metrics, wrapPort });
    await server.start();
    const kafka = kafkaPort();
    await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines);
    await expect.poll(() => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled'], 1500, undefined, 'direct', true), { timeout: 120_000, interval: 500 }).toBe(true);
    const aborts = (await metrics.registry.getSingleMetricAsString('ratestream_transaction_aborts_total')).split('\n').find((l) => l.includes('role="mediate"') && l.includes('reason="error"'));
    await server.stop();
    server = undefined;
    await embedded;
    expect(injected()).toBe(1);
    expect(aborts?.trim().endsWith(' 1')).toBe(true);

    const db = join(dir, 'db');
    const emb = join(dir, 'emb');
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(emb, SUMMARY_SQL.charges);
    process.stderr.write(`[fused-retry] streaming ${JSON.stringify(s)}\n[fused-retry] embedded  ${JSON.stringify(e)}\n`);
    expect(Number(e!.ids)).toBeGreaterThan(1000);
    expect(s).toEqual(e);
    const [raw] = await queryDb(db, SUMMARY_SQL.rawRows);
    expect(Number(raw!.raw_rows)).toBe(Number(s!.final_rows)); // the retried batch was not stored twice
    expect(await queryDb(db, SUMMARY_SQL.udrs)).toEqual(await queryDb(emb, SUMMARY_SQL.udrs));
    expect(await changelogPools(kafka, prefix, 2)).toEqual(await coreRunPools(PIPELINE, lines));
  });
});
