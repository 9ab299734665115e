/**
 * Helpers of the mode-parity suite (mode-parity.test.ts): one input, every run mode, one comparable result.
 *
 * A mode's result for one pipeline (= one feed) is: the UDR ids, the charges as `id=amount` (exact decimal, canonical
 * 10-digit scale), the reject counts by reason (rating rejects as `rating:REASON`) and the mediation's ignored
 * counts by reason. Where each mode's result comes from:
 * - `dry-run`: its JSON lines on stdout ({"udr"}, {"reject"}, {"charge"}) and the `ignored=` part of its summary;
 * - `run`: the store it wrote (udrs, charges, rejects FINAL; ignored from the ledger's ingest_files);
 * - `serve:*`: what an in-process `serve` (roles mediate + rate, real Kafka) committed to `udr`, `rated`,
 *   `dlq.<feed>` and `dlq.rating`, and its `ratestream_records_ignored_total{role="mediate"}` counters.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pino } from 'pino';
import { formatMoney, parseMoney } from '../../engine/core/money.ts';
import type { Reject, Udr } from '../../engine/core/types.ts';
import { encodeWire } from '../../engine/mediation/parsers/avro.ts';
import { loadPipeline } from '../../engine/pipeline/load.ts';
import type { KafkaPort } from '../../engine/runtime/kafka/port.ts';
import { SchemaRegistry } from '../../engine/runtime/kafka/schema-registry.ts';
import { createCodecs } from '../../engine/runtime/streaming/codecs.ts';
import { loadServeConfig } from '../../engine/runtime/streaming/config.ts';
import { StreamServer } from '../../engine/runtime/streaming/serve.ts';
import { streamTopics } from '../../engine/runtime/streaming/topics.ts';
import { queryRows } from '../../engine/store/client.ts';
import { StreamMetrics } from '../../engine/telemetry/metrics.ts';
import { schemaRegistryUrl } from '../setup/env.ts';
import { caughtUp, produceLines, queryDb, readToEnd, ROOT, scrape, sleep, writeServeConfig } from './streaming-helpers.ts';

const BIN = join(ROOT, 'engine', 'cli', 'bin.mjs');

export type Mode = 'dry-run' | 'run' | 'serve:raw-topic' | 'serve:fused' | 'serve:drop-dir' | 'serve:http';

/** How a case's files go over HTTP ingest: the file's text as the body, or (JSON documents) an array of them. */
export type HttpBody = 'text/csv' | 'text/plain' | 'json-array';

export interface ParityCase {
  /** pipeline file, relative to the repository */
  pipeline: string;
  /** folder of input files, relative to the repository (Avro: a folder of *.messages.jsonl specs, see buildAvroInput) */
  input: string;
  /**
   * serve instance group: pipelines of one group share serve processes, so their feeds and their UDR ids must be
   * distinct (the rate role drops an id it has rated, whatever the feed)
   */
  group: 'main' | 'avro-mediation-only';
  /** over HTTP ingest: the body; undefined when the format has no HTTP body (XML, Avro binary) — say why in `noHttp` */
  http?: HttpBody;
  noHttp?: string;
  /** a file-level check fails (trailer): such a file has no equivalent on a record topic — say so in `noRaw` */
  noRaw?: string;
  /** what the fixture was written to produce: dry-run (the mediation reference) is held to the counts, run to `charges` */
  design: { udrs: number; rejects: Record<string, number>; ignored: Record<string, number>; charges: number };
}

export interface ModeResult {
  udrs: string[];
  charges: string[];
  rejects: Record<string, number>;
  ignored: Record<string, number>;
}

export const emptyResult = (): ModeResult => ({ udrs: [], charges: [], rejects: {}, ignored: {} });

export const caseName = (c: ParityCase) => basename(c.pipeline, '.yaml');

export function feedOf(pipeline: string): string {
  return loadPipeline(resolve(ROOT, pipeline)).config.feed;
}

/** the files of an input folder in the order every mode reads them (sorted, not hidden) */
export function inputFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

