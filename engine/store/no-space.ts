/**
 * A full disk under the data folder, as one clear error: ClickHouse's NOT_ENOUGH_SPACE ("Cannot reserve … not enough
 * space"), a write that failed with ENOSPC / errno 28 (ClickHouse's or ours: the DLQ files). Whatever the store had
 * acknowledged stays (file checkpoints and insert dedup tokens): freeing space and running again finishes the input
 * with nothing lost or stored twice.
 */
const NO_SPACE = /not enough space|no space left on device|\bENOSPC\b|NOT_ENOUGH_SPACE|errno:? 28\b/i;

export class NoSpaceError extends Error {
  constructor(readonly folder: string, readonly detail: string) {
    super(`no space left on the device of the data folder ${folder} (${detail}): free space there (or pass another --db) and run again — input already stored is skipped, nothing is stored twice`);
    this.name = 'NoSpaceError';
  }
}

/** `e` as a NoSpaceError naming `folder` when it is a full disk; undefined otherwise. */
export function noSpaceError(e: unknown, folder: string): NoSpaceError | undefined {
  if (e instanceof NoSpaceError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  if (!NO_SPACE.test(msg) && code !== 'ENOSPC' && code !== '243') return undefined;
  // the first line of the engine's message, without its stack trace
  const first = msg.split('\n')[0]!.replace(/\s*Stack trace.*$/i, '').trim();
  return new NoSpaceError(folder, first.length > 300 ? `${first.slice(0, 300)}…` : first);
}
