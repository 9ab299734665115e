/**
 * The mediate role's dedup window survives a restart (real Kafka, `serve` child processes, roles mediate + rate):
 * demo carrier CDRs are mediated and rated, the process is killed with SIGKILL, a new one starts and the gateway sends
 * the same records again → every resend is dropped at mediation (ignored as `duplicate`, no UDR), the rate role never
 * sees them (its own dedup counts 0), and every record has exactly one UDR and one charge. The ids were in the
 * `mediation-state.carrier-cdr` changelog (dedup/<partition>/… keys).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../setup/env.ts';
import {
  cleanDemoLines, freePort, kafkaPort, logTail, metric, produceLines, readChangelog, readCommitted, scrape, type ServeProcess, spawnServe, stopServe,
  waitReady, writeServeConfig,
} from './streaming-helpers.ts';

const FEED = 'carrier-cdr';
const PARTITIONS = 2;
const N = 400;

describe('streaming: the mediation dedup window persists with its partition', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-med-dedup-'));
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('send, kill -9, restart, resend → the resends are duplicates at mediation; one UDR and one charge per record', async () => {
    const lines = cleanDemoLines(join(dir, 'demo'), N);
    const name = uniqueName('smdedup');
    const prefix = `${name}.`;
    const raw = `${prefix}raw.${FEED}`;
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), { name, prefix, pipelines: ['pipelines/demo-carrier.yaml'], partitions: PARTITIONS, extra: ['kafka: { session-timeout-ms: 6000 }'] });
    const log = join(dir, 'serve.log');
    const kafka = kafkaPort();
    const start = async () => {
      serve = await spawnServe(cfg, { port: freePort(), log, roles: 'mediate,rate' });
      await waitReady(serve.port);
      return serve;
    };
    const poll = async (what: () => Promise<boolean>) => {
      try {
        await expect.poll(what, { timeout: 120_000, interval: 250 }).toBe(true);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${logTail(log)}`);
      }
    };

    // life 1: mediated and rated (metrics count committed batches only), then kill -9
    const s1 = await start();
    await produceLines(kafka, raw, lines);
    await poll(async () => metric(await scrape(s1.port), 'ratestream_records_out_total', { role: 'rate', topic: `${prefix}rated` }) >= N);
    const m1 = await scrape(s1.port);
    expect(metric(m1, 'ratestream_records_out_total', { role: 'mediate', topic: `${prefix}udr` })).toBe(N);
    // mediate + rate without the sink: rate.store auto resolves to topics, and serve says what that asks of the deployment
    expect(readFileSync(log, 'utf8')).toMatch(/rate\.store auto resolved to topics here.*run this one with --roles mediate instead/);
    await stopServe(s1, 'SIGKILL');
    serve = undefined;
    const state = await readChangelog(kafka, `${prefix}mediation-state.${FEED}`, PARTITIONS);
    const persisted = [...state].filter(([k, v]) => k.startsWith('dedup/') && v !== null).flatMap(([, v]) => JSON.parse(v!) as string[]);
    expect(persisted.length).toBe(N);

    // life 2: a new process; the gateway resends everything
    const s2 = await start();
    await produceLines(kafka, raw, lines);
    await poll(async () => metric(await scrape(s2.port), 'ratestream_records_in_total', { role: 'mediate', feed: FEED }) >= N);
    const m2 = await scrape(s2.port);
    const got = {
      in: metric(m2, 'ratestream_records_in_total', { role: 'mediate', feed: FEED }),
      duplicatesAtMediation: metric(m2, 'ratestream_records_ignored_total', { role: 'mediate', feed: FEED, reason: 'duplicate' }),
      udrsOut: metric(m2, 'ratestream_records_out_total', { role: 'mediate', topic: `${prefix}udr` }),
      rejected: metric(m2, 'ratestream_records_rejected_total'),
      duplicatesAtRating: metric(m2, 'ratestream_records_ignored_total', { role: 'rate', reason: 'duplicate' }),
    };
    expect(got).toEqual({ in: N, duplicatesAtMediation: N, udrsOut: 0, rejected: 0, duplicatesAtRating: 0 });
    expect(metric(m2, 'ratestream_state_restored_records_total', { role: 'mediate' })).toBeGreaterThan(0);
    expect(await stopServe(s2)).toBe(0);
    serve = undefined;

    // one UDR and one charge per record over both lives
    const udrs = await readCommitted(kafka, `${prefix}udr`, { want: N, settleMs: 2000 });
    const charges = await readCommitted(kafka, `${prefix}rated`, { want: N, settleMs: 2000 });
    expect([udrs.length, charges.length]).toEqual([N, N]);
  });
});
