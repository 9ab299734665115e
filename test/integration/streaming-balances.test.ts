/**
 * Money balances in serve (catalog `balances`, step balance-debit): one `serve` child process (all roles, 3
 * partitions) rates demo carrier CDRs on the demo catalog with a prepaid balance per account (ACME and ACME-FLEET
 * sharing theirs lowest-first, GLOBEX postpaid with a credit limit); half way it is killed with SIGKILL and started
 * again. Asserted:
 *  - every charge's balance debit (lineage `balance`: status, each balance before → after, uncovered) equals what the
 *    embedded run (`ratestream run`, own chDB dir) computed for the same input — the balances were restored from the
 *    rating-state changelog, never debited twice for a replayed batch nor lost for an aborted one;
 *  - the balances in the changelog are the embedded core's final balances; some ran out (exhausted charges exist);
 *  - GET /authorize on the restarted process answers what authorize() answers from that changelog state, and
 *    `ratestream authorize --from-store` what it answers from the embedded run's stored state;
 *  - `balance.exhausted` billing events (collected from the charges' lineage) are the same from both stores, with
 *    each balance's uncovered total.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectEvents } from '../../engine/billing/events/collect.ts';
import { parsePeriod } from '../../engine/billing/period.ts';
import { parseMoney } from '../../engine/core/money.ts';
import { authorize } from '../../engine/rating/authorize.ts';
import { loadCatalogFile } from '../../engine/rating/catalog.ts';
import { applyChanges, emptyState } from '../../engine/rating/state.ts';
import { openStore } from '../../engine/store/client.ts';
import { uniqueName } from '../setup/env.ts';
import {
  caughtUp, demoCarrierInput, embeddedRun, freePort, kafkaPort, logTail, produceLines, queryDb, readChangelog, ROOT,
  type ServeProcess, spawnServe, stopServe, waitReady, writeServeConfig,
} from './streaming-helpers.ts';

const BALANCES = `
balances:
  accounts:
    - { account: ACME, initial: "4.00", thresholds: ["50%"] }
    - { account: ACME-FLEET, initial: "1.50", thresholds: [] }
    - { account: GLOBEX, initial: "1.00", credit-limit: "2.00", allow-negative: true }
    - { account: INITECH, initial: "0.75" }
    - { account: UMBRELLA, initial: "3.00", top-ups: [{ id: october-2, amount: "2.00", effective: "2026-10-02T00:00:00+02:00" }] }
  groups:
    - { id: acme, strategy: lowest-first, members: [ACME, ACME-FLEET] }
`;

describe('streaming: money balances restored from the changelog across a kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-balances-'));
  const name = uniqueName('sbal');
  const prefix = `${name}.`;
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    if (serve) await stopServe(serve, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('balance debits equal the embedded run; the changelog holds the final balances; /authorize reads them', async () => {
    // the demo catalog with balances, and a pipeline of the demo carrier feed rated by it
    const catalogFile = join(dir, 'catalog.yaml');
    writeFileSync(catalogFile, `${readFileSync(join(ROOT, 'rules/demo/catalog.yaml'), 'utf8')}${BALANCES}`);
    const pipeline = join(dir, 'pipeline.yaml');
    writeFileSync(pipeline, `kind: pipeline\nname: demo-carrier-balances\nfeed: carrier-cdr\nmediation: ${join(ROOT, 'rules/demo/carrier-cdr.mediation.yaml')}\ncatalog: ${catalogFile}\n`);
    const catalog = loadCatalogFile(catalogFile);
    const { lines } = demoCarrierInput(join(dir, 'in'), 2, 1200);
    const embedded = embeddedRun(pipeline, join(dir, 'in', 'carrier'), join(dir, 'emb'));

    const cfg = writeServeConfig(join(dir, 'serve.yaml'), {
      name, prefix, pipelines: [pipeline], partitions: 3, dataDir: join(dir, 'db'),
      extra: ['sink: { batch-rows: 200, linger-ms: 50 }', 'rate: { max-bytes-per-partition: 16384, with-mediation: false }', 'mediate: { max-bytes-per-partition: 16384 }'],
    });
    const log = join(dir, 'serve.log');
    let port = freePort();
    serve = await spawnServe(cfg, { port, log });
    await waitReady(port);
    const kafka = kafkaPort();
    const half = Math.floor(lines.length / 2);
    await produceLines(kafka, `${prefix}raw.carrier-cdr`, lines.slice(0, half));
    try {
      // some balances debited (committed to the changelog), then kill -9 while batches are in flight
      await expect.poll(async () => [...(await readChangelog(kafka, `${prefix}rating-state`, 3)).keys()].some((k) => k.includes('|balances/')), { timeout: 120_000, interval: 200 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log)}`);
    }
    await stopServe(serve, 'SIGKILL');
    port = freePort();
    serve = await spawnServe(cfg, { port, log });
    await waitReady(port);
    await produceLines(kafka, `${prefix}raw.carrier-cdr`, lines.slice(half));
    try {
      await expect.poll(() => caughtUp(kafka, name, prefix, ['carrier-cdr']), { timeout: 180_000, interval: 500 }).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(log)}`);
    }

    // the state as the changelog holds it (what a new owner restores), per account's partition
    const changelog = await readChangelog(kafka, `${prefix}rating-state`, 3);
    const state = emptyState();
    const balances: Record<string, unknown> = {};
    for (const [k, v] of changelog) {
      const i = k.indexOf('|');
      if (i < 0 || k.slice(0, i) !== catalog.name) continue;
      applyChanges(state, [{ key: k.slice(i + 1), value: v === null ? null : JSON.parse(v) }]);
      if (k.includes('|balances/')) balances[k.slice(k.indexOf('/') + 1)] = v === null ? null : JSON.parse(v);
    }
    // authorize on the live process = authorize on the changelog state
    for (const account of ['ACME-FLEET', 'GLOBEX', 'UMBRELLA', 'HOOLI']) {
      const q = `account=${account}&destination=%2B31201234567&start=2026-10-03T10:00:00%2B02:00&usageClass=voice`;
      const r = await fetch(`http://127.0.0.1:${port}/authorize?${q}`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as { classes: unknown; balances: unknown; state: { found: boolean } };
      const want = authorize(catalog, state, { account, destination: '+31201234567', start: Date.parse('2026-10-03T10:00:00+02:00'), usageClass: 'voice' });
      expect({ classes: body.classes, balances: body.balances }).toEqual({ classes: want.classes, balances: want.balances });
      if (account !== 'HOOLI') expect(body.state.found).toBe(true);
    }
    expect(await stopServe(serve)).toBe(0);
    serve = undefined;
    await embedded;

    // every charge's balance debit as the embedded run computed it
    const sql = `SELECT charge_id, account, toString(amount) AS amount, JSONExtractRaw(lineage, 'balance') AS balance FROM charges FINAL ORDER BY charge_id`;
    const streamed = await queryDb<{ charge_id: string; balance: string }>(join(dir, 'db'), sql);
    const emb = await queryDb<{ charge_id: string; balance: string }>(join(dir, 'emb'), sql);
    const status = (rows: { balance: string }[], s: string) => rows.filter((r) => r.balance.includes(`"status":"${s}"`)).length;
    process.stderr.write(`[balances] ${streamed.length} charges: ${status(streamed, 'covered')} covered, ${status(streamed, 'exhausted')} exhausted; balances ${JSON.stringify(balances)}\n`);
    expect(streamed.length).toBeGreaterThan(1000);
    expect(status(emb, 'exhausted')).toBeGreaterThan(0);
    expect(status(emb, 'covered')).toBeGreaterThan(0);
    expect(streamed).toEqual(emb);
    // the embedded run's final balances (its stored rating state) are the changelog's
    const [st] = await queryDb<{ rating_state: string }>(join(dir, 'emb'), "SELECT rating_state FROM ingest_files FINAL WHERE rating_state != '' ORDER BY finished_at DESC LIMIT 1");
    expect(JSON.parse(st!.rating_state).balances).toEqual(balances);
    // `ratestream authorize --from-store` reads that state from the embedded run's store
    const cli = spawnSync(process.execPath, [join(ROOT, 'engine/cli/bin.mjs'), 'authorize', '-c', catalogFile, '--from-store', '--db', join(dir, 'emb'),
      '--account', 'UMBRELLA', '--destination', '+31201234567', '--start', '2026-10-03T10:00:00+02:00', '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CLICKHOUSE_URL: '' } });
    expect(cli.stderr).toBe('');
    const fromStore = JSON.parse(cli.stdout) as { balances: unknown; classes: unknown };
    const want = authorize(catalog, st!.rating_state, { account: 'UMBRELLA', destination: '+31201234567', start: Date.parse('2026-10-03T10:00:00+02:00') });
    expect(fromStore).toEqual(JSON.parse(JSON.stringify(want)));

    // billing events: one balance.exhausted per balance that left charges uncovered, the same from both stores
    const exhausted = async (db: string) => {
      const store = await openStore({ dbDir: join(db, 'clickhouse'), create: false });
      try {
        const evs = await collectEvents(store, { period: parsePeriod('2026-10', 'Europe/Amsterdam'), thresholds: [80, 100], expiringWithinDays: 30 });
        return evs.filter((e) => e.type === 'balance.exhausted').map((e) => ({ id: e.id, account: e.account, at: e.occurredAt, data: e.data }));
      } finally {
        await store.close();
      }
    };
    const fromEmbedded = await exhausted(join(dir, 'emb'));
    const uncoveredByBalance = new Map<string, bigint>();
    for (const r of emb.filter((x) => x.balance.includes('"status":"exhausted"'))) {
      const b = JSON.parse(r.balance) as { debits: { balance: string }[]; uncovered: string };
      const k = b.debits.at(-1)!.balance;
      uncoveredByBalance.set(k, (uncoveredByBalance.get(k) ?? 0n) + parseMoney(b.uncovered));
    }
    expect(fromEmbedded.map((e) => [e.data.balance, parseMoney(String(e.data.uncovered))]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1))).toEqual([...uncoveredByBalance].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    expect(await exhausted(join(dir, 'db'))).toEqual(fromEmbedded);
  });
});
