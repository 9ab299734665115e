/** Shared --db / --clickhouse-url options and opening the store with migrations applied. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openStore, type StoreClient } from '../store/client.ts';
import { migrate } from '../store/migrate.ts';

export interface StoreFlags {
  db?: string;
  clickhouseUrl?: string;
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--db <dir>', 'data folder for the in-process ClickHouse engine and the DLQ files', 'data')
    .option('--clickhouse-url <url>', 'use a ClickHouse server instead (also CLICKHOUSE_URL)');
}

export function dataDir(flags: StoreFlags): string {
  return resolve(flags.db ?? 'data');
}

export async function openMigratedStore(flags: StoreFlags): Promise<StoreClient> {
  const s = await openStore({ dbDir: join(dataDir(flags), 'clickhouse'), url: flags.clickhouseUrl });
  await migrate(s);
  return s;
}
