/**
 * The compact usage lineage for real (migration 012): `ratestream run` stores each usage charge's lineage without what
 * its rate gives, and the rates' terms once per catalog version in `rate_terms`; the view `charge_lineage` gives every
 * charge's model, detail, connect fee and rounding back. They must equal what `dry-run` prints for the same input (the
 * full lineage, expanded in the engine), charge by charge — the in-process ClickHouse engine, through the CLI.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoFeeds } from '../../engine/demo/generate.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'engine', 'cli', 'bin.mjs');
const PIPELINE = join(ROOT, 'pipelines', 'demo-carrier.yaml');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('error', fail);
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

async function query<T>(db: string, sql: string): Promise<T[]> {
  const r = await cli(['query', '--db', db, '-f', 'json', sql]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

/** decimal text without trailing zeros ("0.0200000000" → "0.02", "0.0000" → "0") */
const canonical = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

interface Full { v: number; model?: string; detail?: string; connectFee?: string; rounding?: string }

describe('compact lineage: the stored charge with its rate terms = the full lineage', () => {
  let dir: string;
  let feeds: string;
  let db: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-lineage-'));
    generateDemoFeeds(join(dir, 'feeds'), { days: 2, perDay: 300 });
    feeds = join(dir, 'feeds', 'carrier');
    db = join(dir, 'data');
    const r = await cli(['run', PIPELINE, '--input', feeds, '--db', db, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores version 2 for usage charges and the rate terms once per rate', async () => {
    const kinds = await query<{ v: string; n: string }>(db, "SELECT toString(JSONExtractUInt(lineage, 'v')) AS v, toString(count()) AS n FROM charges FINAL WHERE kind = 'usage' GROUP BY v");
    expect(kinds.map((k) => k.v)).toEqual(['2']);
    const dup = await query<{ n: string }>(db, 'SELECT toString(count()) AS n FROM (SELECT catalog_version, plan, rate_id FROM rate_terms FINAL GROUP BY ALL HAVING count() > 1)');
    expect(dup[0]!.n).toBe('0');
    // every usage charge finds its rate's terms
    const missing = await query<{ n: string }>(db, "SELECT toString(countIf(NOT with_terms)) AS n FROM charge_lineage WHERE kind = 'usage'");
    expect(missing[0]!.n).toBe('0');
  });

  it('model, detail, connect fee and rounding of every charge = dry-run\'s full lineage', async () => {
    const dry = await cli(['dry-run', '-p', PIPELINE, '-i', feeds]);
    expect(dry.code, dry.stderr).toBe(0);
    const full = new Map<string, Full>();
    for (const line of dry.stdout.split('\n')) {
      if (!line.startsWith('{"charge"')) continue;
      const c = (JSON.parse(line) as { charge: { id: string; kind: string; lineage: Full } }).charge;
      if (c.kind === 'usage') full.set(c.id, c.lineage);
    }
    const stored = await query<{ charge_id: string; model: string; detail: string; connect_fee: string; rounding: string; lineage: string }>(db,
      "SELECT charge_id, model, detail, toString(connect_fee) AS connect_fee, rounding, lineage FROM charge_lineage WHERE kind = 'usage' ORDER BY charge_id");
    expect(stored.length).toBeGreaterThan(500);
    expect(stored.length).toBe(full.size);
    let shorter = 0;
    for (const s of stored) {
      const f = full.get(s.charge_id);
      expect(f, s.charge_id).toBeDefined();
      expect(f!.v).toBe(1);
      expect({ model: s.model, detail: s.detail, connectFee: canonical(s.connect_fee), rounding: s.rounding })
        .toEqual({ model: f!.model, detail: f!.detail, connectFee: canonical(f!.connectFee!), rounding: f!.rounding });
      if (s.lineage.length < JSON.stringify(f).length) shorter++;
    }
    expect(shorter).toBe(stored.length);
  }, 120_000);
});
