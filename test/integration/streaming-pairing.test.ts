/**
 * Start/stop pairing across restarts of `serve` (real Kafka, serve child processes, roles mediate + rate): OpenSIPS
 * INVITEs are mediated and held as pending halves, the process is killed with SIGKILL twice (once after it committed
 * them, once ~150 ms after more INVITEs were produced, whether or not their batch had committed) and stopped with
 * SIGTERM once, then the BYEs are produced → every call is
 * exactly one UDR, no UNPAIRED (or any) reject, no duplicate; the pending halves were in the `mediation-state.opensips`
 * changelog, which ends with every pairing key tombstoned.
 *
 * Then calls that were already mediated are sent again (a gateway retry after the restart): the new process's
 * Mediator has no memory of them and emits their UDRs again (same ids), and the rate role's persisted dedup window
 * drops every one of them — they are not rated twice.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Udr } from '../../engine/core/types.ts';
import type { ConsumedMessage, KafkaPort } from '../../engine/runtime/kafka/port.ts';
import { SchemaRegistry } from '../../engine/runtime/kafka/schema-registry.ts';
import { createCodecs } from '../../engine/runtime/streaming/codecs.ts';
import { schemaRegistryUrl, uniqueName } from '../setup/env.ts';
import {
  freePort, kafkaPort, logTail, metric, readChangelog, scrape, type ServeProcess, sleep, spawnServe, stopServe, waitReady, writeServeConfig,
  readCommitted,
} from './streaming-helpers.ts';

const PIPELINE = 'pipelines/cgrates-opensips-flatstore.yaml';
const FEED = 'opensips';
const PARTITIONS = 3;
const CALLS = 300;
/** calls complete (INVITE + BYE) before the first kill: sent again at the end */
const EARLY = 50;
const T0 = 1_700_000_000;

const randomTag = randomUUID().slice(0, 8);
const callId = (i: number) => `call-${i}-${randomTag}@10.0.0.1`;
const invite = (i: number) => `INVITE|f${i}|t${i}|${callId(i)}|200|OK|${T0 + i}|*prepaid|2${String(i).padStart(4, '0')}|3001||${i}:1`;
const bye = (i: number) => `BYE|f${i}|t${i}|${callId(i)}|200|OK|${T0 + i + 10 + (i % 50)}|||||${i}:1`;

async function produce(port: KafkaPort, topic: string, lines: { key: string; line: string }[]): Promise<void> {
  const p = port.producer({ idempotent: true });
  await p.connect();
  try {
    await p.send(lines.map((l) => ({ topic, key: l.key, value: Buffer.from(l.line) })));
  } finally {
    await p.disconnect();
  }
}

/** the mediate group committed every raw record (raw topics are written without transactions: exact offsets) */
async function mediated(port: KafkaPort, group: string, topic: string): Promise<boolean> {
  const admin = port.admin();
  await admin.connect();
  try {
    const end = await admin.endOffsets(topic);
    const committed = new Map((await admin.committedOffsets(group, topic)).map((o) => [o.partition, BigInt(o.offset)]));
    return end.every((e) => BigInt(e.offset) === 0n || (committed.get(e.partition) ?? -1n) >= BigInt(e.offset));
  } finally {
    await admin.disconnect();
  }
}

