/**
 * Ledger safety, at the command line as users meet it (the real CLI against real in-process ClickHouse stores):
 * `query` is read-only and prints decimals exactly; only run/demo create a store; every other command refuses a
 * missing or empty store; billing covers every pipeline's catalog; rerate --catalog applies only where it belongs;
 * stdin runs get unique source names; clear errors for a bad period or account. No Kafka needed.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../engine/store/client.ts';
import { migrate } from '../../engine/store/migrate.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'engine/cli/bin.mjs');
const BILLING = join(ROOT, 'rules/billing/billing.yaml');

interface Out { code: number; stdout: string; stderr: string }

/** Run the CLI; RATESTREAM_HOME / RATESTREAM_DB / CLICKHOUSE_URL from the test environment are not passed on. */
function cli(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<Out> {
  const env = { ...process.env, ...opts.env };
  for (const k of ['RATESTREAM_HOME', 'RATESTREAM_DB', 'CLICKHOUSE_URL', 'DEBUG']) if (!opts.env?.[k]) delete env[k];
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', rej);
    p.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(opts.input ?? '');
  });
}

const tmp: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmp.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

describe('query on the demo ledger', () => {
  let dir: string;
  let db: string;
  const count = async () => {
    const r = await cli(['query', 'SELECT count() AS n, toString(sum(amount)) AS s FROM charges FINAL', '--db', db, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  beforeAll(async () => {
    dir = tempDir('rs-ledger-demo-');
    db = join(dir, 'data');
    const r = await cli(['demo', '--db', db, '--out', join(dir, 'feeds'), '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('refuses DROP, INSERT, ALTER, CREATE, TRUNCATE (and SETTINGS, table functions, a second statement) with exit 1; the ledger is untouched', async () => {
    const before = await count();
    expect(JSON.parse(before).n).not.toBe('0');
    for (const sql of [
      'DROP TABLE charges',
      "INSERT INTO charges (charge_id, account) VALUES ('x', 'x')",
      'ALTER TABLE charges DELETE WHERE 1',
      'CREATE TABLE t (x UInt8) ENGINE = Memory',
      'TRUNCATE TABLE charges',
      'SELECT 1; DROP TABLE charges',
      "INSERT INTO FUNCTION file('x.csv', 'CSV') SELECT 1",
    ]) {
      const r = await cli(['query', sql, '--db', db]);
      expect(r.code, sql).toBe(1);
      expect(r.stderr, sql).toMatch(/^ratestream: refused: `ratestream query` is read-only/);
      expect(r.stdout, sql).toBe('');
    }
    const s = await cli(['query', 'SELECT 1 SETTINGS readonly = 0', '--db', db]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/read-only and cannot change settings \(readonly\)/);
    expect(await count()).toBe(before);
  });

  it('prints Decimal(38,10) and Int64 exactly in table, csv and json', async () => {
    const sql = "SELECT toDecimal128('1234567.1234567891', 10) AS d, toInt64(9007199254740993) AS big, toDecimal64('-0.05', 2) AS neg";
    const t = await cli(['query', sql, '--db', db]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout.split('\n')[2]).toMatch(/^1234567\.1234567891\s+9007199254740993\s+-0\.05$/);
    const c = await cli(['query', sql, '--db', db, '--format', 'csv']);
    expect(c.stdout).toBe('d,big,neg\n1234567.1234567891,9007199254740993,-0.05\n');
    const j = await cli(['query', sql, '--db', db, '--format', 'json']);
    expect(j.stdout).toBe('{"d":"1234567.1234567891","big":"9007199254740993","neg":"-0.05"}\n');
  });

  it('a SQL syntax error points into the SQL as written (line, column, caret)', async () => {
    const r = await cli(['query', '\nSELECT account\nFROM charges WHER x = 1', '--db', db]);
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^ratestream: SQL syntax error at line 3, column 19: expected one of: /);
    expect(lines[1]).toBe('  FROM charges WHER x = 1');
    expect(lines[2]).toBe(`  ${' '.repeat(18)}^`);
    expect(r.stderr).not.toMatch(/FORMAT|JSONCompact/);
  });

  it('invoice --account NOPE and gl --period 2026-13 end with a clear error and exit 1', async () => {
    const a = await cli(['invoice', '--period', '2026-10', '--account', 'NOPE', '--db', db, '--billing', BILLING]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^ratestream: unknown account "NOPE": it has no charges in the ledger/);
    const g = await cli(['gl', '--period', '2026-13', '--db', db, '--billing', BILLING]);
    expect(g.code).toBe(1);
    expect(g.stderr).toBe('ratestream: period must be YYYY-MM with a month 01–12 (got "2026-13")\n');
  });

  it('rerate --catalog of another catalog re-rates no feed; forced on a feed it cannot price it refuses and voids nothing; each run keeps its report', async () => {
    const before = await count();
    const iot = join(ROOT, 'rules/iot/catalog.yaml');
    const none = await cli(['rerate', '--period', '2026-10', '--catalog', iot, '--db', db, '--billing', BILLING]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/nothing re-rated in 2026-10: carrier-cdr: its pipeline uses catalog demo, not iot/);
    const forced = await cli(['rerate', '--period', '2026-10', '--catalog', iot, '--feed', 'carrier-cdr', '--db', db, '--billing', BILLING]);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toMatch(/catalog iot@\w+ prices none of feed carrier-cdr's \d+ UDRs \(.*\): refusing to void its \d+ charges; nothing was written/);
    expect(await count()).toBe(before);
    const reports = join(dir, 'reports');
    for (let i = 0; i < 2; i++) {
      const r = await cli(['rerate', '--period', '2026-10', '--catalog', join(ROOT, 'rules/demo'), '--db', db, '--billing', BILLING, '--out', reports]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/rerate 2026-10 with demo@\w+: \d+ UDRs, \d+ charges compared, 0 changed/);
    }
    const runs = readdirSync(reports);
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(readdirSync(join(reports, run)).sort()).toEqual(['diff.csv', 'diff.json']);
    expect(await count()).toBe(before);
  });
});

describe('only run / demo create a store', () => {
  it('from a folder outside any project, every other command refuses with a clear message and creates no ./data', async () => {
    const cwd = tempDir('rs-ledger-elsewhere-');
    for (const args of [
      ['query', 'SELECT 1'],
      ['invoice', '--period', '2026-10'],
      ['gl', '--period', '2026-10'],
      ['rerate', '--period', '2026-10'],
      ['reconcile'],
      ['events', '--period', '2026-10'],
    ]) {
      const r = await cli(args, { cwd });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^ratestream: no (ratestream store here|billing settings)/);
      expect(r.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a project without a store: invoice (billing file found) refuses instead of issuing from an empty ledger; nothing is created', async () => {
    const project = tempDir('rs-ledger-nostore-');
    mkdirSync(join(project, 'rules/billing'), { recursive: true });
    writeFileSync(join(project, 'rules/billing/billing.yaml'), billingYaml(ROOT, '../demo/catalog.yaml'));
    cpSync(join(ROOT, 'rules/demo'), join(project, 'rules/demo'), { recursive: true });
    const sub = join(project, 'rules');
    const r = await cli(['invoice', '--period', '2026-10'], { cwd: sub });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^ratestream: no ratestream store in ${project}/data/clickhouse \\(store from the working directory\\): run \`ratestream run <pipeline>\``));
    expect(existsSync(join(project, 'data'))).toBe(false);
    expect(existsSync(join(sub, 'data'))).toBe(false);
    const q = await cli(['query', 'SELECT 1', '--db', join(project, 'nowhere')], { cwd: project });
    expect(q.code).toBe(1);
    expect(q.stderr).toMatch(/^ratestream: no ratestream store in .*nowhere\/clickhouse \(store from --db\)/);
    expect(existsSync(join(project, 'nowhere'))).toBe(false);
  });

  it('an empty store (schema, no data) is refused by query and invoice', async () => {
    const d = tempDir('rs-ledger-empty-');
    const s = await openStore({ dbDir: join(d, 'data/clickhouse') });
    await migrate(s);
    await s.close();
    for (const args of [['query', 'SELECT 1'], ['invoice', '--period', '2026-10', '--billing', BILLING], ['reconcile', '--billing', BILLING]]) {
      const r = await cli([...args, '--db', join(d, 'data')]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^ratestream: the store .* holds no data \(no ingested files, UDRs, charges or rejects\)/);
    }
    expect(existsSync(join(d, 'data/invoices'))).toBe(false);
  });
});

describe('a project with a second pipeline and its own catalog', () => {
  let project: string;
  beforeAll(() => {
    project = tempDir('rs-ledger-project-');
    cpSync(join(ROOT, 'test/fixtures/ledger/project'), project, { recursive: true });
    mkdirSync(join(project, 'rules/billing'), { recursive: true });
    writeFileSync(join(project, 'rules/billing/billing.yaml'), billingYaml(ROOT));
  });

  it('the invoice bills the other catalog\'s monthly fee under the account\'s name, and warns about an account without billing details', async () => {
    const run = await cli(['run', 'pipelines/extra.yaml', '-i', 'rules/extra/events.csv'], { cwd: project });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(project, 'data/clickhouse'))).toBe(true);
    const inv = await cli(['invoice', '--period', '2026-10'], { cwd: join(project, 'pipelines') });
    expect(inv.code, inv.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(project, 'data/invoices/2026-10/INV-202610-ZETA.json'), 'utf8')) as { customer: { name: string }; lines: { section: string; net: string; rate: string }[]; totals: { net: string } };
    expect(doc.customer.name).toBe('Zeta Industries');
    expect(doc.lines.map((l) => [l.section, l.rate, l.net])).toEqual([['recurring', 'monthly-fee', '42.00'], ['usage', 'api-call', '0.02']]);
    expect(doc.totals.net).toBe('42.02');
    expect(inv.stderr).toMatch(/^warning: account NONAME has no billing details \(not under accounts: in .*billing\.yaml, not named in any catalog\): invoice INV-202610-NONAME shows its id/m);
    expect(inv.stderr).not.toMatch(/ZETA/);
  });
});

describe('stdin runs', () => {
  it('two stdin runs get distinct source names (or the one given), and reconcile balances', async () => {
    const d = tempDir('rs-ledger-stdin-');
    const db = join(d, 'data');
    const a = 'e-1,ZETA,ZETA-H1,2026-10-05T10:00:00Z\ne-2,ZETA,ZETA-H1,2026-10-06T10:00:00Z\n';
    const b = 'e-3,ZETA,ZETA-H1,2026-10-07T10:00:00Z\n';
    const c = 'e-4,ZETA,ZETA-H1,2026-10-08T10:00:00Z\ne-5,ZETA,ZETA-H1,2026-10-09T10:00:00Z\ne-6,ZETA,ZETA-H1,2026-10-09T11:00:00Z\n';
    const pipeline = join(ROOT, 'test/fixtures/ledger/project/pipelines/extra.yaml');
    for (const [input, extra] of [[a, []], [b, []], [c, ['--source-name', 'gateway-7.csv']]] as const) {
      const r = await cli(['run', pipeline, '-i', '-', '--db', db, ...extra], { input });
      expect(r.code, r.stderr).toBe(0);
    }
    const q = await cli(['query', 'SELECT file, records, udrs FROM ingest_files FINAL ORDER BY finished_at', '--db', db, '--format', 'csv']);
    const rows = q.stdout.trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.map((r) => [r[1], r[2]])).toEqual([['2', '2'], ['1', '1'], ['3', '3']]);
    expect(rows[0]![0]).toMatch(/^stdin-\d{8}T\d{6}-\d{3}Z$/);
    expect(rows[1]![0]).toMatch(/^stdin-\d{8}T\d{6}-\d{3}Z$/);
    expect(rows[0]![0]).not.toBe(rows[1]![0]);
    expect(rows[2]![0]).toBe('gateway-7.csv');
    const again = await cli(['run', pipeline, '-i', '-', '--db', db, '--source-name', 'gateway-7.csv'], { input: b });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('ratestream: source name gateway-7.csv is already in the ledger for pipeline extra with other content: choose another --source-name\n');
    const rec = await cli(['reconcile', '--db', db, '--billing', BILLING]);
    expect(rec.code, rec.stdout + rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/balanced: no differences/);
  });
});

/** Billing settings for a temporary project: the repository's tax table and GL mapping, optionally a catalog. */
function billingYaml(root: string, catalog?: string): string {
  return [
    'kind: billing', 'name: ledger-test', 'timezone: Europe/Amsterdam', 'currency: EUR',
    ...(catalog ? [`catalog: ${catalog}`] : []),
    'issuer: { name: Test Issuer B.V., address: [Teststraat 1, 1000 AA Amsterdam] }',
    `tax: { table: ${join(root, 'rules/billing/tax-rates.yaml')}, default-jurisdiction: NL }`,
    `gl: ${join(root, 'rules/billing/gl-mapping.yaml')}`, '',
  ].join('\n');
}
