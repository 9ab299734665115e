/** `ratestream run <pipeline.yaml>`: file/stdin → mediation → rating → ClickHouse, then the summary. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { pipeline as pipe } from 'node:stream/promises';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadRuntimePipeline } from '../../runtime/driver.ts';
import { EmbeddedRunner } from '../../runtime/embedded-runner.ts';
import { FileDlq } from '../../runtime/sinks/dlq-file.ts';
import { type InputFile, listInputs } from '../../runtime/sources/file.ts';
import { stdinSourceName } from '../../runtime/sources/stdin.ts';
import { checkpointHashesOf } from '../../store/checkpoints.ts';
import type { StoreClient } from '../../store/client.ts';
import { addFile, emptyTotals, renderSummary, type Totals } from '../summary.ts';
import { addStoreOptions, creatingDataDir, openCreatingStore, type StoreFlags } from '../store-options.ts';
import { noSpaceError } from '../../store/no-space.ts';
import { recordRateTerms } from '../../rating/rate-terms.ts';

export interface RunFlags extends StoreFlags {
  input?: string;
  progress?: boolean;
  /** auto | on | off: compute in a worker thread while this thread feeds ClickHouse */
  threads?: string;
  /** the source name of stdin input (default: stdin-<UTC time>, unique per run) */
  sourceName?: string;
  /** stdin already copied to this file (in-process engine: see spoolStdin) */
  stdinFile?: string;
}

/**
 * Copy stdin to a temporary file. The in-process engine refuses inserts while the process's stdin still holds unread
 * data ("inlined and external data"), so with it stdin is read to the end first, then processed like a file under its
 * source name.
 */
export async function spoolStdin(): Promise<{ file: string; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ratestream-stdin-'));
  const file = join(dir, 'stdin');
  await pipe(process.stdin, createWriteStream(file));
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * When a worker thread pays: measured on 2 cores it does not (bench/RESULTS.md "Embedded"): the in-process
 * ClickHouse engine already works on the second core while JS computes the next batch, and the worker only adds
 * copies. So `auto` uses it from 4 cores on, for inputs of several MiB (it costs ~0.5 s to start).
 */
export const WORKER_MIN_BYTES = 8 << 20;
export const WORKER_MIN_CORES = 4;

export function useWorker(threads: string | undefined, totalBytes: number, stdin: boolean): boolean {
  if (stdin || threads === 'off') return false;
  if (threads === 'on') return true;
  return availableParallelism() >= WORKER_MIN_CORES && totalBytes >= WORKER_MIN_BYTES;
}

/** A stdin source name already in the ledger for other content would merge two sources in reconciliation: refused. */
async function refuseReusedSourceName(store: StoreClient, pipelineName: string, f: InputFile): Promise<void> {
  const seen = await checkpointHashesOf(store, pipelineName, f.name);
  if (!seen.length) return;
  if (f.path !== '-') {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(f.path)) h.update(chunk as Buffer);
    if (seen.includes(h.digest('hex'))) return; // the same content again: the checkpoint skips it
  }
  throw new Error(`source name ${f.name} is already in the ledger for pipeline ${pipelineName} with other content: choose another --source-name`);
}