/** exact decimal, canonical (10-digit scale): "0.075" and "0.0750000000" compare equal; never a float */
export const canonicalAmount = (a: string | number | bigint): string => formatMoney(typeof a === 'bigint' ? a : parseMoney(String(a)));

const rejectKey = (reason: string, stage?: string) => (stage === 'rating' ? `rating:${reason}` : reason);
const bump = (m: Record<string, number>, k: string, n = 1) => { m[k] = (m[k] ?? 0) + n; };

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 << 20, env: { ...process.env, CLICKHOUSE_URL: '', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      res({ code, stdout, stderr });
    });
  });
}

// ------------------------------------------------------------------------------------------------------------------
// Avro input: message specs → a base64-lines file (the Avro feed's file format) with the registry's real schema id

interface AvroSpec { session?: Record<string, unknown>; schemaId?: 'unregistered'; truncated?: true; line?: string }

/** Registers schemas/feeds/iot-session.avsc under `subject` and writes `<spec name>.avro64` files into `out`. */
export async function buildAvroInput(specDir: string, out: string, subject: string): Promise<string> {
  const avro = (await import('avsc')).default;
  const schema = readFileSync(join(ROOT, 'schemas', 'feeds', 'iot-session.avsc'), 'utf8');
  const registry = new SchemaRegistry({ url: schemaRegistryUrl() });
  try {
    const id = await registry.register(`${subject}-value`, schema);
    const type = avro.Type.forSchema(JSON.parse(schema) as Parameters<typeof avro.Type.forSchema>[0]);
    mkdirSync(out, { recursive: true });
    for (const f of inputFiles(specDir)) {
      const lines = readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
        const s = JSON.parse(l) as AvroSpec;
        if (s.line !== undefined) return s.line;
        if (s.truncated) return encodeWire(id, Buffer.from([1, 2, 3])).toString('base64');
        // an id far above anything this registry hands out: "unknown schema id"
        return encodeWire(s.schemaId === 'unregistered' ? id + 1_000_000 : id, type.toBuffer(s.session)).toString('base64');
      });
      writeFileSync(join(out, basename(f).replace(/\.messages\.jsonl$/, '.avro64')), `${lines.join('\n')}\n`);
    }
    return out;
  } finally {
    await registry.close().catch(() => undefined);
  }
}

/**
 * A charge as compared across modes: `id=amount`, plus `@run` for a charging run other than the default one and
 * `/cost` when that run is not billable (the ledger stores the default run as `default`, the other modes leave it out).
 */
export function chargeKey(id: string, amount: string, run?: string, billable?: boolean): string {
  return run && run !== 'default' ? `${id}=${amount}@${run}${billable === false ? '/cost' : ''}` : `${id}=${amount}`;
}

// ------------------------------------------------------------------------------------------------------------------
// dry-run and run

/**
 * `ratestream dry-run -p P -i DIR` → its result (exit 2 = a file check failed: still a result). Charges are read
 * from lines `{"charge": {"id": …, "amount": "<exact decimal>"}}`; an amount written as a JSON number (a float on
 * the way) is counted in `numberAmounts`.
 */
export async function dryRunResult(pipeline: string, input: string): Promise<ModeResult & { exit: number; stderr: string; numberAmounts: number }> {
  const r = await cli(['dry-run', '-p', pipeline, '-i', input]);
  const res = emptyResult();
  let numberAmounts = 0;
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { udr?: Udr; reject?: Reject & { stage?: string }; charge?: { id: string; amount: string | number; run?: string; billable?: boolean } };
    if (o.udr) res.udrs.push(o.udr.id);
    if (o.reject) bump(res.rejects, rejectKey(o.reject.reason, o.reject.stage));
    if (o.charge) {
      if (typeof o.charge.amount === 'number') numberAmounts++;
      res.charges.push(chargeKey(o.charge.id, canonicalAmount(o.charge.amount), o.charge.run, o.charge.billable));
    }
  }
  const m = /ignored=(\d+)(?: \(([^)]*)\))?/.exec(r.stderr);
  if (!m) throw new Error(`dry-run ${pipeline}: no summary on stderr (exit ${r.code}):\n${r.stderr}`);
  for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    bump(res.ignored, k!, Number(v));
  }
  return { ...res, exit: r.code, stderr: r.stderr, numberAmounts };
}

