/**
 * The fused stage is serve's default layout (rate.with-mediation: auto, mediation-layout.ts), and one layout runs per
 * deployment (layout-guard.ts). `serve` child processes on real Kafka, the demo carrier feed keyed by the rating key's
 * account root:
 *  1. all roles, no rate section: the fused stage runs (log line, group `<name>.mediate` Stable with the
 *     co-partitioning protocol, no `<name>.rate` group) and its charges and UDRs equal the embedded run's; a process
 *     with the rate role alone (roles apart: the store on the topics) joining it refuses to start, naming the fused
 *     group and the fix;
 *  2. all roles with rate.store: topics: auto falls back to the roles apart and says why (the rate group consumes udr,
 *     the mediate group uses the client's default assignor), charges equal the embedded run's; a process with all roles
 *     and the direct store joining it under auto follows the running layout (roles apart: `<name>.rate` has a live
 *     member), and under with-mediation: true refuses to start, naming `<name>.rate`;
 *  3. one rate.store per deployment (store-guard.ts): beside an all-roles process on the in-process
 *     engine (roles apart, rate.store direct: its sink reads the DLQs only), a `--roles mediate,rate` member (auto →
 *     topics) refuses to start, naming the sink group and the fix; a `--roles mediate` member joins;
 *  4. one deployment switched fused → roles apart → fused (stopped in between, same data dir), a third of the input
 *     each time: each layout's udr consumer continues from the other group's committed udr offsets (log lines), the
 *     rate role apart rates exactly the UDRs its mediate role produced (none of the fused stage's again), and the
 *     ledger equals the embedded run with no physical duplicate.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { partitionOfKey } from '../../engine/runtime/kafka/record-batch.ts';
import { uniqueName } from '../setup/env.ts';
import {
  caughtUp, demoCarrierInput, embeddedRun, freePort, kafkaPort, logTail, metric, produceLines, queryDb, scrape, type ServeProcess, spawnServe, stopServe,
  SUMMARY_SQL, waitReady, writeServeConfig,
} from './streaming-helpers.ts';

const PIPELINE = 'pipelines/demo-carrier.yaml';
const FEED = 'carrier-cdr';

describe('serve: rate.with-mediation auto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-fused-default-'));
  const procs: ServeProcess[] = [];
  const kafka = kafkaPort();
  let input: ReturnType<typeof demoCarrierInput>;
  let embedded: Promise<string>;
  afterAll(async () => {
    for (const p of procs) await stopServe(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const describeGroup = async (group: string) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await admin.describeGroup(group);
    } finally {
      await admin.disconnect();
    }
  };

  /** one serve with all roles; its charges and UDRs must equal the embedded run's */
  const runAll = async (name: string, extra: string[], store: 'direct' | 'topics', fused: boolean) => {
    const prefix = `${name}.`;
    const cfg = writeServeConfig(join(dir, `${name}.yaml`), { name, prefix, pipelines: [PIPELINE], partitions: 2, dataDir: join(dir, `${name}-db`), extra: ['kafka: { session-timeout-ms: 6000 }', 'sink: { linger-ms: 100 }', ...extra] });
    const log = join(dir, `${name}.log`);
    const serve = await spawnServe(cfg, { port: freePort(), log });
    procs.push(serve);
    await waitReady(serve.port);
    await produceLines(kafka, `${prefix}raw.${FEED}`, input.lines);
    try {
      await expect.poll(() => caughtUp(kafka, name, prefix, [FEED], 1500, undefined, store, fused), { timeout: 180_000, interval: 500 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log)}`);
    }
    return { name, prefix, cfg, log, serve };
  };

  const expectEmbedded = async (db: string) => {
    await embedded;
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(join(dir, 'emb'), SUMMARY_SQL.charges);
    expect(Number(e!.ids)).toBeGreaterThan(500);
    expect(s).toEqual(e);
    expect(await queryDb(db, SUMMARY_SQL.udrs)).toEqual(await queryDb(join(dir, 'emb'), SUMMARY_SQL.udrs));
  };

  /** a serve that must refuse to start (the layout guard waits out session timeout + 3 s first) */
  const refused = async (cfg: string, roles: string | undefined, log: string) => {
    const p = await spawnServe(cfg, { port: freePort(), log, ...(roles && { roles }) });
    procs.push(p);
    const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
    expect(code, logTail(log)).not.toBe(0);
    expect(code, logTail(log)).not.toBe('timeout');
    return readFileSync(log, 'utf8');
  };

  it('all roles in one process and the default config: the fused stage, the embedded run\'s charges; a rate role apart beside it refuses', { timeout: 300_000 }, async () => {
    input = demoCarrierInput(join(dir, 'in'), 1, 3000);
    embedded = embeddedRun(PIPELINE, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const { name, cfg, log, serve } = await runAll(uniqueName('sfdef'), [], 'direct', true);
    const text = readFileSync(log, 'utf8');
    expect(text).toContain('rate.with-mediation auto: fused');
    expect(await describeGroup(`${name}.mediate`)).toMatchObject({ groupId: `${name}.mediate`, state: 'Stable', protocol: 'rs-copartition', members: 1 });
    expect(await describeGroup(`${name}.rate`)).toMatchObject({ state: 'Dead', members: 0 });

    // the rate role apart (no sink: rate.store topics) would rate the udr topic's UDRs a second time
    const other = await refused(cfg, 'rate', join(dir, `${name}-rate.log`));
    expect(other).toContain(`group ${name}.mediate runs the fused stage (protocol rs-copartition, 1 live member(s)`);
    expect(other).toContain('Set rate.with-mediation alike in every process');
    expect(await describeGroup(`${name}.rate`)).toMatchObject({ members: 0 });

    expect(await stopServe(serve)).toBe(0);
    await expectEmbedded(join(dir, `${name}-db`));
  });

  it('rate.store: topics: auto runs the roles apart and says why, the embedded run\'s charges; an auto process beside them joins the roles apart, with-mediation: true refuses', { timeout: 300_000 }, async () => {
    const { name, prefix, log, serve } = await runAll(uniqueName('sfapart'), ['rate: { store: topics }'], 'topics', false);
    expect(readFileSync(log, 'utf8')).toContain('rate.with-mediation auto: roles apart because rate.store resolves to topics');
    const mediate = await describeGroup(`${name}.mediate`);
    expect(mediate).toMatchObject({ state: 'Stable', members: 1 });
    expect(mediate.protocol).not.toBe('rs-copartition');
    expect(await describeGroup(`${name}.rate`)).toMatchObject({ state: 'Stable', members: 1 });

    // the same deployment, a process whose auto resolves to the fused stage (all roles, the direct store)
    // auto joins the running layout (the rate group has a live member): the roles apart, nothing new to rate
    const autoCfg = writeServeConfig(join(dir, `${name}-auto.yaml`), { name, prefix, pipelines: [PIPELINE], partitions: 2, dataDir: join(dir, `${name}-auto-db`), extra: ['kafka: { session-timeout-ms: 6000 }'] });
    const autoLog = join(dir, `${name}-auto.log`);
    const auto = await spawnServe(autoCfg, { port: freePort(), log: autoLog });
    procs.push(auto);
    await waitReady(auto.port);
    expect(readFileSync(autoLog, 'utf8')).toContain(`rate.with-mediation auto: roles apart because group ${name}.rate has 1 live member(s)`);
    expect(await stopServe(auto)).toBe(0);
    // with-mediation: true insists on the fused stage: the layout guard refuses it
    const fusedCfg = writeServeConfig(join(dir, `${name}-fused.yaml`), { name, prefix, pipelines: [PIPELINE], partitions: 2, dataDir: join(dir, `${name}-fused-db`), extra: ['kafka: { session-timeout-ms: 6000 }', 'rate: { with-mediation: true }'] });
    const other = await refused(fusedCfg, undefined, join(dir, `${name}-fused.log`));
    expect(other).toContain('rate.with-mediation: true');
    expect(other).toContain(`group ${name}.rate still has 1 live member(s) after 9000 ms: another process runs the rate role apart`);

    expect(await stopServe(serve)).toBe(0);
    await expectEmbedded(join(dir, `${name}-db`));
  });

  it('one rate.store per deployment: beside an all-roles process on the in-process engine, a mediate,rate member refuses (its charges would reach no sink); a mediate member joins', { timeout: 300_000 }, async () => {
    const name = uniqueName('sfstore');
    const prefix = `${name}.`;
    const extra = ['kafka: { session-timeout-ms: 6000 }', 'rate: { with-mediation: false }'];
    const cfg = writeServeConfig(join(dir, `${name}.yaml`), { name, prefix, pipelines: [PIPELINE], partitions: 2, dataDir: join(dir, `${name}-db`), extra });
    const main = await spawnServe(cfg, { port: freePort(), log: join(dir, `${name}.log`) });
    procs.push(main);
    await waitReady(main.port);
    // the all-roles process stores directly: its sink reads the DLQs only (subscriptions from the group's join metadata)
    const sink = await describeGroup(`${name}.sink`);
    expect(sink).toMatchObject({ members: 1 });
    expect(sink.memberTopics![0]).not.toContain(`${prefix}rated`);

    // `--roles mediate,rate` resolves rate.store auto to topics: the store guard refuses after waiting out lingering members
    const other = await refused(cfg, 'mediate,rate', join(dir, `${name}-mr.log`));
    expect(other).toContain(`group ${name}.sink has 1 live member(s) after 9000 ms that do not read ${prefix}rated`);
    expect(other).toContain('run this process with --roles mediate');
    // the README's second member: mediate only, the rate role stays beside the sink
    const second = await spawnServe(cfg, { port: freePort(), log: join(dir, `${name}-m.log`), roles: 'mediate' });
    procs.push(second);
    await waitReady(second.port);
    expect(await describeGroup(`${name}.mediate`)).toMatchObject({ members: 2 });
    expect(await stopServe(second)).toBe(0);
    expect(await stopServe(main)).toBe(0);
  });

  it('switching layouts (fused → apart → fused): each continues from the other\'s udr offsets, nothing rated twice', { timeout: 400_000 }, async () => {
    const name = uniqueName('sfswitch');
    const prefix = `${name}.`;
    const db = join(dir, `${name}-db`);
    // a third of the accounts keyed "wrongly": root + a suffix that puts their lines (all in one raw partition, in
    // order) on the other partition than their UDRs' — the fused stage sends those through the udr topic and commits
    // udr offsets too
    const away = new Map<string, string>();
    const awayKey = (k: string) => {
      let a = away.get(k);
      if (a === undefined) {
        a = k;
        if (away.size % 3 === 0) {
          for (let i = 0; partitionOfKey(Buffer.from(a), 2) === partitionOfKey(Buffer.from(k), 2); i++) a = `${k}~${i}`;
        }
        away.set(k, a);
      }
      return a;
    };
    const lines = demoCarrierInput(join(dir, 'in3'), 3, 1500).lines.map((l) => (l.key === null ? l : { ...l, key: awayKey(l.key) }));
    const emb = join(dir, 'emb3');
    const embedded3 = embeddedRun(PIPELINE, join(dir, 'in3', 'carrier'), emb);
    const third = Math.ceil(lines.length / 3);
    const phase = async (i: number, withMediation: 'auto' | 'false') => {
      const cfg = writeServeConfig(join(dir, `${name}-${i}.yaml`), { name, prefix, pipelines: [PIPELINE], partitions: 2, dataDir: db,
        extra: ['kafka: { session-timeout-ms: 6000 }', 'sink: { linger-ms: 100 }', ...(withMediation === 'auto' ? [] : [`rate: { with-mediation: ${withMediation} }`])] });
      const log = join(dir, `${name}-${i}.log`);
      const serve = await spawnServe(cfg, { port: freePort(), log });
      procs.push(serve);
      await waitReady(serve.port);
      await produceLines(kafka, `${prefix}raw.${FEED}`, lines.slice(i * third, (i + 1) * third));
      const fused = withMediation === 'auto';
      try {
        await expect.poll(() => caughtUp(kafka, name, prefix, [FEED], 1500, undefined, 'direct', fused), { timeout: 180_000, interval: 500 }).toBe(true);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${logTail(log)}`);
      }
      const m = await scrape(serve.port);
      expect(await stopServe(serve)).toBe(0);
      return { text: readFileSync(log, 'utf8'), m };
    };
    const one = await phase(0, 'auto');
    expect(one.text).toContain('rate.with-mediation auto: fused');
    expect(metric(one.m, 'ratestream_records_out_total', { topic: `${prefix}udr` })).toBeGreaterThan(50);
    const two = await phase(1, 'false');
    // the rate role apart read only what its mediate role produced: not the fused stage's udr records again
    const mediatedToUdr = metric(two.m, 'ratestream_records_out_total', { role: 'mediate', topic: `${prefix}udr` });
    expect(mediatedToUdr).toBeGreaterThan(500);
    expect(metric(two.m, 'ratestream_records_in_total', { role: 'rate' })).toBe(mediatedToUdr);
    expect(two.text).toContain('udr partition continues from the fused stage');
    const three = await phase(2, 'auto');
    expect(three.text).toContain('udr partition continues from the rate group');

    await embedded3;
    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(emb, SUMMARY_SQL.charges);
    expect(s).toEqual(e);
    expect(await queryDb(db, SUMMARY_SQL.udrs)).toEqual(await queryDb(emb, SUMMARY_SQL.udrs));
    const both = 'SELECT (SELECT count() FROM charges) AS charges, (SELECT count() FROM udrs) AS udrs';
    const [raw] = await queryDb(db, both);
    const [fin] = await queryDb(db, both.replaceAll('FROM charges', 'FROM charges FINAL').replaceAll('FROM udrs', 'FROM udrs FINAL'));
    expect(raw).toEqual(fin);
  });
});
