/**
 * Helpers for the streaming integration and reliability tests: serve configs, `serve` child processes
 * (`node engine/cli/bin.mjs serve ...`), demo input keyed by rating key, the embedded `run` on the same input, and
 * store queries through the CLI (each chDB data dir belongs to one process at a time).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { generateDemoFeeds } from '../../engine/demo/generate.ts';
import { Mediator } from '../../engine/mediation/mediator.ts';
import { loadPipeline } from '../../engine/pipeline/load.ts';
import { Rater } from '../../engine/rating/rater.ts';
import { loadCatalogFile, rootOf } from '../../engine/rating/catalog.ts';
import { createKafkajsPort } from '../../engine/runtime/kafka/kafkajs-adapter.ts';
import type { ConsumedMessage, KafkaPort, KafkaTransaction, ProducerRecord, TransactionalProducer } from '../../engine/runtime/kafka/port.ts';
import { readUntilBarriers, barrierRecord } from '../../engine/runtime/streaming/kafka-util.ts';
import { metricSum, scrapeMetrics } from '../../engine/telemetry/prom-text.ts';
import { kafkaBrokers, schemaRegistryUrl } from '../setup/env.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'engine', 'cli', 'bin.mjs');
const run = promisify(execFile);

export function kafkaPort(): KafkaPort {
  return createKafkajsPort({ brokers: kafkaBrokers(), clientId: 'streaming-test' }, { logger: pino({ level: 'error' }) });
}

export interface ServeConfigOptions {
  name: string;
  prefix: string;
  pipelines: string[];
  partitions: number;
  dataDir?: string;
  extra?: string[];
}

export function writeServeConfig(file: string, o: ServeConfigOptions): string {
  writeFileSync(file, [
    'kind: serve',
    `name: ${o.name}`,
    'pipelines:',
    ...o.pipelines.map((p) => `  - ${resolve(ROOT, p)}`),
    `topics: { prefix: "${o.prefix}", partitions: ${o.partitions} }`,
    `clickhouse: { data-dir: ${o.dataDir ?? 'data'} }`,
    'http: { host: 127.0.0.1, port: 0 }',
    ...(o.extra ?? []),
  ].join('\n'));
  return file;
}

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  log: string;
  exited: Promise<number | null>;
}

/** Spawns `serve` and resolves once its HTTP server listens (readiness is separate: see waitReady). */
export async function spawnServe(config: string, opts: { roles?: string; port: number; log: string; env?: Record<string, string> }): Promise<ServeProcess> {
  const args = [BIN, 'serve', '--config', config, '--http-port', String(opts.port), ...(opts.roles ? ['--roles', opts.roles] : [])];
  const out = createWriteStream(opts.log, { flags: 'a' });
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), SCHEMA_REGISTRY_URL: schemaRegistryUrl(), LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      // the log's tail in the error: a report that shows only the failure (CI's excerpt) still says why
      await sleep(300); // its last output still flowing through the pipe into the log
      throw new Error(`serve exited with ${child.exitCode ?? child.signalCode}; see ${opts.log}; its last lines:\n${logTail(opts.log, 15)}`);
    }
    try {
      await fetch(`http://127.0.0.1:${opts.port}/healthz`, { signal: AbortSignal.timeout(5000) });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`serve did not listen on ${opts.port}; see ${opts.log}`);
      await sleep(100);
    }
  }
  return { child, port: opts.port, log: opts.log, exited };
}

export async function readyz(port: number): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

export async function waitReady(port: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await readyz(port))?.status !== 200) {
    if (Date.now() > deadline) throw new Error(`serve on ${port} not ready in ${timeoutMs} ms`);
    await sleep(100);
  }
}

export async function stopServe(p: ServeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill(signal);
  return p.exited;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An HTTP port for a serve child: below Linux's ephemeral range (32768–60999 by default: a port there can be taken
 * by any outgoing connection — a Kafka client's socket — between picking it and serve listening, which failed CI
 * once with EADDRINUSE), in a block of 1000 per vitest worker (workers running in parallel never pick the same one),
 * skipping ports some socket on this machine already uses (/proc/net/tcp*).
 */
const PORT_BLOCK = 20_000 + ((Number(process.env.VITEST_POOL_ID ?? 0) % 12) * 1000);
let nextPort = Math.floor(Math.random() * 1000);
export function freePort(): number {
  const used = usedTcpPorts();
  for (let i = 0; i < 1000; i++) {
    const port = PORT_BLOCK + (nextPort++ % 1000);
    if (!used.has(port)) return port;
  }
  throw new Error(`no free TCP port in ${PORT_BLOCK}–${PORT_BLOCK + 999}`);
}

