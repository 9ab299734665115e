/**
 * Where a process allocates its large Buffers (off-heap, V8's "external" memory): preloaded into a serve process, it
 * sums the bytes of every Buffer of 16 KiB or more made by Buffer.alloc / allocUnsafe / allocUnsafeSlow / concat, by
 * the four stack frames that asked for it, and writes the top 30 sites to DIR/alloc-tally-<pid>.txt every 5 s and at
 * exit. A diagnostic, not for production: each counted allocation takes a stack trace.
 *
 *   RATESTREAM_ALLOC_TALLY_DIR=/tmp/tally npx tsx bench/streaming-e2e.ts --records 2000000 --processes 1 \
 *     "--node-flags=--import $PWD/bench/alloc-tally.mjs"
 *
 * (Buffer.concat is counted once: its own allocUnsafe call is not, being made inside it.)
 */
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MIN_BYTES = 16 * 1024;
const dir = process.env.RATESTREAM_ALLOC_TALLY_DIR || tmpdir();
const sites = new Map();
let inside = false;

function note(bytes, skip) {
  if (bytes < MIN_BYTES || inside) return;
  const frames = (new Error().stack ?? '').split('\n').slice(skip, skip + 4).map((l) => l.trim().replace(/\(.*?\/(engine|dist|node_modules)\//, '($1/'));
  const key = frames.join(' < ');
  const e = sites.get(key) ?? { n: 0, bytes: 0, max: 0 };
  e.n++;
  e.bytes += bytes;
  if (bytes > e.max) e.max = bytes;
  sites.set(key, e);
}

for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
  const original = Buffer[name];
  Buffer[name] = function (size, ...rest) {
    note(size, 3);
    return original.call(this, size, ...rest);
  };
}
const concat = Buffer.concat;
Buffer.concat = function (list, length) {
  inside = true;
  let b;
  try {
    b = concat.call(this, list, length);
  } finally {
    inside = false;
  }
  note(b.length, 3);
  return b;
};

const MiB = (n) => (n / 2 ** 20).toFixed(1);
function dump() {
  const rows = [...sites].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 30);
  writeFileSync(join(dir, `alloc-tally-${process.pid}.txt`), rows.map(([site, e]) => `${MiB(e.bytes)} MiB  n=${e.n}  max=${Math.round(e.max / 1024)} KiB  ${site}`).join('\n') + '\n');
}
setInterval(dump, 5000).unref();
process.on('exit', dump);
