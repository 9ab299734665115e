/**
 * The billing state of a streaming deployment: the rate role produces the service-state log rows and the pool
 * balances of each batch to `billing-state` (in the batch's transaction), and the sink writes them to ClickHouse
 * `service_states` / `pool_balances` with offset-range dedup tokens. One `serve` child process (all roles, 3
 * partitions) rates a few thousand demo CDRs on the pooled catalog (parent-level SMS and data pools) and a stream of
 * hardware-node service events (transitions with one-time charges); half way it is killed with SIGKILL and started
 * again. Asserted:
 *  - `pool_balances FINAL` equals what the embedded run (`ratestream run`, EmbeddedRunner, own chDB dir) wrote for the
 *    same input — every column but `as_of`, which is the latest usage time of the batch that wrote the balance and so
 *    depends on how records were batched (it is checked to lie inside the pool's period);
 *  - every service-state row is stored once — the rows equal the core's state log for the same events (one event is
 *    sent twice, as a retrying gateway would: rated once), and count() without FINAL equals them too (a background
 *    merge could hide a physical duplicate, so the second test pins the dedup window itself);
 *  - from topic to table: the service-state records a read_committed reader sees (the kill's aborted transactions are
 *    not among them) are exactly the stored rows, and `pool_balances FINAL` is, per pool, the last committed balance
 *    on the topic (highest version, the later record on a tie), as_of included.
 * The second test: with migration 006 a service_states / pool_balances insert repeated with the same dedup token
 * (a sink batch retried after a lost acknowledgement or cut again by the next owner) is stored once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stateRowToStore } from '../../engine/billing/rating-adapter.ts';
import { loadCatalogFile } from '../../engine/rating/catalog.ts';
import { Rater, type ServiceEvent } from '../../engine/rating/rater.ts';
import { decodeBillingState, KIND_HEADER, KIND_POOL_BALANCE, KIND_SERVICE_STATE } from '../../engine/runtime/streaming/codecs.ts';
import { openStore, queryRows } from '../../engine/store/client.ts';
import { type PoolBalance, writePoolBalances, writeStateChanges } from '../../engine/store/finance.ts';
import { migrate } from '../../engine/store/migrate.ts';
import { uniqueName } from '../setup/env.ts';
import {
  caughtUp, demoCarrierInput, embeddedRun, freePort, kafkaPort, logTail, metric, produceLines, queryDb, readCommitted, ROOT,
  scrape, type ServeProcess, spawnServe, stopServe, waitReady, writeServeConfig,
} from './streaming-helpers.ts';

const POOLED = 'pipelines/demo-carrier-pooled.yaml';
const NODES = 'rules/streaming/node-telemetry.pipeline.yaml';
const DAY = 86_400_000;

/** 12 new hardware nodes, each New → pre-active → active → suspended → active → cancelled → purged, and node-legacy */
function serviceEvents(): ServiceEvent[] {
  const t0 = Date.parse('2025-03-01T00:00:00Z');
  const evs: ServiceEvent[] = [];
  for (let n = 1; n <= 12; n++) {
    const service = `node-t${String(n).padStart(2, '0')}`;
    ['pre-active', 'active', 'suspended', 'active', 'cancelled', 'purged'].forEach((to, i) => {
      evs.push({ id: `${service}-e${i}`, service, to, at: new Date(t0 + n * 3_600_000 + i * DAY).toISOString(), account: 'factory-1', type: 'hardware-node', plan: 'node-standard' });
    });
  }
  evs.push({ id: 'legacy-e0', service: 'node-legacy', to: 'suspended', at: '2025-03-10T00:00:00Z' });
  evs.push({ id: 'legacy-e1', service: 'node-legacy', to: 'purged', at: '2025-03-12T00:00:00Z' }); // no transition: a rating reject
  evs.push({ id: 'legacy-e2', service: 'node-legacy', to: 'active', at: '2025-03-15T00:00:00Z' });
  evs.push({ id: 'legacy-e3', service: 'node-legacy', to: 'cancelled', at: '2025-03-20T00:00:00Z' });
  return evs;
}

const POOL_COLS = `period, toString(period_start) AS period_start, toString(period_end) AS period_end, owner, pool_id, share_plan, bucket_class,
  unit, toString(size) AS size, toString(used) AS used, toString(overage) AS overage, participants, toString(version) AS version`;
const STATE_COLS = `account, service, service_type, plan, event_id, from_state, to_state, core_state, transition,
  toUnixTimestamp64Milli(effective_time) AS at, reason, source, catalog_version`;

