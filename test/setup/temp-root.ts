/**
 * vitest globalSetup of both projects: every temporary folder of the run lives under one folder of its own, removed at
 * the end. TMPDIR is set before the test workers start, so `os.tmpdir()` in the tests, in the worker processes and in
 * every process they spawn (CLI runs, serve, bench helpers) points inside it: tests clean up even what a failed or
 * killed test left behind. Listed first, so its teardown runs last (after the services are stopped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'ratestream-test-'));
  process.env.RATESTREAM_HOST_TMPDIR ??= before ?? '';
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true });
  };
}
