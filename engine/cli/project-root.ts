/**
 * One project root for every command, so the store (`--db`), the billing settings (`--billing`) and the pipelines
 * (`--pipelines`) always come from the same place:
 *   1. `--home DIR`, else `RATESTREAM_HOME`;
 *   2. else the project holding the file or folder the user named (a pipeline, `--billing`, `--db`): the nearest folder
 *      at or above it that looks like a ratestream project (has `pipelines/`, `rules/billing/billing.yaml` or a store
 *      `data/clickhouse/`), else the folder holding that file;
 *   3. else the nearest such project at or above the working directory;
 *   4. else none: commands that need one say how to point at it (nothing is created by a guess).
 * Then: store = `--db` ?? `RATESTREAM_DB` ?? `<root>/data`; billing = `--billing` ?? `<root>/rules/billing/billing.yaml`;
 * pipelines = `--pipelines` ?? `<root>/pipelines`.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface ProjectFlags {
  home?: string;
  db?: string;
  billing?: string;
  pipelines?: string;
}

export interface Project {
  /** the project root, when one was found */
  root?: string;
  /** how the root was found (for messages) */
  via: string;
  /** the data folder (store under <data>/clickhouse, DLQ files, default report folders) */
  dataDir?: string;
}

export const BILLING_IN_ROOT = join('rules', 'billing', 'billing.yaml');
export const PIPELINES_IN_ROOT = 'pipelines';
export const DATA_IN_ROOT = 'data';

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Does this folder look like a ratestream project? */
export function isProjectRoot(dir: string): boolean {
  return isDir(join(dir, PIPELINES_IN_ROOT)) || existsSync(join(dir, BILLING_IN_ROOT)) || isDir(join(dir, DATA_IN_ROOT, 'clickhouse'));
}

/** The nearest project root at or above `start` (a file or a folder). */
export function projectRootAbove(start: string): string | undefined {
  let dir = resolve(start);
  if (existsSync(dir) && !statSync(dir).isDirectory()) dir = dirname(dir);
  for (;;) {
    if (isProjectRoot(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Resolve the project root. `anchors` are the files/folders the user named on the command line, most specific first
 * (a pipeline file, `--billing`, `--db`).
 */
export function resolveProject(flags: ProjectFlags, anchors: readonly (string | undefined)[] = [], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Project {
  let root: string | undefined;
  let via: string;
  if (flags.home) {
    root = resolve(cwd, flags.home);
    via = '--home';
  } else if (env.RATESTREAM_HOME) {
    root = resolve(cwd, env.RATESTREAM_HOME);
    via = 'RATESTREAM_HOME';
  } else {
    const anchor = anchors.find((a): a is string => !!a);
    if (anchor) {
      const abs = resolve(cwd, anchor);
      root = projectRootAbove(abs) ?? (isDir(abs) ? abs : dirname(abs));
      via = `the project of ${anchor}`;
    } else {
      root = projectRootAbove(cwd);
      via = 'the working directory';
    }
  }
  const db = flags.db ?? env.RATESTREAM_DB;
  const dataDir = db ? resolve(cwd, db) : root ? join(root, DATA_IN_ROOT) : undefined;
  return { root, via: flags.db ? '--db' : env.RATESTREAM_DB ? 'RATESTREAM_DB' : via, dataDir };
}

/** The billing settings file of the project (or `--billing`). */
export function billingFile(flags: ProjectFlags, project: Project): string {
  if (flags.billing) return resolve(flags.billing);
  if (!project.root) throw new Error(`no billing settings: run in a ratestream project (a folder with ${BILLING_IN_ROOT}), or pass --billing FILE / --home DIR (or set RATESTREAM_HOME)`);
  const f = join(project.root, BILLING_IN_ROOT);
  if (!existsSync(f)) throw new Error(`no billing settings: ${f} does not exist (pass --billing FILE)`);
  return f;
}

/** The pipelines folder of the project (or `--pipelines`). */
export function pipelinesDir(flags: ProjectFlags, project: Project): string {
  if (flags.pipelines) return resolve(flags.pipelines);
  if (!project.root) throw new Error(`no pipelines folder: run in a ratestream project, or pass --pipelines DIR / --home DIR (or set RATESTREAM_HOME)`);
  return join(project.root, PIPELINES_IN_ROOT);
}