/** `ratestream run P --input DIR --db DB` for each pipeline in turn (one store), then every feed's result from it. */
export async function runResults(db: string, cases: readonly { pipeline: string; input: string }[]): Promise<{ byFeed: Map<string, ModeResult>; log: string }> {
  let log = '';
  for (const c of cases) {
    const r = await cli(['run', c.pipeline, '--input', c.input, '--db', db, '--no-progress']);
    log += `$ ratestream run ${c.pipeline} (exit ${r.code})\n${r.stdout}${r.stderr}\n`;
  }
  const rows = await queryDb<{ k: string; feed: string; id: string; v: string; n: string }>(db, `
    SELECT 'udr' AS k, toString(feed) AS feed, udr_id AS id, '' AS v, toUInt64(1) AS n FROM udrs FINAL
    UNION ALL SELECT 'charge', toString(feed), charge_id, concat(toString(amount), '|', toString(run), '|', if(billable, '1', '0')), toUInt64(1) FROM charges FINAL
    UNION ALL SELECT 'reject', toString(feed), if(stage = 'rating', concat('rating:', toString(reason)), toString(reason)), '', count() FROM rejects FINAL GROUP BY feed, stage, reason
    UNION ALL SELECT 'ignored', toString(feed), r, '', sum(n) FROM (SELECT feed, ignored FROM ingest_files FINAL) ARRAY JOIN mapKeys(ignored) AS r, mapValues(ignored) AS n GROUP BY feed, r`);
  const byFeed = new Map<string, ModeResult>();
  for (const row of rows) {
    let res = byFeed.get(row.feed);
    if (!res) byFeed.set(row.feed, (res = emptyResult()));
    if (row.k === 'udr') res.udrs.push(row.id);
    else if (row.k === 'charge') {
      const [amount, run, billable] = row.v.split('|');
      res.charges.push(chargeKey(row.id, canonicalAmount(amount!), run, billable === '1'));
    }
    else if (row.k === 'reject') bump(res.rejects, row.id, Number(row.n));
    else bump(res.ignored, row.id, Number(row.n));
  }
  return { byFeed, log };
}

// ------------------------------------------------------------------------------------------------------------------
// serve

/**
 * The records a gateway would publish for a file: what the feed's own framer cuts from it (Avro: the wire bytes of
 * each base64 line; a line that is no base64 goes as its bytes). Lines the framer consumes (header, trailer,
 * comments) are no records and are not sent: `framing` counts them, so the raw-topic mode's expected ignored counts
 * leave them out.
 */
export function recordsOf(pipeline: string, files: readonly string[]): { values: (string | Buffer)[]; framing: Record<string, number>; failedChecks: string[] } {
  const p = loadPipeline(resolve(ROOT, pipeline));
  const binary = p.mediation.config.parser.type === 'avro';
  const values: (string | Buffer)[] = [];
  const framing: Record<string, number> = {};
  const failedChecks: string[] = [];
  for (const f of files) {
    const framer = p.mediation.parser.createFramer(basename(f), p.config.feed);
    const body = framer.push(readFileSync(f));
    const end = framer.end();
    if (end.check && !end.check.ok) failedChecks.push(end.check.message);
    for (const out of [body, end]) {
      for (const r of out.records) {
        if (r.binary) values.push(Buffer.from(r.binary));
        else if (binary) values.push(/^[A-Za-z0-9+/=]+$/.test(r.text) ? Buffer.from(r.text, 'base64') : r.text);
        else values.push(r.text);
      }
      for (const [k, n] of out.ignored) bump(framing, k, n);
    }
  }
  return { values, framing, failedChecks };
}

