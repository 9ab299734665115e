/**
 * `serve`: the streaming engine as a Kafka consumer-group member. Roles mediate / rate / sink (any subset) plus the
 * ops HTTP server (/healthz /readyz /metrics, /authorize), HTTP ingest and drop-directory watchers. Stop = SIGTERM: ingest stops,
 * each role finishes the batch in hand, commits, leaves its group; the sink writes and commits what it buffered.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { openStore, type StoreClient } from '../../store/client.ts';
import { migrate } from '../../store/migrate.ts';
import { recordRateTerms } from '../../rating/rate-terms.ts';
import { createOpsServer } from '../../telemetry/http.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { StreamMetrics } from '../../telemetry/metrics.ts';
import { createKafkaPort } from '../kafka/client-registry.ts';
import type { KafkaAdmin, KafkaConnectionOptions, KafkaPort, KafkaProducer } from '../kafka/port.ts';
import { SchemaRegistry } from '../kafka/schema-registry.ts';
import { explainKafkaConnectError } from '../kafka/connect-error.ts';
import { registerAuthorize } from './authorize-http.ts';
import { createCodecs } from './codecs.ts';
import { IngestGuard } from './ingest-guard.ts';
import { type LoadedServeConfig, rateStoreMode, redactConfig, resolveSecret, type Role, type ServeConfig } from './config.ts';
import type { RoleContext, StreamRole } from './context.ts';
import { DropDirWatcher } from '../sources/drop-dir.ts';
import { registerIngest } from '../sources/http.ts';
import { FusedRole } from './fused-role.ts';
import { guardLayout } from './layout-guard.ts';
import { guardRateStore } from './store-guard.ts';
import { mediationLayout } from './mediation-layout.ts';
import { MediateRole } from './mediate-role.ts';
import { loadStreamPipelines } from './pipelines.ts';
import { RateRole } from './rate-role.ts';
import { SinkRole } from './sink-role.ts';
import { streamTopics, topicSpecs } from './topics.ts';

export interface ServeOverrides {
  roles?: Role[];
  httpPort?: number;
  /** tests: a store to sink into (e.g. wrapped with faults) instead of opening one from the config */
  store?: StoreClient;
  log?: Logger;
  metrics?: StreamMetrics;
  /** tests: wrap the Kafka port (fault injection) */
  wrapPort?: (port: KafkaPort) => KafkaPort;
  /** tests: override sink options */
  sink?: Partial<ServeConfig['sink']> & { insertTimeoutMs?: number };
}

export function kafkaConnection(c: ServeConfig, baseDir: string): KafkaConnectionOptions {
  const brokers = c.kafka.brokers ?? (process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!brokers.length) throw new Error('no Kafka brokers: set kafka.brokers in the config or KAFKA_BROKERS');
  const o: KafkaConnectionOptions = { brokers, clientId: c.kafka['client-id'] ?? c.name };
  const tls = c.kafka.tls;
  if (tls === true) o.tls = true;
  else if (tls && typeof tls === 'object') {
    o.tls = {
      ...(tls.ca && { ca: readFileSync(resolve(baseDir, tls.ca)) }),
      ...(tls.cert && { cert: readFileSync(resolve(baseDir, tls.cert)) }),
      ...(tls.key && { key: resolveSecret(tls.key, baseDir, 'kafka.tls.key') }),
      ...(tls.passphrase && { passphrase: resolveSecret(tls.passphrase, baseDir, 'kafka.tls.passphrase') }),
      rejectUnauthorized: tls['reject-unauthorized'],
      ...(tls.servername && { servername: tls.servername }),
    };
  }
  if (c.kafka.sasl) {
    o.sasl = {
      mechanism: c.kafka.sasl.mechanism,
      username: resolveSecret(c.kafka.sasl.username, baseDir, 'kafka.sasl.username')!,
      password: resolveSecret(c.kafka.sasl.password, baseDir, 'kafka.sasl.password')!,
    };
  }
  return o;
}

export class StreamServer {
  readonly log: Logger;
  readonly metrics: StreamMetrics;
  readonly roles: StreamRole[] = [];
  port!: KafkaPort;
  admin!: KafkaAdmin;
  http?: FastifyInstance;
  httpAddress?: string;
  store?: StoreClient;
  /** where this process's rate role (or, for a sink, the deployment's rate roles) stores rated rows */
  rateStore: 'direct' | 'topics' = 'topics';
  /** this process runs the fused stage (rate.with-mediation resolved: mediation-layout.ts) */
  fused = false;
  private ownStore = false;
  private registry?: SchemaRegistry;
  private producer?: KafkaProducer;
  private readonly watchers: DropDirWatcher[] = [];
  private started = false;
  private stopping?: Promise<void>;