/** local ports of every TCP socket on this machine (Linux: /proc/net/tcp and tcp6; elsewhere none known) */
function usedTcpPorts(): Set<number> {
  const used = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    // "  sl  local_address rem_address ...": local_address is HEXIP:HEXPORT
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local) used.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return used;
}

/** Demo carrier CDR lines (headers dropped: a gateway sends records) with their Kafka key: the rating key's root. */
export function demoCarrierInput(dir: string, days: number, perDay: number): { files: string[]; lines: { key: string | null; line: string }[] } {
  const { carrierFiles } = generateDemoFeeds(dir, { days, perDay });
  // the lines must be exactly the files' content (what an embedded `run` of the folder reads): one path per day
  if (new Set(carrierFiles).size !== carrierFiles.length) throw new Error(`demo generator wrote ${carrierFiles.length} days into ${new Set(carrierFiles).size} files: the streamed lines would not match the folder`);
  const catalog = loadCatalogFile(join(ROOT, 'rules/demo/pooled.catalog.yaml'));
  const byMsisdn = new Map<string, string>();
  for (const row of readFileSync(join(ROOT, 'rules/demo/msisdn.csv'), 'utf8').trim().split('\n').slice(1)) {
    const [msisdn, account] = row.split(',');
    byMsisdn.set(msisdn!, rootOf(catalog, account!));
  }
  const e164 = (s: string) => (s.startsWith('+') ? s : `+31${s.replace(/\s/g, '').slice(1)}`);
  const lines: { key: string | null; line: string }[] = [];
  for (const f of carrierFiles) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      if (!line) continue;
      const calling = line.split(',')[3] ?? '';
      lines.push({ key: calling ? (byMsisdn.get(e164(calling)) ?? null) : null, line });
    }
  }
  return { files: carrierFiles, lines };
}

/** Produces lines (text, or bytes for binary feeds such as Avro) in order, 5000 per send. */
export async function produceLines(port: KafkaPort, topic: string, lines: readonly { key: string | null; line: string | Buffer }[]): Promise<void> {
  const producer = port.producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < lines.length; i += 5000) {
      const chunk: ProducerRecord[] = lines.slice(i, i + 5000).map((l) => ({ topic, key: l.key, value: typeof l.line === 'string' ? Buffer.from(l.line) : l.line }));
      await producer.send(chunk);
    }
  } finally {
    await producer.disconnect();
  }
}

/** `ratestream query` against a chDB data dir (a separate process: the dir must not be open elsewhere). */
export async function queryDb<T = Record<string, unknown>>(db: string, sql: string): Promise<T[]> {
  const { stdout } = await run(process.execPath, [BIN, 'query', '--db', db, '--format', 'json', sql], { cwd: ROOT, maxBuffer: 256 << 20, env: { ...process.env, CLICKHOUSE_URL: '' } });
  return stdout.trim() ? stdout.trim().split('\n').map((l) => JSON.parse(l) as T) : [];
}

/** The embedded `run` over the same files, in its own data dir. */
export async function embeddedRun(pipeline: string, inputDir: string, db: string): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, 'run', pipeline, '--input', inputDir, '--db', db, '--no-progress'], { cwd: ROOT, maxBuffer: 64 << 20, env: { ...process.env, CLICKHOUSE_URL: '' } });
  return stdout;
}

/** Good demo lines: those the core turns into exactly one charge (the demo feed also holds lines ignored or rejected by design). */
export function cleanDemoLines(dir: string, want: number): { key: string | null; line: string }[] {
  const perDay = Math.min(10_000, Math.ceil(want * 1.25));
  const { lines } = demoCarrierInput(dir, Math.ceil((want * 1.25) / perDay), perDay);
  const p = loadPipeline(join(ROOT, 'pipelines/demo-carrier.yaml'));
  const med = new Mediator(p.mediation);
  const rater = new Rater(p.catalog!);
  const ok = new Set<string>();
  for (let i = 0; i < lines.length; i += 8192) {
    const res = med.mediate(lines.slice(i, i + 8192).map((l, j) => ({ feed: 'carrier-cdr', source: String(i + j), text: l.line })));
    const rated = rater.rate(res.udrs);
    const bad = new Set(rated.rejects.map((r) => r.source));
    for (const u of res.udrs) if (!bad.has(u.source)) ok.add(u.source);
  }
  const good = lines.filter((_, i) => ok.has(String(i))).slice(0, want);
  if (good.length < want) throw new Error(`only ${good.length} clean demo lines, ${want} wanted`);
  return good;
}