export interface ParityServeOptions {
  dir: string;
  name: string;
  pipelines: readonly string[];
  /**
   * the fused stage (`rate.with-mediation`, by default: auto picks it for roles mediate + rate + sink with the direct
   * store — its own in-process ClickHouse), charges also to the rated topic; UDR ids are read from the store (none goes
   * through the udr topic). Without it: roles mediate + rate, the rate store on the topics, so auto runs them apart
   */
  fused?: boolean;
  /** drop directory per feed (serve watches them) */
  watch?: Map<string, string>;
  /** ingest bearer token (serve takes HTTP ingest) */
  token?: string;
}

/** An in-process `serve` (roles mediate + rate, one partition per topic so pairs and duplicates meet in order). */
export class ParityServe {
  readonly prefix: string;
  readonly topics;
  readonly feeds: string[];
  server!: StreamServer;
  private readonly metrics = new StreamMetrics({ defaultMetrics: false });

  constructor(readonly port: KafkaPort, readonly o: ParityServeOptions) {
    this.prefix = `${o.name}.`;
    this.topics = streamTopics(this.prefix);
    this.feeds = o.pipelines.map(feedOf);
  }

  async start(): Promise<this> {
    const extra = ['mediate: { hot-reload: false }'];
    if (this.o.token) {
      writeFileSync(join(this.o.dir, `${this.o.name}.token`), `${this.o.token}\n`);
      extra.push(`ingest: { token-file: ${this.o.name}.token, max-body-bytes: 4194304, max-records: 100000 }`);
    }
    if (this.o.watch?.size) {
      extra.push('watch:');
      for (const [feed, d] of this.o.watch) extra.push(`  - { dir: ${JSON.stringify(d)}, feed: ${feed}, poll-ms: 100 }`);
    }
    // the fused stage is serve's default (rate.with-mediation: auto) with mediate, rate and sink in one process
    if (this.o.fused) extra.push('rate: { store: direct, rated-topic: true }');
    const file = writeServeConfig(join(this.o.dir, `${this.o.name}.serve.yaml`), {
      name: this.o.name, prefix: this.prefix, pipelines: [...this.o.pipelines], partitions: 1, extra, ...(this.o.fused && { dataDir: join(this.o.dir, `${this.o.name}.db`) }),
    });
    this.server = new StreamServer(loadServeConfig(file), { roles: this.o.fused ? ['mediate', 'rate', 'sink'] : ['mediate', 'rate'], log: pino({ level: 'error' }), metrics: this.metrics });
    await this.server.start();
    if (this.server.fused !== !!this.o.fused) throw new Error(`serve ${this.o.name}: rate.with-mediation auto ran ${this.server.fused ? 'the fused stage' : 'the roles apart'}, not what this mode means`);
    for (const deadline = Date.now() + 90_000; !this.server.ready().ready; await sleep(100)) {
      if (Date.now() > deadline) throw new Error(`serve ${this.o.name} not ready in 90 s: ${JSON.stringify(this.server.ready().detail)}`);
    }
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  get httpPort(): number {
    return Number(new URL(this.server.httpAddress!).port);
  }

  /** the case's records straight onto raw.<feed> (unkeyed, in file order) */
  async produceRaw(feed: string, values: readonly (string | Buffer)[]): Promise<void> {
    await produceLines(this.port, this.topics.raw(feed), values.map((line) => ({ key: null, line })));
  }

  /** POSTs each file (or, for JSON documents, all of them as one array) to /v1/ingest/<feed>; throws unless 202 */
  async postHttp(feed: string, files: readonly string[], body: HttpBody): Promise<void> {
    const bodies = body === 'json-array'
      ? [{ type: 'application/json', text: JSON.stringify(files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown)) }]
      : files.map((f) => ({ type: body, text: readFileSync(f, 'utf8') }));
    for (const b of bodies) {
      const r = await fetch(`${this.server.httpAddress}/v1/ingest/${feed}`, { method: 'POST', body: b.text, headers: { 'content-type': b.type, authorization: `Bearer ${this.o.token}` } });
      if (r.status !== 202) throw new Error(`serve:http POST /v1/ingest/${feed} (${b.type}) → ${r.status} ${await r.text()}`);
    }
  }