describe('streaming: service-state log and pool balances into ClickHouse, exactly once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-billstate-'));
  const name = uniqueName('sbill');
  const prefix = `${name}.`;
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
  });

  it('pool_balances FINAL equals the embedded run; service_states rows arrive once, across a kill -9', async () => {
    const { lines } = demoCarrierInput(join(dir, 'in'), 2, 1500);
    const embedded = embeddedRun(POOLED, join(dir, 'in', 'carrier'), join(dir, 'emb'));
    const events = serviceEvents();
    // the core's timeline for these events (what the sink must store, once each)
    const nodes = loadCatalogFile(join(ROOT, 'rules/rating/scenarios/hardware-node.catalog.yaml'));
    const core = new Rater(nodes).applyServiceEvents(events);
    expect(core.rejects.map((r) => r.source)).toEqual(['legacy-e1']);
    const wantStates = core.stateLog.map((r) => stateRowToStore(r, nodes.version));
    expect(wantStates.length).toBe(events.length - 1);

    const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
      name, prefix, pipelines: [POOLED, NODES], partitions: 3, dataDir: join(dir, 'db'),
      // small batches: many transactions and sink inserts, so the kill lands among them
      // rate.store topics: this test follows the billing-state topic into the tables (streaming-direct-store covers direct)
      extra: ['sink: { batch-rows: 200, linger-ms: 50 }', 'rate: { max-bytes-per-partition: 16384, store: topics }', 'mediate: { max-bytes-per-partition: 16384 }'],
    });
    const log = join(dir, 'serve.log');
    let port = freePort();
    serve = await spawnServe(cfg, { port, log });
    await waitReady(port);

    const kafka = kafkaPort();
    const evLines = (evs: ServiceEvent[]) => evs.map((e) => ({ key: 'factory-1', line: JSON.stringify(e) }));
    const half = Math.floor(lines.length / 2);
    const evHalf = 6 * 6;
    await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines.slice(0, half));
    await produceLines(kafka, `${prefix}service-events-in`, evLines(events.slice(0, evHalf)));
    try {
      await expect.poll(async () => {
        const m = await scrape(port);
        return metric(m, 'ratestream_clickhouse_rows_total', { table: 'service_states' }) > 0 && metric(m, 'ratestream_clickhouse_rows_total', { table: 'pool_balances' }) > 0;
      }, { timeout: 120_000, interval: 50 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log)}`);
    }
    // kill -9 while batches are in flight, then a new process takes over the same group, state and data dir
    const atKill = await scrape(port);
    await stopServe(serve, 'SIGKILL');
    process.stderr.write(`[billing-state] killed after ${['charges', 'service_states', 'pool_balances'].map((t) => `${t} ${metric(atKill, 'ratestream_clickhouse_rows_total', { table: t })}`).join(', ')} rows (of ${half} records, ${evHalf} events sent)\n`);
    port = freePort();
    serve = await spawnServe(cfg, { port, log });
    await waitReady(port);
    await produceLines(kafka, `${prefix}raw.carrier-cdr-pooled`, lines.slice(half));
    // the rest of the events, and one of the first half again (a gateway retrying a POST): rated once
    await produceLines(kafka, `${prefix}service-events-in`, evLines([events[evHalf - 1]!, ...events.slice(evHalf)]));
    try {
      await expect.poll(() => caughtUp(kafka, name, prefix, ['carrier-cdr-pooled', 'node-telemetry'], 1500, undefined, 'topics'), { timeout: 180_000, interval: 500 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log)}`);
    }
    expect(await stopServe(serve)).toBe(0);
    serve = undefined;
    await embedded;

    const db = join(dir, 'db');
    const emb = join(dir, 'emb');
    // pool balances: the same final balance per pool and period as the embedded run
    const poolSql = `SELECT ${POOL_COLS} FROM pool_balances FINAL ORDER BY owner, pool_id, period`;
    const streamedPools = await queryDb(db, poolSql);
    const embeddedPools = await queryDb(emb, poolSql);
    process.stderr.write(`[billing-state] ${streamedPools.length} pool balances, e.g. ${JSON.stringify(streamedPools[0])}\n`);
    expect(embeddedPools.length).toBeGreaterThanOrEqual(4);
    expect(embeddedPools.some((p) => p.used === p.size)).toBe(true); // an exhausted pool: later balances tie on version
    expect(streamedPools).toEqual(embeddedPools);
    const [asOf] = await queryDb<{ bad: string }>(db, 'SELECT count() AS bad FROM pool_balances WHERE as_of < period_start OR as_of >= period_end');
    expect(Number(asOf!.bad)).toBe(0);

    // service states: exactly the core's rows, each stored once (no physical duplicate either)
    const states = await queryDb<Record<string, unknown>>(db, `SELECT ${STATE_COLS} FROM service_states FINAL ORDER BY service, at, event_id`);
    const want = wantStates.map((r) => ({
      account: r.account, service: r.service, service_type: r.serviceType, plan: r.plan, event_id: r.eventId, from_state: r.fromState, to_state: r.toState,
      core_state: r.coreState, transition: r.transition, at: String(r.effectiveTime), reason: r.reason, source: r.source, catalog_version: r.catalogVersion,
    })).sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : Number(a.at) - Number(b.at) || (a.event_id < b.event_id ? -1 : 1)));
    expect(states.map((s) => ({ ...s, at: String(s.at) }))).toEqual(want);
    const [raw] = await queryDb<{ states: string; pools: string }>(db, 'SELECT (SELECT count() FROM service_states) AS states, (SELECT count() FROM pool_balances) AS pools');
    expect(Number(raw!.states)).toBe(want.length);

    // topic → table: the committed billing-state records are what the tables hold
    const recs = await readCommitted(kafka, `${prefix}billing-state`);
    const kinds = new Map<string, number>();
    for (const r of recs) kinds.set(r.headers[KIND_HEADER]?.toString() ?? '', (kinds.get(r.headers[KIND_HEADER]?.toString() ?? '') ?? 0) + 1);
    process.stderr.write(`[billing-state] committed records on the topic: ${JSON.stringify(Object.fromEntries(kinds))}; physical rows: ${JSON.stringify(raw)}\n`);
    expect(kinds.size).toBe(2);
    const topicStates = recs.filter((r) => r.headers[KIND_HEADER]?.toString() === KIND_SERVICE_STATE).map((r) => JSON.parse(r.value!.toString()) as { eventId: string });
    expect(topicStates.map((r) => r.eventId).sort()).toEqual(want.map((r) => r.event_id).sort());
    // the last committed balance per pool (a pool's records share one partition: keyed by pool id), as_of included
    const last = new Map<string, PoolBalance>();
    for (const r of recs.filter((x) => x.headers[KIND_HEADER]?.toString() === KIND_POOL_BALANCE)) {
      const b = decodeBillingState(KIND_POOL_BALANCE, r.value!)!.row as PoolBalance;
      const k = `${b.owner}|${b.poolId}|${b.period}`;
      const prev = last.get(k);
      if (!prev || b.version >= prev.version) last.set(k, b);
    }
    const fromTopic = [...last.values()].map((b) => ({ owner: b.owner, pool_id: b.poolId, period: b.period, used: String(b.used), as_of: String(b.asOf) }))
      .sort((a, b) => (a.owner + a.pool_id + a.period < b.owner + b.pool_id + b.period ? -1 : 1));
    const stored = await queryDb(db, 'SELECT owner, pool_id, period, toString(used) AS used, toString(toUnixTimestamp64Milli(as_of)) AS as_of FROM pool_balances FINAL ORDER BY owner, pool_id, period');
    expect(stored).toEqual(fromTopic);
  });

  it('a service_states / pool_balances insert repeated with its dedup token is stored once (migration 006)', async () => {
    const dbDir = mkdtempSync(join(tmpdir(), 'rs-billstate-dedup-'));
    const store = await openStore({ dbDir });
    try {
      await migrate(store);
      const nodes = loadCatalogFile(join(ROOT, 'rules/rating/scenarios/hardware-node.catalog.yaml'));
      const rows = new Rater(nodes).applyServiceEvents(serviceEvents().slice(0, 6)).stateLog.map((r) => stateRowToStore(r, nodes.version));
      const pool: PoolBalance = { period: '2026-10', periodStart: Date.parse('2026-09-30T22:00:00Z'), periodEnd: Date.parse('2026-10-31T23:00:00Z'), owner: 'ACME',
        poolId: 'sms-pool|ACME', sharePlan: 'sms-pool', bucketClass: 'sms', unit: 'event', size: 420n, used: 7n, overage: 0n, participants: 0, asOf: Date.parse('2026-10-01T10:00:00Z'), version: 7n };
      for (let i = 0; i < 2; i++) {
        await writeStateChanges(store, rows, 'sink:t.billing-state:0:0-9:states');
        await writePoolBalances(store, [pool], 'sink:t.billing-state:0:0-9:pools');
      }
      await writePoolBalances(store, [{ ...pool, used: 9n, version: 9n }], 'sink:t.billing-state:0:10-12:pools'); // the next batch: stored
      const [n] = await queryRows<{ s: string; p: string }>(store, 'SELECT (SELECT count() FROM ratestream.service_states) AS s, (SELECT count() FROM ratestream.pool_balances) AS p');
      expect({ s: Number(n!.s), p: Number(n!.p) }).toEqual({ s: rows.length, p: 2 });
    } finally {
      await store.close();
      rmSync(dbDir, { recursive: true, force: true });
    }
  });
});