/** Peak resident set size of a live process (VmHWM), in MiB; undefined once it is gone. */
export function peakRssMiB(pid: number | undefined): number | undefined {
  try {
    return Math.round(Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+)/m)?.[1]) / 1024);
  } catch {
    return undefined;
  }
}

/** Store summary to compare two runs: counts, totals, a content hash of (charge id, amount), pool debits. */
export const SUMMARY_SQL = {
  charges: `SELECT count() AS final_rows, uniqExact(charge_id) AS ids, uniqExact(udr_id) AS udrs, toString(sum(amount)) AS total,
    toString(groupBitXor(cityHash64(charge_id, toString(amount), quantity))) AS content FROM charges FINAL`,
  rawRows: 'SELECT count() AS raw_rows FROM charges',
  perCurrency: 'SELECT currency, toString(sum(amount)) AS total, count() AS n FROM charges FINAL GROUP BY currency ORDER BY currency',
  pools: `SELECT rate_id, matched, sum(quantity) AS used FROM charges FINAL WHERE rate_id LIKE 'pool:%' GROUP BY rate_id, matched ORDER BY rate_id, matched`,
  poolBalances: 'SELECT owner, pool_id, period, toString(size) AS size, toString(used) AS used, toString(overage) AS overage FROM pool_balances FINAL ORDER BY owner, pool_id, period',
  udrs: 'SELECT count() AS n FROM udrs FINAL',
  perUdr: 'SELECT count() AS bad FROM (SELECT udr_id, countIf(rate_id NOT LIKE \'pool:%\') AS c FROM charges FINAL GROUP BY udr_id HAVING c > 1)',
};

/**
 * Every committed record of a topic up to its current end, in order per partition (read_committed; a barrier is
 * written to every partition first and the read stops at it).
 */
export async function readToEnd(port: KafkaPort, topic: string, partitions: number): Promise<{ partition: number; message: ConsumedMessage }[]> {
  const producer = port.producer({ idempotent: true });
  await producer.connect();
  const barriers = new Map<number, string>();
  const recs: ProducerRecord[] = [];
  for (let p = 0; p < partitions; p++) {
    const b = barrierRecord(topic, p);
    barriers.set(p, b.id);
    recs.push(b.record);
  }
  await producer.send(recs);
  await producer.disconnect();
  const out: { partition: number; message: ConsumedMessage }[] = [];
  await readUntilBarriers(port, topic, barriers, (partition, message) => out.push({ partition, message }), { groupPrefix: 'test', log: pino({ level: 'error' }) });
  return out;
}

/** SUMMARY_SQL.charges over one feed's charges */
export function chargesSummarySql(feed: string): string {
  return SUMMARY_SQL.charges.replace('FROM charges FINAL', `FROM charges FINAL WHERE feed = '${feed.replace(/'/g, "''")}'`);
}

/** Reads a compacted changelog to its current end (a barrier is written to every partition first). */
export async function readChangelog(port: KafkaPort, topic: string, partitions: number): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const { message: m } of await readToEnd(port, topic, partitions)) out.set(m.key?.toString() ?? '', m.value?.toString() ?? null);
  return out;
}