  /** drops the files into the feed's watched folder (written as .part, then renamed: complete files only) */
  static drop(dir: string, files: readonly string[]): void {
    for (const f of files) copyFileSync(f, join(dir, `${basename(f)}.part`));
    for (const f of files) renameSync(join(dir, `${basename(f)}.part`), join(dir, basename(f)));
  }

  /** waits until the mediate and rate groups committed everything their inputs hold */
  async settle(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await caughtUp(this.port, this.o.name, this.prefix, this.feeds, 1000, ['mediate', 'rate'], 'direct', this.o.fused))) {
      if (Date.now() > deadline) throw new Error(`serve ${this.o.name}: the mediate/rate groups did not catch up in ${timeoutMs} ms`);
      await sleep(300);
    }
  }

  /**
   * Stops the serve and returns every feed's result: the ignored counters (scraped first), then the committed output
   * topics (read once the roles are gone: the read writes a barrier into each topic, `udr` included, which the rate
   * role would otherwise consume). `dlqWithoutReason` counts DLQ messages whose `reason` header is missing or differs
   * from the reject's reason (the README promises it).
   */
  async finish(): Promise<{ byFeed: Map<string, ModeResult>; dlqWithoutReason: Map<string, number> }> {
    const byFeed = new Map<string, ModeResult>(this.feeds.map((f) => [f, emptyResult()]));
    const of = (feed: string) => {
      let r = byFeed.get(feed);
      if (!r) byFeed.set(feed, (r = emptyResult()));
      return r;
    };
    const metrics = await scrape(this.httpPort);
    for (const [k, v] of metrics) {
      if (!k.startsWith('ratestream_records_ignored_total{') || !k.includes('role="mediate"') || v === 0) continue;
      const feed = /feed="([^"]*)"/.exec(k)?.[1];
      const reason = /reason="([^"]*)"/.exec(k)?.[1];
      if (feed && reason) bump(of(feed).ignored, reason, v);
    }
    // fused: every UDR is in the store (rated in place, or through the udr topic by the same process)
    const stored = this.o.fused ? await queryRows<{ id: string; feed: string }>(this.server.store!, 'SELECT udr_id AS id, feed FROM udrs FINAL') : [];
    for (const u of stored) of(u.feed).udrs.push(u.id);
    await this.stop();
    const registry = new SchemaRegistry({ url: schemaRegistryUrl() });
    const dlqWithoutReason = new Map<string, number>();
    try {
      const codecs = await createCodecs(registry, { udr: this.topics.udr, rated: this.topics.rated });
      const dlqTopics = [...this.feeds.map((f) => this.topics.dlq(f)), this.topics.dlqRating];
      const [udrs, rated, ...dlqs] = await Promise.all([this.topics.udr, this.topics.rated, ...dlqTopics].map((t) => readToEnd(this.port, t, 1)));
      for (const { message } of this.o.fused ? [] : udrs!) {
        if (message.headers['rs-kind'] !== undefined) continue; // service events share the topic
        const u = await codecs.udr.decode(message.value!);
        of(u.feed).udrs.push(u.id);
      }
      for (const { message } of rated!) {
        const c = await codecs.charge.decode(message.value!);
        of(c.feed).charges.push(chargeKey(c.id, canonicalAmount(c.amount), c.run, c.billable));
      }
      for (const [i, msgs] of dlqs.entries()) {
        const stage = dlqTopics[i] === this.topics.dlqRating ? 'rating' : 'mediation';
        for (const { message } of msgs) {
          const r = JSON.parse(message.value!.toString()) as Reject;
          bump(of(r.feed).rejects, rejectKey(r.reason, stage));
          const h = message.headers.reason;
          if ((Array.isArray(h) ? h[0] : h)?.toString() !== r.reason) dlqWithoutReason.set(dlqTopics[i]!, (dlqWithoutReason.get(dlqTopics[i]!) ?? 0) + 1);
        }
      }
    } finally {
      await registry.close().catch(() => undefined);
    }
    return { byFeed, dlqWithoutReason };
  }
}

