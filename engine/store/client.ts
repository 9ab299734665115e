/**
 * One ClickHouse client, two transports: the in-process engine (chDB through @clickhouse/client's pluggable
 * connection; data under ./data/ by default) or a ClickHouse server over HTTP (CLICKHOUSE_URL / --clickhouse-url).
 * The same SQL and migrations serve both.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ChdbExtension } from 'chdb/connection';
import { scopeSettings, SessionSettings, settingDefaults } from './chdb-settings.ts';

export interface StoreOptions {
  /** folder for the in-process engine (default ./data/clickhouse) */
  dbDir?: string;
  /** ClickHouse server URL (http://user:pass@host:8123); wins over dbDir */
  url?: string;
  database?: string;
  /** create the folder and database when missing (default true); false: a missing store is a StoreNotFoundError */
  create?: boolean;
  /**
   * read-only session (ClickHouse `readonly = 1`): no INSERT, ALTER, DROP, CREATE, TRUNCATE, OPTIMIZE, no table
   * functions, no setting changes. In-process, the setting holds for the whole engine of this process.
   */
  readonly?: boolean;
  /** session settings applied before `readonly` (e.g. output formats) */
  settings?: Record<string, string | number>;
}

/** The store a command needs does not exist (never created as a side effect). */
export class StoreNotFoundError extends Error {}

export interface StoreClient {
  client: ClickHouseClient;
  database: string;
  mode: 'embedded' | 'server';
  where: string;
  /** the in-process engine's own insert path (Buffer passthrough, parsed by the engine's threads); embedded only */
  chdb?: ChdbExtension;
  close(): Promise<void>;
}

export const DEFAULT_DATABASE = 'ratestream';

/** chDB allows one engine per process: share it between callers of the same folder. */
const embedded = new Map<string, { client: ClickHouseClient; chdb: ChdbExtension; refs: number; readonly: boolean }>();

async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const r = await client.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {d:String}', query_params: { d: database }, format: 'JSONEachRow' });
  return Number(((await r.json()) as { n: string | number }[])[0]?.n ?? 0) > 0;
}

export async function openStore(opts: StoreOptions = {}): Promise<StoreClient> {
  const database = opts.database ?? DEFAULT_DATABASE;
  const url = opts.url ?? process.env.CLICKHOUSE_URL;
  const create = opts.create ?? true;
  if (url) {
    const safe = new URL(url);
    safe.password = '';
    const boot = createClient({ url, request_timeout: 60_000 });
    try {
      if (create) await boot.command({ query: `CREATE DATABASE IF NOT EXISTS ${ident(database)}` });
      else if (!(await databaseExists(boot, database))) throw new StoreNotFoundError(`no ratestream store on ${safe}: database ${database} does not exist`);
    } finally {
      await boot.close();
    }
    // readonly goes last: the server applies the settings of a request in order
    const settings = { date_time_output_format: 'iso', ...opts.settings, ...(opts.readonly ? { readonly: '1' } : {}) };
    const client = createClient({ url, database, request_timeout: 120_000, clickhouse_settings: settings as never });
    return { client, database, mode: 'server', where: safe.toString(), close: () => client.close() };
  }
  const dir = resolve(opts.dbDir ?? 'data/clickhouse');
  let entry = embedded.get(dir);
  if (entry && entry.readonly !== !!opts.readonly) {
    throw new Error(`the store ${dir} is already open ${entry.readonly ? 'read-only' : 'read-write'} in this process`);
  }
  if (!entry) {
    if (!create && !existsSync(dir)) throw new StoreNotFoundError(`no ratestream store in ${dir}`);
    mkdirSync(dir, { recursive: true });
    const { createChdbConnection } = await import('chdb/connection');
    const connection = createChdbConnection({ path: dir });
    // per-query settings end with their query, as over HTTP (a read-only session refuses every SET: it gets none)
    const scoped = opts.readonly ? undefined : new SessionSettings(settingDefaults(connection.chdb));
    const client = createClient({ connection: scoped ? scopeSettings(connection, scoped) : connection } as never);
    if (create) await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${ident(database)}` });
    else if (!(await databaseExists(client, database))) {
      await client.close();
      throw new StoreNotFoundError(`no ratestream store in ${dir}: database ${database} does not exist`);
    }
    // the chDB session keeps its current database: `FROM charges` works in `ratestream query`
    await client.command({ query: `USE ${ident(database)}` });
    // session settings, then read-only for the rest of the session (SET statements, so `readonly` is the last one)
    for (const [k, v] of Object.entries(opts.settings ?? {})) {
      await client.command({ query: `SET ${ident(k).slice(1, -1)} = ${typeof v === 'number' ? v : `'${v.replace(/'/g, "''")}'`}` });
      await scoped?.keep(k, String(v));
    }
    if (opts.readonly) await client.command({ query: 'SET readonly = 1' });
    entry = { client, chdb: connection.chdb, refs: 0, readonly: !!opts.readonly };
    embedded.set(dir, entry);
  }
  entry.refs++;
  const e = entry;
  return {
    client: e.client,
    chdb: e.chdb,
    database,
    mode: 'embedded',
    where: dir,
    close: async () => {
      if (--e.refs === 0) {
        embedded.delete(dir);
        await e.client.close();
      }
    },
  };
}

/** Quote an identifier we generate (database/table names); refuses anything but [A-Za-z0-9_]. */
export function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/** Fully qualified table name. */
export function table(s: Pick<StoreClient, 'database'>, name: string): string {
  return `${ident(s.database)}.${ident(name)}`;
}

/**
 * Settings for SQL whose result columns we do not know (`ratestream query`): Decimal and 64-bit integer values come
 * back as exact strings. Without them JSON carries them as numbers, and a JS float would hold (and round) money.
 */
export const EXACT_JSON_SETTINGS = { output_format_json_quote_decimals: 1, output_format_json_quote_64bit_integers: 1 } as const;

/** Run a query and return rows as objects. */
export async function queryRows<T = Record<string, unknown>>(s: StoreClient, sql: string, params?: Record<string, unknown>,
  settings?: typeof EXACT_JSON_SETTINGS): Promise<T[]> {
  const r = await s.client.query({ query: sql, format: 'JSONEachRow', query_params: params, clickhouse_settings: settings });
  return (await r.json()) as T[];
}
