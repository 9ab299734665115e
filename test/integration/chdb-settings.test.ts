/**
 * Per-query settings on the in-process engine (engine/store/chdb-settings.ts): chdb's Connection runs a call's
 * settings as session SETs, which would outlive the call. Through openStore they end with it: an insert without a
 * dedup token after one with a token is stored (not dropped as a duplicate of the stale token), and a changed
 * optimize_on_insert goes back to the engine's default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type StoreClient } from '../../engine/store/client.ts';
import { SessionSettings } from '../../engine/store/chdb-settings.ts';

describe('per-query settings on the in-process engine', () => {
  let dir: string;
  let s: StoreClient;
  const rows = async (t: string) =>
    ((await (await s.client.query({ query: `SELECT k, v FROM settings_t.${t} ORDER BY k, v`, format: 'JSONEachRow' })).json()) as { k: string; v: number }[]).map((r) => `${r.k}${r.v}`);
  const setting = async (name: string) =>
    ((await (await s.client.query({ query: `SELECT value FROM system.settings WHERE name = {n:String}`, query_params: { n: name }, format: 'JSONEachRow' })).json()) as { value: string }[])[0]!.value;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-chdb-settings-'));
    s = await openStore({ dbDir: dir, database: 'settings_t' });
    for (const t of ['dedup', 'repl']) {
      await s.client.command({ query: `CREATE TABLE settings_t.${t} (k String, v UInt32) ENGINE = ${t === 'dedup' ? 'MergeTree' : 'ReplacingMergeTree'} ORDER BY k SETTINGS non_replicated_deduplication_window = 100` });
    }
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an insert without a token after one with a token is stored; the same token twice is stored once', async () => {
    const insert = (body: string, token?: string) =>
      s.client.command({ query: `INSERT INTO settings_t.dedup FORMAT TabSeparated\n${body}`, clickhouse_settings: token ? { insert_deduplication_token: token } : {} });
    await insert('a\t1\n', 'tok-1');
    await insert('a\t1\n', 'tok-1');
    await insert('b\t2\n');
    await insert('c\t3\n');
    expect(await rows('dedup')).toEqual(['a1', 'b2', 'c3']);
    expect(await setting('insert_deduplication_token')).toBe('');
  });

  it('after a raw passthrough insert with a token too', async () => {
    await s.chdb!.rawInsert({ table: 'settings_t.dedup', columns: ['k', 'v'], format: 'TabSeparated', values: Buffer.from('d\t4\n'), settings: { insert_deduplication_token: 'raw-1' } });
    await s.client.command({ query: 'INSERT INTO settings_t.dedup FORMAT TabSeparated\ne\t5\n' });
    await s.client.command({ query: 'INSERT INTO settings_t.dedup FORMAT TabSeparated\nf\t6\n' });
    expect(await rows('dedup')).toEqual(['a1', 'b2', 'c3', 'd4', 'e5', 'f6']);
  });

  it('optimize_on_insert = 0 applies to its insert only', async () => {
    const body = 'x\t1\nx\t2\n';
    await s.client.command({ query: `INSERT INTO settings_t.repl FORMAT TabSeparated\n${body}`, clickhouse_settings: { optimize_on_insert: 0 } });
    expect(await rows('repl')).toEqual(['x1', 'x2']);
    // the next insert without the setting: the engine's default (1) merges the block on insert
    await s.client.command({ query: 'INSERT INTO settings_t.repl FORMAT TabSeparated\ny\t1\ny\t2\n' });
    expect((await rows('repl')).filter((r) => r.startsWith('y'))).toHaveLength(1);
    expect(await setting('optimize_on_insert')).toBe('1');
  });

  it('a setting first seen in a call is reset in the next', async () => {
    await s.client.query({ query: 'SELECT 1', format: 'JSONEachRow', clickhouse_settings: { max_threads: 1 } }).then((r) => r.json());
    expect(await setting('max_threads')).not.toBe('1');
  });

  it('a session-level setting of the store comes back after a call changes it', async () => {
    // the store reopened with a session setting (as `ratestream query` opens it, there read-only)
    await s.close();
    s = await openStore({ dbDir: dir, database: 'settings_t', create: false, settings: { max_threads: 1 } });
    expect(await setting('max_threads')).toBe('1');
    await s.client.query({ query: 'SELECT 1', format: 'JSONEachRow', clickhouse_settings: { max_threads: 2 } }).then((r) => r.json());
    expect(await setting('max_threads')).toBe('1');
  });

  it('resets only what a call does not give', async () => {
    const asked: string[] = [];
    const known = new SessionSettings(async (names) => {
      asked.push(...names);
      return new Map(names.filter((n) => !n.startsWith('http_')).map((n) => [n, `default-${n}`]));
    }, ['a', 'b', 'http_only']);
    expect(await known.for({ a: 'mine' })).toEqual({ b: 'default-b', a: 'mine' });
    expect(await known.for(undefined)).toEqual({ a: 'default-a', b: 'default-b' });
    expect(await known.for({ c: 1 })).toEqual({ a: 'default-a', b: 'default-b', c: 1 });
    expect(await known.for({})).toEqual({ a: 'default-a', b: 'default-b', c: 'default-c' });
    // a name the engine does not know is passed as given and looked up once
    expect(await known.for({ http_x: 1 })).toEqual({ a: 'default-a', b: 'default-b', c: 'default-c', http_x: 1 });
    await known.for({ http_x: 1 });
    expect(asked).toEqual(['a', 'b', 'http_only', 'c', 'http_x']);
  });
});
