/**
 * deploy/ (compose, Kubernetes, Grafana) checked without Docker or a cluster: every YAML parses; the serve configs in
 * the compose stack and the ConfigMap load with the serve schema and name pipelines that exist; the probes use paths
 * the ops server answers; selectors match; the dashboard parses and every metric it queries is one we export.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../../engine/runtime/streaming/config.ts';
import { createOpsServer } from '../../../engine/telemetry/http.ts';
import { StreamMetrics } from '../../../engine/telemetry/metrics.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy');

function files(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (relative(DEPLOY, p) === 'local') continue; // dev/CI services, not user-facing manifests
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const yamlFiles = files(DEPLOY).filter((f) => /\.ya?ml$/.test(f));
const docs = new Map<string, Doc[]>(yamlFiles.map((f) => {
  const all = parseAllDocuments(readFileSync(f, 'utf8'));
  return [relative(DEPLOY, f), (Array.isArray(all) ? all : [all]).map((d) => {
    if (d.errors.length) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Doc;
  })];
}));
const k8s = [...docs].filter(([f]) => f.startsWith('k8s/')).flatMap(([, d]) => d);
const byKind = (kind: string) => k8s.filter((d) => d.kind === kind);

/** a serve config written where its pipeline paths (/app/… in the image) resolve to this repository */
function loadServeText(text: string, fromImage: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'rs-deploy-'));
  const f = join(dir, 'serve.yaml');
  writeFileSync(f, fromImage ? text.replaceAll('/app/', `${ROOT}/`) : text);
  return loadServeConfig(f);
}

