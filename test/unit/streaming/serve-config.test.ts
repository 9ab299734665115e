/**
 * Serve config secrets: SASL/SCRAM credentials, TLS files and the ingest token come from env vars or files (paths
 * relative to the config); they reach the kafkajs client options unchanged, and neither the logged config nor a log
 * line of the resolved connection contains any of them. (No TLS/SASL broker runs here: this tests the mapping.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';

const seen: { config?: Record<string, unknown> } = {};
vi.mock('kafkajs', async (importOriginal) => {
  const real = await importOriginal<typeof import('kafkajs')>();
  class Kafka extends real.Kafka {
    constructor(config: import('kafkajs').KafkaConfig) {
      super(config);
      seen.config = config as unknown as Record<string, unknown>;
    }
  }
  return { ...real, Kafka };
});

const { loadServeConfig, redactConfig, resolveSecret } = await import('../../../engine/runtime/streaming/config.ts');
const { kafkaConnection } = await import('../../../engine/runtime/streaming/serve.ts');
const { createKafkajsPort } = await import('../../../engine/runtime/kafka/kafkajs-adapter.ts');
const { createLogger } = await import('../../../engine/telemetry/logger.ts');
const { ConfigError } = await import('../../../engine/config/yaml-loader.ts');

const SASL_PASSWORD = 'scram-p4ss-0c7e9a';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIIsecretkeymaterial0c7e9a\n-----END PRIVATE KEY-----';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIcafile\n-----END CERTIFICATE-----';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIclientcert\n-----END CERTIFICATE-----';
const TOKEN = 'ingest-t0ken-7f3b21';
const REG_PASSWORD = 'registry-pw-51d0';
const CH_URL = 'http://finance:ch-pw-99aa@clickhouse:8123';
const SECRETS = [SASL_PASSWORD, 'MIIsecretkeymaterial0c7e9a', TOKEN, REG_PASSWORD, 'ch-pw-99aa', 'key-pass-1'];

function setup(extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'rs-servecfg-'));
  writeFileSync(join(dir, 'sasl-password'), `${SASL_PASSWORD}\n`);
  writeFileSync(join(dir, 'client.key'), `${KEY_PEM}\n`);
  writeFileSync(join(dir, 'ca.pem'), CA_PEM);
  writeFileSync(join(dir, 'client.pem'), CERT_PEM);
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  writeFileSync(join(dir, 'serve.yaml'), [
    'kind: serve',
    'name: secure',
    'pipelines: [pipeline.yaml]',
    'kafka:',
    '  brokers: [kafka-1:9093, kafka-2:9093]',
    '  sasl: { mechanism: scram-sha-512, username: ratestream, password-file: sasl-password }',
    '  tls: { ca-file: ca.pem, cert-file: client.pem, key-file: client.key, passphrase-env: RS_TEST_KEY_PASS, servername: kafka.internal }',
    'registry: { url: "https://registry:8081", username: rs, password-env: RS_TEST_REGISTRY_PASSWORD }',
    'clickhouse: { url-env: RS_TEST_CLICKHOUSE_URL }',
    'ingest: { token-file: token }',
    ...extra,
  ].join('\n'));
  return join(dir, 'serve.yaml');
}

describe('serve config: TLS, SASL/SCRAM and secrets from env or files', () => {
  afterEach(() => {
    delete process.env.RS_TEST_REGISTRY_PASSWORD;
    delete process.env.RS_TEST_CLICKHOUSE_URL;
    delete process.env.RS_TEST_KEY_PASS;
  });

  it('maps sasl/tls to the kafkajs options with the secrets read from files and env', () => {
    process.env.RS_TEST_KEY_PASS = 'key-pass-1';
    const loaded = loadServeConfig(setup());
    const o = kafkaConnection(loaded.config, loaded.dir);
    expect(o.brokers).toEqual(['kafka-1:9093', 'kafka-2:9093']);
    expect(o.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ratestream', password: SASL_PASSWORD }); // trailing newline dropped
    expect(o.tls).toMatchObject({ key: KEY_PEM, passphrase: 'key-pass-1', rejectUnauthorized: true, servername: 'kafka.internal' });
    const tls = o.tls as { ca: Buffer; cert: Buffer };
    expect(tls.ca.toString()).toBe(CA_PEM);
    expect(tls.cert.toString()).toBe(CERT_PEM);

    // what kafkajs itself is given (its Kafka constructor, captured)
    createKafkajsPort(o);
    const k = seen.config!;
    expect(k.brokers).toEqual(['kafka-1:9093', 'kafka-2:9093']);
    expect(k.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ratestream', password: SASL_PASSWORD });
    expect(k.ssl).toMatchObject({ key: KEY_PEM, passphrase: 'key-pass-1', servername: 'kafka.internal', rejectUnauthorized: true });
    expect((k.ssl as { ca: Buffer }).ca.toString()).toBe(CA_PEM);

    // the other secrets
    process.env.RS_TEST_REGISTRY_PASSWORD = REG_PASSWORD;
    process.env.RS_TEST_CLICKHOUSE_URL = CH_URL;
    const c = loaded.config;
    expect(resolveSecret(c.registry.password, loaded.dir, 'registry.password')).toBe(REG_PASSWORD);
    expect(resolveSecret(c.clickhouse.url, loaded.dir, 'clickhouse.url')).toBe(CH_URL);
    expect(resolveSecret(c.ingest!.token, loaded.dir, 'ingest.token')).toBe(TOKEN);
  });

  it('a log line of the config or of the resolved connection holds no secret', () => {
    process.env.RS_TEST_KEY_PASS = 'key-pass-1';
    process.env.RS_TEST_REGISTRY_PASSWORD = REG_PASSWORD;
    process.env.RS_TEST_CLICKHOUSE_URL = CH_URL;
    const loaded = loadServeConfig(setup());
    let out = '';
    const log = createLogger({ destination: new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } }) });
    log.info({ config: redactConfig(loaded.config) }, 'starting');
    log.info({ connection: kafkaConnection(loaded.config, loaded.dir) }, 'kafka connection');
    log.info({ req: { headers: { authorization: `Bearer ${TOKEN}` } }, password: REG_PASSWORD, url: CH_URL }, 'careless line');
    expect(out.split('\n').filter(Boolean)).toHaveLength(3);
    for (const s of SECRETS) expect(out, s).not.toContain(s);
    // redactConfig shows where a secret comes from; pino's path redaction censors the usual places on top of that
    expect(out).toContain('"passphrase":"[env RS_TEST_KEY_PASS]"');
    expect(out).toContain('"sasl":"[redacted]"');
    expect(out).toContain('"token":"[redacted]"');
  });

  it('a missing env var or two sources for one secret are clear errors', () => {
    const loaded = loadServeConfig(setup());
    expect(() => resolveSecret(loaded.config.registry.password, loaded.dir, 'registry.password')).toThrow(/registry.password: environment variable RS_TEST_REGISTRY_PASSWORD is not set/);
    const bad = setup(['watch: []']).replace('serve.yaml', 'bad.yaml');
    writeFileSync(bad, ['kind: serve', 'pipelines: [p.yaml]', 'kafka:', '  sasl: { mechanism: scram-sha-256, username: u, password: inline, password-env: X }'].join('\n'));
    expect(() => loadServeConfig(bad)).toThrow(ConfigError);
    try { loadServeConfig(bad); } catch (e) { expect((e as Error).message).toMatch(/bad\.yaml:4:\d+: .*give only one of password, password-env/); }
    writeFileSync(bad, ['kind: serve', 'pipelines: [p.yaml]', 'kafka:', '  sasl: { mechanism: scram-sha-256, username: u }'].join('\n'));
    expect(() => loadServeConfig(bad)).toThrow(/sasl needs password/);
  });
});