export const newToken = () => `parity-${randomUUID()}`;

// ------------------------------------------------------------------------------------------------------------------
// comparison

const sorted = (a: readonly string[]) => [...a].sort();
const list = (a: readonly string[], max = 8) => `[${a.slice(0, max).join(', ')}${a.length > max ? `, … ${a.length - max} more` : ''}]`;

function diffIds(what: string, expected: readonly string[], got: readonly string[]): string | undefined {
  const e = sorted(expected);
  const g = sorted(got);
  if (e.join('\n') === g.join('\n')) return undefined;
  const count = (xs: readonly string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const ce = count(e);
  const cg = count(g);
  const missing = [...ce].flatMap(([x, n]) => Array<string>(Math.max(0, n - (cg.get(x) ?? 0))).fill(x));
  const extra = [...cg].flatMap(([x, n]) => Array<string>(Math.max(0, n - (ce.get(x) ?? 0))).fill(x));
  return `${what}: expected ${e.length}, got ${g.length}; missing ${list(missing)}, extra ${list(extra)}`;
}

function diffCounts(what: string, expected: Record<string, number>, got: Record<string, number>): string[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(got)])].sort();
  return keys.filter((k) => (expected[k] ?? 0) !== (got[k] ?? 0)).map((k) => `${what}.${k}: expected ${expected[k] ?? 0}, got ${got[k] ?? 0}`);
}

/** Charges: by id, so an amount that differs reads as one line ("amount expected X, got Y"). */
function diffCharges(expected: readonly string[], got: readonly string[]): string[] {
  const split = (s: string) => [s.slice(0, s.lastIndexOf('=')), s.slice(s.lastIndexOf('=') + 1)] as const;
  const e = new Map(expected.map(split));
  const g = new Map(got.map(split));
  const out: string[] = [];
  const idDiff = diffIds('charges (ids)', [...e.keys()], [...g.keys()]);
  if (idDiff) out.push(idDiff);
  if (expected.length !== e.size || got.length !== g.size) out.push(`charges: duplicate ids (expected ${expected.length} rows / ${e.size} ids, got ${got.length} rows / ${g.size} ids)`);
  for (const [id, amount] of e) if (g.has(id) && g.get(id) !== amount) out.push(`charge ${id} amount: expected ${amount}, got ${g.get(id)}`);
  return out;
}

/** every divergence of `got` from what is expected of it, one line each: `<mode> <counter>: expected …, got …` */
export function divergences(mode: Mode, expected: ModeResult, got: ModeResult, from: { mediation: string; charges: string }): string[] {
  const tag = (s: string, ref: string) => `${mode} ${s} (expected = ${ref})`;
  const out: string[] = [];
  const u = diffIds('udr ids', expected.udrs, got.udrs);
  if (u) out.push(tag(u, from.mediation));
  for (const d of diffCounts('rejects', expected.rejects, got.rejects)) out.push(tag(d, from.mediation));
  for (const d of diffCounts('ignored', expected.ignored, got.ignored)) out.push(tag(d, from.mediation));
  for (const d of diffCharges(expected.charges, got.charges)) out.push(tag(d, from.charges));
  return out;
}

/** the reference minus what a record topic cannot carry (framing-consumed lines, counted by the framer) */
export function withoutFraming(ref: ModeResult, framing: Record<string, number>): ModeResult {
  const ignored = { ...ref.ignored };
  for (const [k, n] of Object.entries(framing)) {
    ignored[k] = (ignored[k] ?? 0) - n;
    if (ignored[k] === 0) delete ignored[k];
  }
  return { ...ref, ignored };
}