describe('deploy/', () => {
  it('has the compose stack, the Kubernetes manifests and the dashboard; every YAML parses', () => {
    expect([...docs.keys()].sort()).toEqual(expect.arrayContaining([
      'compose/docker-compose.yaml', 'compose/serve.yaml', 'k8s/configmap.yaml', 'k8s/deployment.yaml', 'k8s/hpa.yaml',
      'k8s/kustomization.yaml', 'k8s/pdb.yaml', 'k8s/secret.example.yaml', 'k8s/service.yaml',
    ]));
    expect(existsSync(join(DEPLOY, 'grafana/ratestream-dashboard.json'))).toBe(true);
    expect(existsSync(join(DEPLOY, 'docker/Dockerfile'))).toBe(true);
    for (const [f, d] of docs) expect(d.length, f).toBeGreaterThan(0);
  });

  it('compose: Kafka KRaft, a schema registry, ClickHouse server and serve with CLICKHOUSE_URL', () => {
    const c = docs.get('compose/docker-compose.yaml')![0]!;
    expect(Object.keys(c.services).sort()).toEqual(['clickhouse', 'kafka', 'ratestream', 'registry']);
    expect(c.services.kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    const rs = c.services.ratestream;
    expect(rs.environment).toMatchObject({ KAFKA_BROKERS: 'kafka:9092', SCHEMA_REGISTRY_URL: expect.stringContaining('/apis/ccompat/v7') });
    expect(rs.environment.CLICKHOUSE_URL).toMatch(/@clickhouse:8123$/);
    expect(rs.command).toEqual(['serve', '--config', 'deploy/compose/serve.yaml']);
    expect(rs.healthcheck.test.join(' ')).toContain('/readyz');
    expect(existsSync(join(ROOT, rs.build.context.replace('../..', '.'), rs.build.dockerfile))).toBe(true);
    for (const dep of Object.keys(rs.depends_on)) expect(c.services[dep], dep).toBeDefined();
    // the config the image runs
    const loaded = loadServeConfig(join(DEPLOY, 'compose/serve.yaml'));
    for (const p of loaded.config.pipelines) expect(existsSync(resolve(loaded.dir, p)), p).toBe(true);
    expect(loaded.config.ingest?.token).toEqual({ env: 'RATESTREAM_INGEST_TOKEN' });
    // the dev config of the README
    const dev = loadServeConfig(join(DEPLOY, 'serve.local.yaml'));
    for (const p of dev.config.pipelines) expect(existsSync(resolve(dev.dir, p)), p).toBe(true);
  });

  it('Kubernetes: probes on /healthz and /readyz, secrets by reference, selectors that match', async () => {
    const [dep] = byKind('Deployment');
    const pod = dep!.spec.template;
    const c = pod.spec.containers[0];
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    expect(c.env.find((e: Doc) => e.name === 'CLICKHOUSE_URL').valueFrom.secretKeyRef).toEqual({ name: 'ratestream-secrets', key: 'clickhouse-url' });
    expect(pod.spec.volumes.find((v: Doc) => v.name === 'secrets').secret.secretName).toBe('ratestream-secrets');
    const labels = pod.metadata.labels;
    const matches = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    expect(matches(dep!.spec.selector.matchLabels)).toBe(true);
    expect(matches(byKind('Service')[0]!.spec.selector)).toBe(true);
    expect(matches(byKind('PodDisruptionBudget')[0]!.spec.selector.matchLabels)).toBe(true);
    expect(byKind('HorizontalPodAutoscaler')[0]!.spec.scaleTargetRef.name).toBe(dep!.metadata.name);
    expect(byKind('Service')[0]!.spec.ports[0].targetPort).toBe(c.ports[0].name);
    const kust = docs.get('k8s/kustomization.yaml')![0]!;
    for (const r of kust.resources) expect(existsSync(join(DEPLOY, 'k8s', r)), r).toBe(true);

    // the ConfigMap's serve.yaml loads; its secrets are files from the mounted Secret or env, never inline
    const cm = byKind('ConfigMap')[0]!;
    const loaded = loadServeText(cm.data['serve.yaml'], true);
    const cfg = loaded.config;
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ratestream', password: { file: '/etc/ratestream/secrets/kafka-password' } });
    expect(cfg.ingest?.token).toEqual({ file: '/etc/ratestream/secrets/ingest-token' });
    expect(cfg.clickhouse.url).toEqual({ env: 'CLICKHOUSE_URL' });
    for (const p of cfg.pipelines) expect(existsSync(resolve(loaded.dir, p)), p).toBe(true);
    const mounts = c.volumeMounts.map((m: Doc) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/etc/ratestream/secrets', '/etc/ratestream/serve.yaml', '/etc/ratestream/kafka-tls']));
    expect(c.args).toEqual(['serve', '--config', '/etc/ratestream/serve.yaml']);

    // the probe paths are the ops server's: /healthz 200; /readyz 503 until ready, then 200
    let ready = false;
    const app = createOpsServer({ metrics: new StreamMetrics({ defaultMetrics: false }), ready: () => ready });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    ready = true;
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect(pod.metadata.annotations['prometheus.io/path']).toBe('/metrics');
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
    await app.close();
  });

  it('the Grafana dashboard parses and queries only metrics we export', async () => {
    const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana/ratestream-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exported = new Set((await new StreamMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set<string>();
    for (const p of dash.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) for (const m of t.expr.matchAll(/\bratestream_[a-z0-9_]+/g)) used.add(m[0]);
    }
    const base = (n: string) => (exported.has(n) ? n : n.replace(/_(bucket|count|sum)$/, ''));
    expect([...used].filter((n) => !exported.has(base(n)))).toEqual([]);
    // what operators asked for: throughput per feed, rejects by reason, lag per partition, batch latency, insert
    // latency, transaction aborts, paused partitions
    for (const n of ['ratestream_records_in_total', 'ratestream_records_rejected_total', 'ratestream_consumer_lag', 'ratestream_batch_duration_seconds_bucket',
      'ratestream_clickhouse_insert_duration_seconds_bucket', 'ratestream_transaction_aborts_total', 'ratestream_paused_partitions']) {
      expect(used.has(n), n).toBe(true);
    }
  });
});
