/**
 * `ratestream serve --config FILE`: the streaming deployment (kind: serve). Secrets (SASL password, registry
 * password, ingest token, TLS key) are given as `{ env: NAME }` or `{ file: PATH }` (or, discouraged, inline) and are
 * resolved once at start; they are never logged (see redactConfig).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { loadYaml } from '../../config/yaml-loader.ts';
import { KAFKA_CLIENT_NAMES } from '../kafka/client-registry.ts';
import { dropDirOptions } from '../sources/drop-dir.ts';

export const ROLES = ['mediate', 'rate', 'sink'] as const;
export const RATE_STORES = ['auto', 'direct', 'topics'] as const;
export type Role = (typeof ROLES)[number];

const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A secret: `{ env: NAME }`, `{ file: PATH }` (trailing newline dropped) or inline text. */
const secret = z.union([
  z.string(),
  z.object({ env: z.string() }).strict(),
  z.object({ file: z.string() }).strict(),
]);
export type SecretRef = z.output<typeof secret>;

/**
 * A secret field `<name>` may also be given as `<name>-env: VAR` or `<name>-file: PATH` (at most one of the three).
 * `secretShape('password')` adds the three keys to an object schema; `takeSecret(o, 'password')` folds them into one
 * SecretRef after validation.
 */
function secretShape<N extends string>(name: N, describe: string) {
  return {
    [name]: secret.optional().describe(`${describe}: inline (discouraged), { env: NAME } or { file: PATH }`),
    [`${name}-env`]: z.string().optional().describe(`${describe}: from this environment variable`),
    [`${name}-file`]: z.string().optional().describe(`${describe}: from this file (relative to the config; trailing newline dropped)`),
  } as unknown as Record<N, z.ZodOptional<typeof secret>> & Record<`${N}-env` | `${N}-file`, z.ZodOptional<z.ZodString>>;
}

function takeSecret(o: Record<string, unknown>, name: string): SecretRef | undefined {
  const inline = o[name] as SecretRef | undefined;
  const env = o[`${name}-env`] as string | undefined;
  const file = o[`${name}-file`] as string | undefined;
  return inline ?? (env !== undefined ? { env } : file !== undefined ? { file } : undefined);
}

function atMostOne(...names: string[]) {
  return (o: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const name of names) {
      const given = [name, `${name}-env`, `${name}-file`].filter((k) => o[k] !== undefined);
      if (given.length > 1) ctx.addIssue({ code: 'custom', path: [given[1]!], message: `give only one of ${given.join(', ')}` });
    }
  };
}

const tlsObject = z
  .object({
    ca: z.string().optional().describe('CA bundle, PEM file (relative to this file); default: the system CAs'),
    'ca-file': z.string().optional().describe('same as ca'),
    cert: z.string().optional().describe('client certificate, PEM file (mutual TLS)'),
    'cert-file': z.string().optional().describe('same as cert'),
    ...secretShape('key', 'client private key (PEM)'),
    ...secretShape('passphrase', 'passphrase of the private key'),
    'reject-unauthorized': bool.default(true),
    servername: z.string().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    atMostOne('key', 'passphrase')(o, ctx);
    if (o.ca && o['ca-file']) ctx.addIssue({ code: 'custom', path: ['ca-file'], message: 'give only one of ca, ca-file' });
    if (o.cert && o['cert-file']) ctx.addIssue({ code: 'custom', path: ['cert-file'], message: 'give only one of cert, cert-file' });
  })
  .transform((o) => ({
    ca: o.ca ?? o['ca-file'],
    cert: o.cert ?? o['cert-file'],
    key: takeSecret(o, 'key'),
    passphrase: takeSecret(o, 'passphrase'),
    'reject-unauthorized': o['reject-unauthorized'],
    servername: o.servername,
  }));

const saslObject = z
  .object({
    mechanism: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']),
    ...secretShape('username', 'SASL user name'),
    ...secretShape('password', 'SASL password'),
  })
  .strict()
  .superRefine((o, ctx) => {
    atMostOne('username', 'password')(o, ctx);
    for (const n of ['username', 'password']) {
      if (takeSecret(o, n) === undefined) ctx.addIssue({ code: 'custom', path: [n], message: `sasl needs ${n} (or ${n}-env / ${n}-file)` });
    }
  })
  .transform((o) => ({ mechanism: o.mechanism, username: takeSecret(o, 'username')!, password: takeSecret(o, 'password')! }));