  constructor(readonly loaded: LoadedServeConfig, private readonly over: ServeOverrides = {}) {
    this.log = over.log ?? createLogger();
    this.metrics = over.metrics ?? new StreamMetrics();
  }

  get config(): ServeConfig {
    return this.loaded.config;
  }

  ready(): { ready: boolean; detail: Record<string, unknown> } {
    const roles = Object.fromEntries(this.roles.map((r) => [r.role, r.ready()]));
    return { ready: this.started && this.roles.every((r) => r.ready()), detail: { roles } };
  }

  async start(): Promise<void> {
    const c = this.config;
    const dir = this.loaded.dir;
    const roles = this.over.roles ?? c.roles;
    this.log.info({ config: redactConfig(c), roles }, 'starting');
    const port0 = await createKafkaPort(kafkaConnection(c, dir), { logger: this.log, ...(c.kafka.client && { client: c.kafka.client }) });
    this.port = this.over.wrapPort ? this.over.wrapPort(port0) : port0;
    this.admin = this.port.admin();
    // the first connection: a wrong password, an untrusted certificate… is said plainly (and ends the start)
    await this.admin.connect().catch((err: unknown) => { throw explainKafkaConnectError(err, kafkaConnection(c, dir)); });
    const topics = streamTopics(c.topics.prefix);
    const url = c.registry.url ?? process.env.SCHEMA_REGISTRY_URL;
    if (!url) throw new Error('no schema registry: set registry.url in the config or SCHEMA_REGISTRY_URL');
    const user = resolveSecret(c.registry.username, dir, 'registry.username');
    const pass = resolveSecret(c.registry.password, dir, 'registry.password');
    this.registry = new SchemaRegistry({ url, ...(user && pass && { basicAuth: { username: user, password: pass } }) });
    const pipelines = await loadStreamPipelines(c.pipelines, dir, this.registry);
    const feeds = [...pipelines.byFeed.keys()];
    const ensured = await this.admin.ensureTopics(topicSpecs(topics, feeds, c.topics.partitions, c.topics['replication-factor']));
    if (ensured.created.length) this.log.info({ created: ensured.created }, 'topics created');
    const codecs = await createCodecs(this.registry, topics);
    const ctx: RoleContext = { port: this.port, admin: this.admin, topics, pipelines, codecs, metrics: this.metrics, log: this.log, name: c.name, config: c };

    // ops + ingest HTTP (readyz answers 503 until the roles are assigned and restored)
    const ingest = c.ingest?.enabled ? c.ingest : undefined;
    this.http = createOpsServer({ metrics: this.metrics, ready: () => this.ready(), bodyLimit: ingest?.['max-body-bytes'] });
    if (ingest || c.watch.length) {
      this.producer = this.port.producer({ idempotent: true });
      await this.producer.connect();
    }
    if (ingest) {
      const guard = new IngestGuard({ maxInFlightBytes: ingest['max-in-flight-bytes'], rawTopic: (feed) => (pipelines.byFeed.has(feed) ? topics.raw(feed) : undefined), metrics: this.metrics, log: this.log });
      const token = resolveSecret(ingest.token, dir, 'ingest.token');
      if (!token) throw new Error('ingest is enabled but ingest.token is not set (use { env: NAME } or { file: PATH })');
      registerIngest(this.http, {
        token, maxBodyBytes: ingest['max-body-bytes'], maxRecords: ingest['max-records'], producer: guard.wrap(this.producer!), metrics: this.metrics,
        rawTopic: (feed) => (pipelines.byFeed.has(feed) ? topics.raw(feed) : undefined), serviceEventsTopic: topics.serviceEventsIn,
        parserOf: (feed) => {
          const p = pipelines.byFeed.get(feed);
          return p && { parser: p.mediation.parser, pairing: !!p.mediation.pairing };
        },
      });
      guard.register(this.http);
    }
    // authorize (balances, pools, max cost) from the rate role's live state
    registerAuthorize(this.http, {
      token: ingest ? resolveSecret(ingest.token, dir, 'ingest.token') : undefined,
      stateFor: (account, catalog) => this.roles.find((r): r is RateRole | FusedRole => r instanceof RateRole || r instanceof FusedRole)?.stateFor(account, catalog),
    });
    const port = this.over.httpPort ?? c.http.port;
    this.httpAddress = await this.http.listen({ host: c.http.host, port });
    this.log.info({ address: this.httpAddress }, 'http listening');

    const chUrl = resolveSecret(c.clickhouse.url, dir, 'clickhouse.url');
    this.rateStore = rateStoreMode(c.rate.store, roles, !!(chUrl ?? process.env.CLICKHOUSE_URL));
    if (c.rate.store === 'auto' && this.rateStore === 'topics' && roles.includes('rate')) {
      // the one mixed deployment auto can make by itself: this rate role beside a rate+sink process that stores directly
      this.log.warn({ roles }, 'rate.store auto resolved to topics here (the rate role without the sink, no ClickHouse server): '
        + 'the charges this process rates go to the rated topic, so the deployment\'s sink must run with rate.store: topics too. '
        + 'If a process with the rate role and the sink (in-process engine) runs beside this one, run this one with --roles mediate instead, '
        + 'or set rate.store: topics in every process');
    }
    const s = { ...c.sink, ...this.over.sink };
    const insertTimeoutMs = this.over.sink?.insertTimeoutMs ?? c.clickhouse['insert-timeout-ms'];
    if (roles.includes('sink') || (roles.includes('rate') && this.rateStore === 'direct')) {
      if (this.over.store) this.store = this.over.store;
      else {
        this.store = await openStore({ url: chUrl, dbDir: join(resolve(dir, c.clickhouse['data-dir']), 'clickhouse') });
        this.ownStore = true;
      }
      await migrate(this.store);
      // the terms of the catalogs' rates, once per version: what the charges' compact lineage leaves out
      for (const catalog of pipelines.catalogs.values()) await recordRateTerms(this.store, catalog);
    }
    if (roles.includes('sink')) {
      this.roles.push(new SinkRole(ctx, this.store!, {
        insertTimeoutMs, batchRows: s['batch-rows'], lingerMs: s['linger-ms'], maxBufferedRows: s['max-buffered-rows'], retryMaxMs: s['retry-max-ms'],
        direct: this.rateStore === 'direct',
      }));
    }
    const direct = this.rateStore === 'direct' ? { store: this.store!, insertTimeoutMs, retryMaxMs: s['retry-max-ms'], ratedTopic: c.rate['rated-topic'] } : undefined;
    const layout = await mediationLayout({
      setting: c.rate['with-mediation'], roles, rateStore: this.rateStore,
      partitions: async () => ({
        raw: await Promise.all(feeds.map(async (f) => ({ topic: topics.raw(f), partitions: (await this.admin.endOffsets(topics.raw(f))).length }))),
        udr: { topic: topics.udr, partitions: (await this.admin.endOffsets(topics.udr)).length },
      }),
      rateGroup: async () => ({ group: `${c.name}.rate`, members: (await this.admin.describeGroup(`${c.name}.rate`)).members }),
    });
    this.fused = layout.fused;
    if (roles.includes('mediate') || roles.includes('rate')) this.log.info({ fused: layout.fused, roles }, layout.why);
    // one layout per deployment: a fused stage beside a rate role apart would rate the udr topic's UDRs twice
    await guardLayout({ admin: this.admin, name: c.name, fused: layout.fused, roles, sessionTimeoutMs: c.kafka['session-timeout-ms'], log: this.log });
    // one rate.store per deployment: a topics-mode rate role beside a direct-storing sink would rate charges no sink stores
    await guardRateStore({ admin: this.admin, name: c.name, rated: topics.rated, roles, rateStore: this.rateStore, sessionTimeoutMs: c.kafka['session-timeout-ms'], log: this.log });
    if (layout.fused) this.roles.push(new FusedRole(ctx, direct));
    else {
      if (roles.includes('rate')) this.roles.push(new RateRole(ctx, direct));
      if (roles.includes('mediate')) this.roles.push(new MediateRole(ctx));
    }
    // downstream first: the sink is there before the rate role produces, rating before mediation
    for (const r of this.roles) await r.start();
    for (const w of c.watch) {
      const p = pipelines.byFeed.get(w.feed);
      if (!p) throw new Error(`watch: feed ${w.feed} is not one of the pipelines' feeds (${feeds.join(', ')})`);
      const watcher = new DropDirWatcher({ dir: resolve(dir, w.dir), feed: w.feed, topic: topics.raw(w.feed), parser: p.mediation.parser, pairing: !!p.mediation.pairing, pollMs: w['poll-ms'], batchRecords: w['batch-records'], producer: this.producer!, metrics: this.metrics, log: this.log });
      watcher.start();
      this.watchers.push(watcher);
    }
    this.started = true;
    this.log.info({ roles: this.roles.map((r) => r.role), rateStore: this.rateStore, fused: this.fused }, 'serving');
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.log.info('stopping: finishing the batches in hand');
    this.started = false;
    await this.http?.close().catch(() => undefined);
    for (const w of this.watchers) await w.stop();
    await this.producer?.disconnect().catch(() => undefined);
    // upstream first, so the sink can write what the others committed
    for (const r of [...this.roles].reverse()) {
      try {
        await r.stop();
      } catch (err) {
        this.log.error({ err, role: r.role }, 'stopping a role failed');
      }
    }
    if (this.ownStore) await this.store?.close();
    await this.admin?.disconnect().catch(() => undefined);
    await this.registry?.close().catch(() => undefined);
    this.log.info('stopped');
  }
}
