/**
 * Embedded end-to-end throughput: generated demo carrier CDRs (CSV) → mediation → rating → the in-process
 * ClickHouse engine (chDB), through the same EmbeddedRunner `ratestream run` uses. One process.
 *
 *   npx tsx bench/embedded.ts [--records 500000] [--threads on|off] [--pipeline pipelines/demo-carrier.yaml]
 *
 * Reports records/s (wall), CPU-seconds per million records (user + system of this process, chDB's threads
 * included) and peak RSS. `--threads on` computes in a worker thread while the main thread feeds ClickHouse.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateDemoFeeds } from '../engine/demo/generate.ts';
import { loadPipeline } from '../engine/pipeline/load.ts';
import { EmbeddedRunner } from '../engine/runtime/embedded-runner.ts';
import { listInputs } from '../engine/runtime/sources/file.ts';
import { openStore } from '../engine/store/client.ts';
import { migrate } from '../engine/store/migrate.ts';

const args = process.argv.slice(2);
const arg = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : d;
};
const records = Number(arg('records', '500000'));
const pipelineFile = resolve(arg('pipeline', 'pipelines/demo-carrier.yaml'));
const threads = arg('threads', 'on');

const dir = mkdtempSync(join(tmpdir(), 'rs-bench-embedded-'));
const gen = generateDemoFeeds(join(dir, 'feeds'), { days: 1, perDay: records });
const store = await openStore({ dbDir: join(dir, 'ch') });
await migrate(store);
const pipeline = loadPipeline(pipelineFile);
const [input] = listInputs(gen.carrierFiles[0]!);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const runner = new EmbeddedRunner(pipeline, store, undefined, {}, { worker: threads === 'on' });
const r = await runner.runFile(input!);
await runner.close();
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await store.close();
rmSync(dir, { recursive: true, force: true });

const c = r.counters;
const cpuSec = (cpu.user + cpu.system) / 1e6;
const out = {
  threads, records: c.records, udrs: c.udrs, charges: c.charges, bytes: input!.bytes,
  wallSeconds: +wall.toFixed(2),
  recordsPerSecond: Math.round(c.records / wall),
  cpuSecondsPerMillion: +((cpuSec / c.records) * 1e6).toFixed(2),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(out));
