/**
 * Shared --home / --db / --clickhouse-url options and opening the store. Three ways to open it:
 * - `openCreatingStore`: run, demo (and serve through its config) may create a store and migrate it;
 * - `openExistingStore`: every other command: a missing store, or one with no data, is a clear error (nothing is
 *   created as a side effect); pending migrations of an existing store are applied;
 * - `openReadOnlyStore`: `query`: an existing store in a read-only session (no migration either).
 * Where the store is comes from the one project root (project-root.ts), like the billing settings and pipelines.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openStore, StoreNotFoundError, type StoreClient } from '../store/client.ts';
import { migrate } from '../store/migrate.ts';
import { storeIsEmpty } from '../store/contents.ts';
import { type Project, type ProjectFlags, resolveProject } from './project-root.ts';

export interface StoreFlags extends ProjectFlags {
  clickhouseUrl?: string;
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--home <dir>', 'project folder (default: RATESTREAM_HOME, else the project of the files named, else the one holding the working directory)')
    .option('--db <dir>', 'data folder of the in-process ClickHouse engine and the DLQ files (default: RATESTREAM_DB, else <project>/data)')
    .option('--clickhouse-url <url>', 'use a ClickHouse server instead (also CLICKHOUSE_URL)');
}

const serverUrl = (flags: StoreFlags) => flags.clickhouseUrl ?? process.env.CLICKHOUSE_URL;

/** The data folder of a command that may create it: the project's data/, else ./data. */
export function creatingDataDir(flags: StoreFlags, anchors: readonly (string | undefined)[] = []): string {
  const p = resolveProject(flags, anchors);
  return p.dataDir ?? resolve('data');
}

/** The data folder of an existing store (DLQ files, default report folders); an error when none can be found. */
export function existingDataDir(flags: StoreFlags, anchors: readonly (string | undefined)[] = []): string {
  const p = resolveProject(flags, anchors);
  if (p.dataDir) return p.dataDir;
  if (serverUrl(flags)) throw new Error('no data folder for the files this command writes: pass --out, or --db DIR / --home DIR');
  throw new StoreNotFoundError(noProjectMessage());
}

function noProjectMessage(): string {
  return `no ratestream store here (${process.cwd()} is not in a ratestream project): run in the project folder, or pass --db DIR / --home DIR (or set RATESTREAM_DB / RATESTREAM_HOME); \`ratestream run\` or \`ratestream demo\` create a store`;
}

export async function openCreatingStore(flags: StoreFlags, anchors: readonly (string | undefined)[] = []): Promise<StoreClient> {
  const s = await openStore({ dbDir: join(creatingDataDir(flags, anchors), 'clickhouse'), url: flags.clickhouseUrl });
  await migrate(s);
  return s;
}

/** The project, store folder and a readable name of the store, for messages. */
function target(flags: StoreFlags, anchors: readonly (string | undefined)[]): { project: Project; dbDir?: string; url?: string } {
  const url = serverUrl(flags);
  const project = resolveProject(flags, anchors);
  if (url) return { project, url };
  if (!project.dataDir) throw new StoreNotFoundError(noProjectMessage());
  return { project, dbDir: join(project.dataDir, 'clickhouse') };
}

async function openOrExplain(flags: StoreFlags, anchors: readonly (string | undefined)[], readonly: boolean, settings?: Record<string, string | number>): Promise<StoreClient> {
  const t = target(flags, anchors);
  try {
    return await openStore({ dbDir: t.dbDir, url: t.url, create: false, readonly, settings });
  } catch (e) {
    if (e instanceof StoreNotFoundError) {
      const where = t.url ? '' : ` (store from ${t.project.via})`;
      throw new StoreNotFoundError(`${e.message}${where}: run \`ratestream run <pipeline>\` (or \`ratestream demo\`) first, or point at the store with --db DIR / --home DIR`);
    }
    throw e;
  }
}

async function refuseEmpty(s: StoreClient): Promise<void> {
  if (await storeIsEmpty(s)) {
    throw new StoreNotFoundError(`the store ${s.where} holds no data (no ingested files, UDRs, charges or rejects): run \`ratestream run <pipeline>\` first, or point at the right store with --db DIR / --home DIR`);
  }
}

/** An existing store with data, migrated to the current schema. */
export async function openExistingStore(flags: StoreFlags, anchors: readonly (string | undefined)[] = []): Promise<StoreClient> {
  const s = await openOrExplain(flags, anchors, false);
  try {
    await migrate(s);
    await refuseEmpty(s);
    return s;
  } catch (e) {
    await s.close();
    throw e;
  }
}

/** An existing store with data, in a read-only session (`readonly = 1`): for user SQL. */
export async function openReadOnlyStore(flags: StoreFlags, settings?: Record<string, string | number>): Promise<StoreClient> {
  const s = await openOrExplain(flags, [], true, settings);
  try {
    await refuseEmpty(s);
    return s;
  } catch (e) {
    await s.close();
    throw e;
  }
}
