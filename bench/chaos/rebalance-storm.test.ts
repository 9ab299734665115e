/**
 * Chaos scenario 4 (issue #13): a rebalance storm with share-plan pools near exhaustion. Three `serve --roles
 * mediate,rate` members (slots A, B, C) join and leave every 1.5–4 s (seeded: RATESTREAM_CHAOS_SEED) for
 * RATESTREAM_CHAOS_STORM_S [60] s — a leave is a graceful SIGTERM, one in four a `kill -9`; a join does not wait
 * for the member to come up (a member still starting is left alone) — while
 * RATESTREAM_CHAOS_REBALANCE_RECORDS [120,000] demo carrier records arrive in 12 chunks spread over the storm. At least
 * one member stays up; a sink process (`--roles sink`: the embedded ClickHouse belongs to one process) stays up too.
 * The pooled catalog's contributions are scaled (scaledPoolsPipeline, ≈ records / 40,000) so that the pools run out
 * one after the other over the first quarter of the input: during the storm, even when the loaded machine rates only
 * a part of the input while the storm lasts (the first run, ≈ records / 12,000, had them run out after it). Asserted at the end: the store equals the embedded `run`
 * of the same input (nothing lost or doubled, pool debits equal), the pool balances in the rating-state changelog
 * equal one uninterrupted core run (no allowance spent twice), no pool overdrawn, and pools ran out during the storm.
 * Prints one `[rebalance] {…}` line. Run by `bash bench/chaos.sh [--seed N] rebalance`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng } from '../../engine/demo/prng.ts';
import { uniqueName } from '../../test/setup/env.ts';
import {
  caughtUp, coreRunPools, demoCarrierInput, embeddedRun, kafkaPort, produceLines, scaledPoolsPipeline, sleep, waitReady, writeServeConfig,
} from '../../test/integration/streaming-helpers.ts';
import { ServeMembers } from './members.ts';
import { storeVerdict } from './verdict.ts';

const RECORDS = Number(process.env.RATESTREAM_CHAOS_REBALANCE_RECORDS ?? 120_000);
const STORM_S = Number(process.env.RATESTREAM_CHAOS_STORM_S ?? 60);
const SEED = Number(process.env.RATESTREAM_CHAOS_SEED ?? 13);
const PARTITIONS = 6;
const CHUNKS = 12;
const PER_DAY = Math.min(10_000, RECORDS);
const SLOTS = ['A', 'B', 'C'];

describe('chaos: rebalance storm with pools near exhaustion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-chaos-rebalance-'));
  const name = uniqueName('cstorm');
  const prefix = `${name}.`;
  let members: ServeMembers | undefined;
  afterAll(async () => {
    await members?.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`3 members joining and leaving for ${STORM_S} s: no allowance spent twice, no charge lost`, async () => {
    const rnd = new Prng(SEED);
    const days = Math.max(1, Math.round(RECORDS / PER_DAY));
    if (days > 28) throw new Error('keep the input inside one month (≤ 280,000 records): the pools are monthly');
    const { lines } = demoCarrierInput(join(dir, 'in'), days, PER_DAY);
    const factor = Math.max(1, Math.round(lines.length / 40_000));
    const pipeline = scaledPoolsPipeline(dir, factor);
    const exhaustedAt = new Map<string, number>();
    const corePools = await coreRunPools(pipeline, lines, exhaustedAt);
    const embedded = embeddedRun(pipeline, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
      name, prefix, pipelines: [pipeline], partitions: PARTITIONS, dataDir: join(dir, 'db'),
      extra: ['kafka: { session-timeout-ms: 6000 }', 'sink: { linger-ms: 200 }'],
    });
    members = new ServeMembers(cfg, dir, { sink: 'sink', A: 'mediate,rate', B: 'mediate,rate', C: 'mediate,rate' });
    await members.start('sink');
    for (const s of SLOTS) await members.start(s);
    for (const s of ['sink', ...SLOTS]) await waitReady(members.port(s));
    const kafka = kafkaPort();
    const sunkUdrs = () => members!.metric('ratestream_clickhouse_rows_total', { table: 'udrs' });

    const t0 = Date.now();
    const chunk = Math.ceil(lines.length / CHUNKS);
    const producing = (async () => {
      for (let i = 0; i < CHUNKS; i++) {
        await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines.slice(i * chunk, (i + 1) * chunk));
        await sleep(Math.max(0, t0 + ((i + 1) * STORM_S * 1000) / CHUNKS - Date.now()));
      }
    })();
    const events: string[] = [];
    let joins = 0;
    let leaves = 0;
    let kills = 0;
    while (Date.now() - t0 < STORM_S * 1000) {
      await sleep(rnd.int(1500, 4000));
      // a member still starting is left alone; one that is up stays up if it is the only one up or starting
      const free = SLOTS.filter((s) => !members!.starting(s));
      if (!free.length) continue;
      let slot = rnd.pick(free);
      const others = SLOTS.filter((s) => s !== slot && (members!.up(s) || members!.starting(s)));
      if (members.up(slot) && !others.length) {
        const down = free.filter((s) => !members!.up(s));
        if (!down.length) continue;
        slot = rnd.pick(down);
      }
      const t = ((Date.now() - t0) / 1000).toFixed(1);
      if (members.up(slot)) {
        if (rnd.chance(0.25)) {
          await members.kill(slot);
          kills++;
          events.push(`${t}s ${slot} kill -9`);
        } else {
          members.leave(slot);
          leaves++;
          events.push(`${t}s ${slot} leaves`);
        }
      } else {
        members.join(slot); // not awaited: under load a member takes seconds to come up, the storm goes on
        joins++;
        events.push(`${t}s ${slot} joins`);
      }
    }
    const udrsAtStormEnd = await sunkUdrs();
    await producing;
    // after the storm: every slot up again, then wait until all is committed
    await members.settled();
    for (const s of SLOTS) if (!members.up(s)) await members.start(s);
    await members.until('all committed', () => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled']), 1_800_000, 1000);
    const seconds = (Date.now() - t0) / 1000;
    const peakRss = members.maxPeakRss();
    await members.stopAll();
    await embedded;

    const verdict = await storeVerdict({ db: join(dir, 'db'), emb: join(dir, 'emb'), kafka, prefix, partitions: PARTITIONS, corePools });
    // input lines read when each pool ran out in the uninterrupted run; UDRs stored by the storm's end ≈ lines × 0.93
    const ranOutInStorm = [...exhaustedAt.values()].filter((n) => n * 0.9 <= udrsAtStormEnd).length;
    process.stderr.write(`[rebalance] ${JSON.stringify({
      seed: SEED, recordsIn: lines.length, stormSeconds: STORM_S, joins, leaves, kills, ...verdict.summary, poolFactor: factor,
      poolsRanOut: `${exhaustedAt.size} of ${Object.keys(corePools).length}, ${ranOutInStorm} while the storm lasted`,
      udrsStoredAtStormEnd: udrsAtStormEnd, failedJoins: members.failedJoins, gracefulExits: members.gracefulExits, seconds, peakRssMiB: peakRss, events,
    })}\n`);
    expect(members.failedJoins).toEqual([]);
    expect(members.gracefulExits.every((c) => c === 0)).toBe(true);
    verdict.assert();
    expect(exhaustedAt.size).toBe(Object.keys(corePools).length);
    expect(ranOutInStorm).toBeGreaterThan(0);
  });
});