/** Run one pipeline over its input; returns the totals (also used by the demo). */
export async function runPipeline(pipelineFile: string, flags: RunFlags, store: StoreClient, log: (s: string) => void): Promise<Totals> {
  const pipeline = await loadRuntimePipeline(pipelineFile);
  const input = flags.input ?? pipeline.input;
  if (!input) throw new Error(`no input: pass --input PATH (or - for stdin), or set "input:" in ${pipelineFile}`);
  if (flags.sourceName !== undefined && input !== '-') throw new Error('--source-name names stdin input (--input -); files keep their own names');
  const files = input === '-' && flags.stdinFile
    ? [{ name: stdinSourceName(flags.sourceName), path: flags.stdinFile, bytes: statSync(flags.stdinFile).size }]
    : listInputs(input, input === '-' ? stdinSourceName(flags.sourceName) : undefined);
  if (input === '-') await refuseReusedSourceName(store, pipeline.config.name, files[0]!);
  // the terms of the catalog's rates, once per version: what the charges' compact lineage leaves out
  if (pipeline.catalog) await recordRateTerms(store, pipeline.catalog);
  const totalBytes = files.reduce((a, f) => a + f.bytes, 0);
  const showBar = flags.progress !== false && process.stderr.isTTY && input !== '-' && totalBytes > 0;
  const bar = showBar ? new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} bytes | {file}', stream: process.stderr, hideCursor: true }, Presets.shades_classic) : undefined;
  bar?.start(totalBytes, 0, { file: '' });
  let done = 0;
  const runner = new EmbeddedRunner(pipeline, store, new FileDlq(join(creatingDataDir(flags, [pipelineFile]), 'dlq')), {
    onBytes: (n) => { done += n; bar?.update(Math.min(done, totalBytes)); },
    onFileStart: (f) => bar?.update(done, { file: f.name }),
  }, { worker: useWorker(flags.threads, totalBytes, input === '-') });
  const totals = emptyTotals();
  try {
    // the end of input is the end of the last file processed: pairs may span files, as in dry-run; files processed
    // by an earlier run are skipped and do not take the end-of-input flush with them
    let lastNew = files.length - 1;
    while (lastNew > 0 && !(await runner.willProcess(files[lastNew]!))) lastNew--;
    for (const [i, f] of files.entries()) {
      const r = await runner.runFile(f, undefined, i === lastNew);
      addFile(totals, r.counters, r.skipped);
    }
  } finally {
    bar?.stop();
    await runner.close();
  }
  const catalog = pipeline.catalog ? `, catalog ${pipeline.catalog.name}@${pipeline.catalog.version}` : '';
  log(renderSummary(totals, `pipeline ${pipeline.config.name} (feed ${pipeline.config.feed}, rules ${pipeline.mediation.name}@${pipeline.mediation.version}${catalog}) → ${store.mode} ClickHouse ${store.where}`));
  return totals;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('run')
      .description('mediate and rate a file, folder or stdin through a pipeline into ClickHouse, then print the summary')
      .argument('[pipeline]', 'pipeline YAML (e.g. pipelines/demo-carrier.yaml); or -p FILE as in dry-run and explain')
      .option('-p, --pipeline <file>', 'pipeline YAML (instead of the argument)')
      .option('-i, --input <path>', 'input file, folder, or - for stdin (default: the pipeline\'s input)')
      .option('--no-progress', 'no progress bar')
      .option('--source-name <name>', 'source name of stdin input in the ledger and in reject coordinates (default: stdin-<UTC time>, unique per run)')
      .option('--threads <mode>', 'auto | on | off: mediate and rate in a worker thread while the main thread writes to ClickHouse (auto: inputs of 8 MiB or more on 4+ cores)', 'auto'),
  ).action(async (arg: string | undefined, flags: RunFlags & { pipeline?: string }) => {
    if (arg && flags.pipeline && arg !== flags.pipeline) throw new Error(`two pipelines given (${arg} and -p ${flags.pipeline}): name one`);
    const pipelineFile = arg ?? flags.pipeline;
    if (!pipelineFile) throw new Error('no pipeline: ratestream run <pipeline.yaml> (or -p <pipeline.yaml>)');
    if (flags.threads && !['auto', 'on', 'off'].includes(flags.threads)) throw new Error(`--threads must be auto, on or off (got ${flags.threads})`);
    const spool = flags.input === '-' && !(flags.clickhouseUrl ?? process.env.CLICKHOUSE_URL) ? await spoolStdin() : undefined;
    try {
      const store = await openCreatingStore(flags, [pipelineFile]);
      let failed = false;
      try {
        await runPipeline(pipelineFile, { ...flags, stdinFile: spool?.file }, store, (s) => process.stdout.write(`${s}\n`));
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        // closing a store whose disk is full may fail again: then the first error is the one to report
        await store.close().catch((e: unknown) => { if (!failed) throw e; });
      }
    } catch (e) {
      // a full disk under the embedded engine's data folder: one line naming the folder (the store keeps what it acknowledged)
      if (flags.clickhouseUrl ?? process.env.CLICKHOUSE_URL) throw e;
      throw noSpaceError(e, creatingDataDir(flags, [pipelineFile])) ?? e;
    } finally {
      spool?.dispose();
    }
  });
}
