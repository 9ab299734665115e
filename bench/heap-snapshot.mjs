/**
 * A heap snapshot of a serve process at a chosen moment, for `bench/retainers.ts` (what keeps its off-heap memory:
 * the backing stores of Buffers and typed arrays, V8's "external"). Preloaded with `--expose-gc` so the snapshot is
 * taken right after a full GC (what it shows is live, not garbage waiting for a collection):
 *
 *   RATESTREAM_SNAPSHOT_AT_S=25 RATESTREAM_SNAPSHOT_DIR=/tmp/snap npx tsx bench/streaming-e2e.ts --records 2000000 \
 *     --processes 1 "--node-flags=--expose-gc --import $PWD/bench/heap-snapshot.mjs"
 *   npx tsx bench/retainers.ts /tmp/snap/*.heapsnapshot
 *
 * RATESTREAM_SNAPSHOT_AT_S: seconds after the process started (default 20); RATESTREAM_SNAPSHOT_DIR: where (default
 * the OS temp folder). A diagnostic: writing the snapshot stops the process for a second or two.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';

const at = Number(process.env.RATESTREAM_SNAPSHOT_AT_S || 20) * 1000;
const dir = process.env.RATESTREAM_SNAPSHOT_DIR || tmpdir();
setTimeout(() => {
  globalThis.gc?.();
  const file = v8.writeHeapSnapshot(join(dir, `serve-${process.pid}.heapsnapshot`));
  const m = process.memoryUsage();
  process.stderr.write(`[heap-snapshot] ${file} (heap used ${m.heapUsed >> 20} MiB, external ${m.external >> 20} MiB)\n`);
}, at).unref();