export const serveSchema = z
  .object({
    kind: z.literal('serve'),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).default('ratestream').describe('consumer-group and transactional-id prefix'),
    pipelines: z.array(z.string()).min(1).describe('pipeline files (relative to this file): raw.<feed> topics are consumed for these feeds'),
    roles: z.array(z.enum(ROLES)).min(1).default([...ROLES]),
    kafka: z
      .object({
        brokers: z.union([z.array(z.string()), z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))]).optional()
          .describe('bootstrap servers; default KAFKA_BROKERS'),
        'client-id': z.string().optional(),
        client: z.enum(KAFKA_CLIENT_NAMES).optional()
          .describe('Kafka client behind the port: kafkajs | platformatic; default RATESTREAM_KAFKA_CLIENT, else platformatic'),
        'session-timeout-ms': int(6_000, 300_000).default(30_000)
          .describe('group session timeout: how long a killed member holds its partitions (broker minimum 6000)'),
        'fetch-min-bytes': int(1, 16 << 20).default(64 << 10)
          .describe('mediate/rate fetches wait for this many bytes (or fetch-linger-ms): fewer, bigger transactions'),
        'fetch-linger-ms': int(0, 1_000).default(250)
          .describe('longest a mediate/rate fetch waits for fetch-min-bytes (the latency bound of a batch, ≤ 1 s)'),
        tls: z.union([bool, tlsObject]).optional().describe('true = TLS with the system CAs; or { ca-file, cert-file, key-file | key-env, … }'),
        sasl: saslObject.optional().describe('{ mechanism: scram-sha-512, username, password-file | password-env }'),
      })
      .strict()
      .default({ 'session-timeout-ms': 30_000, 'fetch-min-bytes': 64 << 10, 'fetch-linger-ms': 250 }),
    registry: z
      .object({
        url: z.string().optional().describe('Confluent-compatible registry API; default SCHEMA_REGISTRY_URL'),
        ...secretShape('username', 'registry user (basic auth)'),
        ...secretShape('password', 'registry password (basic auth)'),
      })
      .strict()
      .superRefine(atMostOne('username', 'password'))
      .transform((o) => ({ url: o.url, username: takeSecret(o, 'username'), password: takeSecret(o, 'password') }))
      .default({ url: undefined, username: undefined, password: undefined }),
    clickhouse: z
      .object({
        ...secretShape('url', 'ClickHouse server URL (may hold a password); default CLICKHOUSE_URL, else the in-process engine'),
        'data-dir': z.string().default('data').describe('in-process engine folder (relative to this file) when no URL is given'),
        'insert-timeout-ms': int(100, 3_600_000).default(30_000),
      })
      .strict()
      .superRefine(atMostOne('url'))
      .transform((o) => ({ url: takeSecret(o, 'url'), 'data-dir': o['data-dir'], 'insert-timeout-ms': o['insert-timeout-ms'] }))
      .default({ url: undefined, 'data-dir': 'data', 'insert-timeout-ms': 30_000 }),
    topics: z
      .object({
        prefix: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
        partitions: int(1, 10_000).default(6),
        'replication-factor': int(1, 16).optional(),
        'raw-retention-ms': z.string().optional(),
      })
      .strict()
      .default({ prefix: '', partitions: 6 }),
    mediate: z
      .object({
        'max-bytes-per-partition': int(1024, 1 << 30).default(1 << 20),
        'batch-bytes': int(0, 256 << 20).default(1 << 20)
          .describe('a raw partition\'s fetches are gathered into one batch (one transaction) of at least this many bytes, or until linger-ms; 0 = every fetch is a batch'),
        'linger-ms': int(0, 1_000).default(500)
          .describe('the longest a fetched raw record waits for batch-bytes (the latency bound of a mediate batch, ≤ 1 s)'),
        'hot-reload': bool.default(true).describe('watch the mediation rule files and swap to new rules when they compile'),
        'reload-debounce-ms': int(0, 60_000).default(200),
      })
      .strict()
      .default({ 'max-bytes-per-partition': 1 << 20, 'batch-bytes': 1 << 20, 'linger-ms': 500, 'hot-reload': true, 'reload-debounce-ms': 200 }),
    rate: z
      .object({
        'dedup-window': int(0, 50_000_000).default(200_000).describe('UDR ids remembered per partition (duplicates across restarts)'),
        'max-bytes-per-partition': int(1024, 1 << 30).default(4 << 20).describe('largest fetch per udr partition (one batch, one transaction)'),
        store: z.enum(RATE_STORES).default('auto')
          .describe('direct: the rate role writes UDRs, charges, rating rejects and billing state straight to ClickHouse (offset-range dedup tokens); '
            + 'topics: to the rated / dlq.rating / billing-state topics, stored by the sink; auto: direct when this process runs both rate and sink '
            + 'or clickhouse.url / CLICKHOUSE_URL is set. Every process of a deployment must resolve to the same mode'),
        'rated-topic': bool.default(false).describe('direct mode: also produce the charges to the rated topic (for other consumers)'),
        'with-mediation': z.union([z.literal('auto'), bool]).default('auto')
          .describe('the fused stage: mediate and rate in one consumer group (<name>.mediate, co-partitioned) and one transaction per input '
            + 'partition; a raw partition\'s UDRs whose rating key hashes to that partition (raw topics keyed by the rating key\'s account, as '
            + 'the demo gateway does) are rated in their mediation transaction, with no udr-topic round trip; the others, and service events, '
            + 'still go through the udr topic. auto (default): fused when this process runs both the mediate and rate roles, rate.store '
            + 'resolves to direct, the raw topics have as many partitions as the udr topic and no rate role runs apart (<name>.rate has no '
            + 'live members: auto follows the running layout), the roles apart otherwise (logged); '
            + 'true: fused, refusing to start when a condition fails; false: the roles apart. Every process of a deployment must run the '
            + 'same layout: a process refuses to start while another runs the other one'),
      })
      .strict()
      .default({ 'dedup-window': 200_000, 'max-bytes-per-partition': 4 << 20, store: 'auto', 'rated-topic': false, 'with-mediation': 'auto' }),
    sink: z
      .object({
        'batch-rows': int(1, 10_000_000).default(20_000),
        'linger-ms': int(0, 600_000).default(500),
        'max-buffered-rows': int(1, 100_000_000).default(200_000).describe('per process: partitions pause above this'),
        'retry-max-ms': int(10, 600_000).default(5_000),
      })
      .strict()
      .default({ 'batch-rows': 20_000, 'linger-ms': 500, 'max-buffered-rows': 200_000, 'retry-max-ms': 5_000 }),
    http: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: int(0, 65_535).default(8080),
      })
      .strict()
      .default({ host: '0.0.0.0', port: 8080 }),
    ingest: z
      .object({
        enabled: bool.default(true),
        ...secretShape('token', 'bearer token gateways must send; required when ingest is enabled'),
        'max-body-bytes': int(1024, 1 << 30).default(16 << 20).describe('larger bodies get 413 (by content-length before reading; chunked: reading stops at the limit)'),
        'max-records': int(1, 10_000_000).default(100_000),
        'max-in-flight-bytes': int(1024, 1 << 30).default(64 << 20)
          .describe('bodies received but not yet acknowledged by Kafka; above this, new requests get 429 with Retry-After (backpressure)'),
      })
      .strict()
      .superRefine(atMostOne('token'))
      .transform((o) => ({
        enabled: o.enabled, token: takeSecret(o, 'token'), 'max-body-bytes': o['max-body-bytes'], 'max-records': o['max-records'],
        'max-in-flight-bytes': o['max-in-flight-bytes'],
      }))
      .optional(),
    watch: z.array(dropDirOptions).default([]),
    memory: z
      .object({
        'heap-growing-percent': int(0, 300).default(0)
          .describe("V8's old generation grows by this percentage over the live heap before a full GC (0: V8's own factor, 1.1–4×); e.g. 20: ≈ 19 % lower peak RSS for ≈ 11 % more CPU"),
      })
      .strict()
      .default({ 'heap-growing-percent': 0 }),
  })
  .strict();

