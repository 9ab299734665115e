/**
 * Chaos scenario 1 (issue #13): RATESTREAM_CHAOS_KILL_RECORDS [1,000,000] demo carrier records over ≤ 30 days (pooled pipeline:
 * rating depends on the share-plan pools) through `serve`, with RATESTREAM_CHAOS_KILLS [20] `kill -9` of engine
 * processes at seeded random moments (RATESTREAM_CHAOS_SEED), each restarted on the same store and group:
 *   - kills 1 … n/2, one-process layout: `serve` with all roles (mediate, rate and sink die together);
 *   - kills n/2+1 … n, two-process layout: member A `--roles mediate` and member B with all roles (two members of the
 *     mediate group; the rate role and the sink only in B: the embedded ClickHouse belongs to one process, and a rate
 *     role stores directly only beside it — a `mediate,rate` A would resolve rate.store to topics and its charges would
 *     reach no sink, README "Where rated rows go"); each kill picks A or B.
 * A kill comes once the mediate group has committed a seeded fraction (3–80 %) of the input records (rate and sink
 * work behind it), plus a seeded 0–1.5 s. (A first clock, charges the sinks reported per life, lost counts when a
 * scrape failed under load and stalled a 500k run before kill 19 with everything done.)
 * Asserted at the end: the store equals the embedded `run` of the same input (charges by count, ids, total to the
 * cent, content hash; UDRs; pool debits), no duplicate row even before merges, and the pool balances in the
 * rating-state changelog equal one uninterrupted core run. Prints one `[kill] {…}` line. Run by
 * `bash bench/chaos.sh [--seed N] kill`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng } from '../../engine/demo/prng.ts';
import { uniqueName } from '../../test/setup/env.ts';
import {
  caughtUp, coreRunPools, demoCarrierInput, embeddedRun, kafkaPort, produceLines, sleep, writeServeConfig,
} from '../../test/integration/streaming-helpers.ts';
import { ServeMembers } from './members.ts';
import { storeVerdict } from './verdict.ts';

const RECORDS = Number(process.env.RATESTREAM_CHAOS_KILL_RECORDS ?? 1_000_000);
const KILLS = Number(process.env.RATESTREAM_CHAOS_KILLS ?? 20);
const SEED = Number(process.env.RATESTREAM_CHAOS_SEED ?? 13);
const PIPELINE = 'pipelines/demo-carrier-pooled.yaml';
const PARTITIONS = 4;
// the demo generator's dates (and record ids) break after day 31 ('Invalid DateTime'): stay within 30 days
const DAYS = Math.min(30, Math.max(1, Math.ceil(RECORDS / 10_000)));
const PER_DAY = Math.ceil(RECORDS / DAYS);

describe('chaos: kill -9 of serve processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-chaos-kill-'));
  const name = uniqueName('ckill');
  const prefix = `${name}.`;
  const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
    name, prefix, pipelines: [PIPELINE], partitions: PARTITIONS, dataDir: join(dir, 'db'),
    // the roles apart in both layouts (A alone would not run the fused stage: one layout per deployment)
    extra: ['kafka: { session-timeout-ms: 6000 }', 'sink: { linger-ms: 200 }', 'rate: { with-mediation: false }'],
  });
  const members = new ServeMembers(cfg, dir, { solo: undefined, A: 'mediate', B: undefined });
  afterAll(async () => {
    await members.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${KILLS} × kill -9 over ${RECORDS} records, one- and two-process layouts: nothing missing or doubled, same pools`, async () => {
    const rnd = new Prng(SEED);
    const { lines } = demoCarrierInput(join(dir, 'in'), DAYS, PER_DAY);
    const embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const kafka = kafkaPort();
    await members.start('solo');
    const t0 = Date.now();
    const producing = produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines);

    // the clock: raw records the mediate group has committed (exact, from Kafka; rate and sink follow behind it)
    const admin = kafka.admin();
    await admin.connect();
    const mediated = async () => (await admin.committedOffsets(`${name}.mediate`, `${prefix}raw.carrier-cdr-pooled`)).reduce((n, o) => n + Math.max(0, Number(o.offset)), 0);
    const at = Array.from({ length: KILLS }, () => 0.03 + rnd.next() * 0.77).sort((a, b) => a - b);
    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const two = k >= Math.floor(KILLS / 2);
      await members.until(`progress ${Math.round(at[k]! * 100)} % before kill ${k + 1}`, async () => (await mediated()) >= at[k]! * lines.length, 1_800_000, 250);
      await sleep(rnd.int(0, 1500));
      const slot = two ? rnd.pick(['A', 'B']) : 'solo';
      const progress = await mediated();
      const charges = await members.metric('ratestream_clickhouse_rows_total', { table: 'charges' });
      await members.kill(slot);
      kills.push(`${slot === 'A' ? 'A:mediate' : `${slot}:mediate,rate,sink`}@${Math.round((progress / lines.length) * 100)}%`);
      process.stderr.write(`[kill] kill -9 #${k + 1} of ${slot} at ${progress} records mediated, ${charges} charges stored in this life of the sink (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
      if (!two && k + 1 === Math.floor(KILLS / 2)) {
        // the layout changes: the all-roles process comes back as B, and A joins beside it
        await members.start('B');
        await members.start('A');
      } else {
        await members.start(slot);
      }
    }
    await producing;
    await members.until('all committed', () => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled']), 3_600_000, 2000);
    const seconds = (Date.now() - t0) / 1000;
    const peakRss = members.maxPeakRss();
    const peakRssBySlot = Object.fromEntries(members.peakRss);
    await members.stopAll();
    await admin.disconnect();
    await embedded;

    const verdict = await storeVerdict({
      db: join(dir, 'db'), emb: join(dir, 'emb'), kafka, prefix, partitions: PARTITIONS, corePools: await coreRunPools(PIPELINE, lines),
    });
    process.stderr.write(`[kill] ${JSON.stringify({
      seed: SEED, recordsIn: lines.length, kills: kills.length, ...verdict.summary, gracefulExits: members.gracefulExits, seconds,
      peakRssMiB: peakRss, peakRssMiBBySlot: peakRssBySlot, killed: kills,
    })}\n`);
    expect(members.gracefulExits.every((c) => c === 0)).toBe(true);
    verdict.assert();
  });
});