describe('streaming: start/stop pairing state survives kill -9, stop and restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-pairing-'));
  const name = uniqueName('spair');
  const prefix = `${name}.`;
  const raw = `${prefix}raw.${FEED}`;
  const kafka = kafkaPort();
  let serve: ServeProcess | undefined;
  const registry = new SchemaRegistry({ url: schemaRegistryUrl() });
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    await registry.close().catch(() => undefined);
  });

  it('INVITEs before, BYEs after the restarts → one UDR per call, no UNPAIRED, no duplicate; re-sent calls not rated twice', async () => {
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), { name, prefix, pipelines: [PIPELINE], partitions: PARTITIONS, extra: ['kafka: { session-timeout-ms: 6000 }'] });
    const log = join(dir, 'serve.log');
    const start = async () => {
      serve = await spawnServe(cfg, { port: freePort(), log, roles: 'mediate,rate' });
      await waitReady(serve.port);
      return serve;
    };
    const waitMediated = async () => {
      try {
        await expect.poll(() => mediated(kafka, `${name}.mediate`, raw), { timeout: 120_000, interval: 500 }).toBe(true);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${logTail(log)}`);
      }
    };
    const keyed = (i: number, line: string) => ({ key: callId(i), line });

    // life 1: calls 0..EARLY-1 complete, INVITEs of EARLY..199 held; committed, then kill -9
    await start();
    const early: { key: string; line: string }[] = [];
    for (let i = 0; i < EARLY; i++) early.push(keyed(i, invite(i)), keyed(i, bye(i)));
    await produce(kafka, raw, early);
    await produce(kafka, raw, Array.from({ length: 200 - EARLY }, (_, j) => keyed(EARLY + j, invite(EARLY + j))));
    await waitMediated();
    const s1 = await scrape(serve!.port);
    expect(metric(s1, 'ratestream_records_rejected_total')).toBe(0);
    await stopServe(serve!, 'SIGKILL');

    // life 2: restored; INVITEs 200..CALLS-1 produced and the process killed right away (committed or not: either way)
    await start();
    await produce(kafka, raw, Array.from({ length: CALLS - 200 }, (_, j) => keyed(200 + j, invite(200 + j))));
    await sleep(150);
    await stopServe(serve!, 'SIGKILL');

    // life 3: restored again, catches up, stopped gracefully (SIGTERM: finishes its batch, commits, leaves)
    await start();
    await waitMediated();
    expect(await stopServe(serve!)).toBe(0);

    // the changelog holds every call's INVITE as a pending half now
    const held = await readChangelog(kafka, `${prefix}mediation-state.${FEED}`, PARTITIONS);
    const pendingKeys = [...held].filter(([k, v]) => k.includes('/') && v !== null);
    expect(pendingKeys.length).toBe(CALLS - EARLY);

    // life 4: the BYEs of every held call
    const s4 = await start();
    await produce(kafka, raw, Array.from({ length: CALLS - EARLY }, (_, j) => keyed(EARLY + j, bye(EARLY + j))));
    await waitMediated();

    const codecs = await createCodecs(registry, { udr: `${prefix}udr`, rated: `${prefix}rated` });
    const decode = async (msgs: ConsumedMessage[]) => Promise.all(msgs.map((m) => codecs.udr.decode(m.value!)));
    let udrs: Udr[] = await decode(await readCommitted(kafka, `${prefix}udr`, { want: CALLS, settleMs: 2500 }));
    const dlq = await readCommitted(kafka, `${prefix}dlq.${FEED}`, { want: 0, settleMs: 1000 });
    process.stderr.write(`[streaming-pairing] udrs ${udrs.length}, distinct ${new Set(udrs.map((u) => u.id)).size}, dlq ${dlq.length}\n`);
    expect(dlq.map((m) => m.value!.toString())).toEqual([]); // no UNPAIRED, no reject at all
    expect(udrs.length).toBe(CALLS);
    expect(new Set(udrs.map((u) => u.id)).size).toBe(CALLS);
    // each call once, with its own INVITE and BYE: usage = BYE time - INVITE time
    const byAccount = new Map(udrs.map((u) => [u.account, u]));
    for (let i = 0; i < CALLS; i++) {
      const u = byAccount.get(`2${String(i).padStart(4, '0')}`);
      expect(u, `call ${i}`).toBeDefined();
      expect(u!.quantity).toBe((10 + (i % 50)) * 1000);
      expect(u!.startTime).toBe((T0 + i) * 1000);
    }
    // every pairing key closed: tombstones only (the partition clocks stay)
    const after = await readChangelog(kafka, `${prefix}mediation-state.${FEED}`, PARTITIONS);
    expect([...after].filter(([k, v]) => k.includes('/') && v !== null)).toEqual([]);
    expect([...after].filter(([k]) => k.includes('/')).length).toBeGreaterThanOrEqual(CALLS - EARLY);

    // a gateway re-sends the calls completed in life 1: mediated again (no memory of them in this process, and these
    // rules have no in-run dedup), the rate role's persisted window of rated ids drops every one
    await produce(kafka, raw, early);
    await waitMediated();
    await expect.poll(async () => metric(await scrape(s4.port), 'ratestream_records_ignored_total', { role: 'rate', reason: 'duplicate' }), { timeout: 60_000, interval: 250 }).toBe(EARLY);
    udrs = await decode(await readCommitted(kafka, `${prefix}udr`, { want: CALLS + EARLY, settleMs: 2500 }));
    expect(udrs.length).toBe(CALLS + EARLY);
    expect(new Set(udrs.map((u) => u.id)).size).toBe(CALLS);
    expect(metric(await scrape(s4.port), 'ratestream_records_rejected_total')).toBe(0);
    expect(await stopServe(s4)).toBe(0);
    serve = undefined;
  });
});