export function logTail(file: string, n = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

export function listDir(dir: string): string[] {
  return readdirSync(dir);
}

/** Parses a process's /metrics into { 'name{labels}': value }; `metric` sums the series matching the labels. */
export const scrape = scrapeMetrics;
export const metric = metricSum;

/** Counts the embedded run stored, to know when the streaming sink has everything. */
export async function expectedCounts(db: string): Promise<{ charges: number; udrs: number; rejects: number }> {
  const [c] = await queryDb<{ c: number; u: number; r: number }>(db, 'SELECT (SELECT count() FROM charges FINAL) AS c, (SELECT count() FROM udrs FINAL) AS u, (SELECT count() FROM rejects FINAL) AS r');
  return { charges: Number(c!.c), udrs: Number(c!.u), rejects: Number(c!.r) };
}

/**
 * True when every group of `name` has committed everything its inputs hold and nothing moves any more: raw topics
 * exactly (plain producers); transactional topics up to their trailing control markers (commit/abort markers take
 * offsets after the last record, a few per partition), with end and committed offsets unchanged over `settleMs`.
 * `roles`: the roles the serve runs (a serve without `sink` has no sink group to wait for); `rateStore`: where the rate
 * roles store (`direct`: the sink group reads only the mediation DLQs; `topics`: also udr, rated, billing-state, dlq.rating).
 */
export async function caughtUp(port: KafkaPort, name: string, prefix: string, feeds: string[], settleMs = 1500,
  roles: readonly ('mediate' | 'rate' | 'sink')[] = ['mediate', 'rate', 'sink'], rateStore: 'direct' | 'topics' = 'direct', withMediation = false): Promise<boolean> {
  const admin = port.admin();
  await admin.connect();
  try {
    const all: [string, string, boolean][] = [
      ...feeds.map((f) => [`${name}.mediate`, `${prefix}raw.${f}`, false] as [string, string, boolean]),
      [`${name}.mediate`, `${prefix}service-events-in`, false],
      // rate.with-mediation: the fused stage commits the udr offsets in the mediate group
      [withMediation ? `${name}.mediate` : `${name}.rate`, `${prefix}udr`, true],
      // rate.store direct (auto, sink and rate in one process): the sink reads the mediation DLQs only
      ...[...(rateStore === 'topics' ? ['udr', 'rated', 'billing-state', 'dlq.rating'] : []), ...feeds.map((f) => `dlq.${f}`), 'dlq.mediation']
        .map((t) => [`${name}.sink`, `${prefix}${t}`, true] as [string, string, boolean]),
    ];
    const pairs = all.filter(([group]) => roles.some((r) => group === `${name}.${r}`));
    const snapshot = async () => {
      let ok = true;
      const parts: string[] = [];
      for (const [group, topic, transactional] of pairs) {
        const end = await admin.endOffsets(topic);
        const committed = new Map((await admin.committedOffsets(group, topic)).map((o) => [o.partition, BigInt(o.offset)]));
        for (const e of end) {
          const c = committed.get(e.partition) ?? -1n;
          const eo = BigInt(e.offset);
          parts.push(`${group}/${topic}/${e.partition}:${eo}:${c}`);
          if (eo === 0n) continue;
          if (transactional ? c < 0n || eo - c > 8n : c < eo) ok = false;
        }
      }
      return { ok, key: parts.join(' ') };
    };
    const a = await snapshot();
    if (!a.ok) return false;
    await sleep(settleMs);
    const b = await snapshot();
    return b.ok && a.key === b.key;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every record of a topic as a read_committed reader sees it (aborted transactions left out): reads from the beginning
 * until something came and nothing more arrives for `settleMs`.
 */
export async function readCommitted(port: KafkaPort, topic: string, opts: { want?: number; settleMs?: number; timeoutMs?: number } = {}): Promise<ConsumedMessage[]> {
  const { want = 1, settleMs = 2000, timeoutMs = 60_000 } = opts;
  const got: ConsumedMessage[] = [];
  const c = port.consumer({ groupId: `test.read.${randomUUID()}`, fromBeginning: true, isolation: 'read_committed', maxWaitTimeMs: 100 });
  await c.connect();
  try {
    await c.subscribe([topic]);
    await c.run(async (b) => { got.push(...b.messages); });
    const deadline = Date.now() + timeoutMs;
    while (got.length < want && Date.now() < deadline) await sleep(100);
    for (let n = -1; n !== got.length && Date.now() < deadline;) {
      n = got.length;
      await sleep(settleMs);
    }
  } finally {
    await c.disconnect();
  }
  return got;
}

/**
 * Final pool balances of one uninterrupted in-memory run of the core (mediate + rate) over the lines in order. With
 * `exhaustedAt`, it also records for each pool the number of lines read when its usage first reached its size
 * (checked every 1,000 lines).
 */
export async function coreRunPools(pipelineFile: string, lines: readonly { line: string }[], exhaustedAt?: Map<string, number>): Promise<Record<string, unknown>> {
  const { loadPipeline } = await import('../../engine/pipeline/load.ts');
  const { Mediator } = await import('../../engine/mediation/mediator.ts');
  const { Rater } = await import('../../engine/rating/rater.ts');
  const p = loadPipeline(resolve(ROOT, pipelineFile));
  const med = new Mediator(p.mediation);
  const rater = new Rater(p.catalog!);
  const step = exhaustedAt ? 1000 : 8192;
  for (let i = 0; i < lines.length; i += step) {
    const batch = lines.slice(i, i + step).map((l, j) => ({ feed: p.config.feed, source: `core:${i + j}`, text: l.line }));
    rater.rate(med.mediate(batch).udrs);
    if (!exhaustedAt) continue;
    for (const [k, v] of Object.entries(rater.state.pools as Record<string, { used: number; size: number }>)) {
      if (v.used >= v.size && !exhaustedAt.has(k)) exhaustedAt.set(k, Math.min(i + step, lines.length));
    }
  }
  return JSON.parse(JSON.stringify(rater.state.pools)) as Record<string, unknown>;
}

/** The pool balances a rating-state changelog holds for the pooled demo catalog (`demo-pooled|pools/<pool>` keys). */
export async function changelogPools(port: KafkaPort, prefix: string, partitions: number): Promise<Record<string, unknown>> {
  const changelog = await readChangelog(port, `${prefix}rating-state`, partitions);
  const pools: Record<string, unknown> = {};
  for (const [k, v] of changelog) if (k.startsWith('demo-pooled|pools/') && v !== null) pools[k.slice('demo-pooled|pools/'.length)] = JSON.parse(v);
  return pools;
}

/**
 * pipelines/demo-carrier-pooled.yaml with every pool contribution multiplied by `factor`, written into `dir` (same
 * pipeline, feed and catalog names). The demo input drains the stock pools within its first ≈ 10,000 records; a factor
 * of about records / 12,000 makes them run out one after the other over the whole input (pools near exhaustion
 * throughout a run). Returns the pipeline file.
 */
export function scaledPoolsPipeline(dir: string, factor: number): string {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`pool factor must be a positive integer, got ${factor}`);
  const catalog = readFileSync(join(ROOT, 'rules/demo/pooled.catalog.yaml'), 'utf8')
    .replace(/amount: "(\d+)"/g, (_, n: string) => `amount: "${BigInt(n) * BigInt(factor)}"`);
  writeFileSync(join(dir, 'pooled-scaled.catalog.yaml'), catalog);
  const pipeline = readFileSync(join(ROOT, 'pipelines/demo-carrier-pooled.yaml'), 'utf8')
    .replace(/^mediation: .*$/m, `mediation: ${join(ROOT, 'rules/demo/carrier-cdr.mediation.yaml')}`)
    .replace(/^catalog: .*$/m, `catalog: ${join(dir, 'pooled-scaled.catalog.yaml')}`)
    .replace(/^input: .*$/m, `input: ${join(ROOT, 'demo-data/carrier')}`);
  const file = join(dir, 'demo-carrier-pooled-scaled.yaml');
  writeFileSync(file, pipeline);
  return file;
}


/**
 * Fault injection for serve's transactions (StreamServer's `wrapPort`): the first commit of a transaction in which
 * `marks(transactionalId, records)` was true for some send is aborted and reported as failed (`message`); every other
 * transaction goes through. `injected()` counts the failures made.
 */
export function failFirstCommit(marks: (transactionalId: string, records: readonly ProducerRecord[]) => boolean, message: string): { wrapPort: (port: KafkaPort) => KafkaPort; injected: () => number } {
  let injected = 0;
  const wrapPort = (port: KafkaPort): KafkaPort => ({
    ...port,
    transactionalProducer: (opts) => {
      const p = port.transactionalProducer(opts);
      const wrapped: TransactionalProducer = {
        transactionalId: p.transactionalId,
        connect: () => p.connect(),
        disconnect: () => p.disconnect(),
        begin: async () => {
          const tx = await p.begin();
          let marked = false;
          const t: KafkaTransaction = {
            send: async (records: readonly ProducerRecord[]) => {
              if (marks(opts.transactionalId, records)) marked = true;
              return tx.send(records);
            },
            sendOffsets: (g, o) => tx.sendOffsets(g, o),
            commit: async () => {
              if (marked && injected === 0) {
                injected++;
                await tx.abort();
                throw new Error(`injected failure: ${message}`);
              }
              return tx.commit();
            },
            abort: () => tx.abort(),
            isActive: () => tx.isActive(),
          };
          return t;
        },
      };
      return wrapped;
    },
  });
  return { wrapPort, injected: () => injected };
}