export type ServeConfig = z.output<typeof serveSchema>;

/**
 * `rate.store` resolved for one process: `auto` = direct when the process runs both the rate role and the sink (it
 * holds the in-process store) or a ClickHouse server is configured (every process reaches it); topics otherwise (a
 * sink-only process beside rate-only processes on the in-process engine: they cannot reach its store). A sink resolves the same way, so it
 * reads the rated/udr/billing-state topics only when the deployment's rate roles produce them. Every process of a
 * deployment must resolve to the same mode (with the in-process engine and several processes: run the rate role only
 * beside the sink, or set `topics` everywhere); a rate role that takes over a partition last stored the other way logs it.
 */
export function rateStoreMode(setting: (typeof RATE_STORES)[number], roles: readonly Role[], clickhouseServer: boolean): 'direct' | 'topics' {
  if (setting !== 'auto') return setting;
  return (roles.includes('sink') && roles.includes('rate')) || clickhouseServer ? 'direct' : 'topics';
}

export interface LoadedServeConfig {
  file: string;
  dir: string;
  config: ServeConfig;
}

export function loadServeConfig(file: string): LoadedServeConfig {
  const abs = resolve(file);
  const { value } = loadYaml(abs, serveSchema);
  return { file: abs, dir: dirname(abs), config: value };
}

export function resolveSecret(ref: SecretRef | undefined, baseDir: string, what: string): string | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref === 'string') return ref;
  if ('env' in ref) {
    const v = process.env[ref.env];
    if (v === undefined || v === '') throw new Error(`${what}: environment variable ${ref.env} is not set`);
    return v;
  }
  return readFileSync(resolve(baseDir, ref.file), 'utf8').replace(/\r?\n$/, '');
}

/** The config with every secret replaced by where it comes from (for logs). */
export function redactConfig(c: ServeConfig): unknown {
  const show = (s: SecretRef | undefined) => (s === undefined ? undefined : typeof s === 'string' ? '[inline secret]' : 'env' in s ? `[env ${s.env}]` : `[file ${s.file}]`);
  return {
    ...c,
    kafka: { ...c.kafka, sasl: c.kafka.sasl && { mechanism: c.kafka.sasl.mechanism, username: show(c.kafka.sasl.username), password: show(c.kafka.sasl.password) },
      tls: typeof c.kafka.tls === 'object' ? { ...c.kafka.tls, key: show(c.kafka.tls.key), passphrase: show(c.kafka.tls.passphrase) } : c.kafka.tls },
    registry: { url: c.registry.url, username: show(c.registry.username), password: show(c.registry.password) },
    clickhouse: { ...c.clickhouse, url: show(c.clickhouse.url) },
    ingest: c.ingest && { ...c.ingest, token: show(c.ingest.token) },
  };
}
