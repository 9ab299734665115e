/**
 * Chaos scenario 7, disk full (issue #13): the embedded `run` (in-process ClickHouse) with its data folder on a small
 * tmpfs (size-limited, mounted by the test — root only) that a filler file has almost filled:
 * - the first `run` stops with one clear line naming the data folder and "no space" (exit 1, no stack trace);
 * - the filler is deleted (space freed) and a second `run` of the same input completes: charges, UDRs and rejects
 *   equal a `run` on a normal disk (count, ids, total, content hash), no row stored twice (raw rows = final rows).
 * The mount is removed at the end. Sizes by env (bench/chaos.sh disk runs 10 days × 10,000 records, 16 MiB free):
 * RATESTREAM_DISK_DAYS [3] × RATESTREAM_DISK_PER_DAY [10000] demo carrier records, RATESTREAM_DISK_FREE_MB [5].
 * Prints one `[disk] {…}` summary line. Without root (mount(2) needs CAP_SYS_ADMIN) the test is skipped and says so.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDemoFeeds } from '../../engine/demo/generate.ts';
import { embeddedRun, queryDb, ROOT, SUMMARY_SQL } from '../integration/streaming-helpers.ts';

const DAYS = Number(process.env.RATESTREAM_DISK_DAYS ?? 3);
const PER_DAY = Number(process.env.RATESTREAM_DISK_PER_DAY ?? 10_000);
const FREE_MB = Number(process.env.RATESTREAM_DISK_FREE_MB ?? 5);
/** room the whole run needs afterwards (≈ 3 MiB per 10,000 demo records measured; twice that, at least 32 MiB) */
const FILLER_MB = Math.max(32, Math.ceil((DAYS * PER_DAY) / 10_000) * 6);
const BIN = join(ROOT, 'engine', 'cli', 'bin.mjs');
const exec = promisify(execFile);

const isRoot = process.getuid?.() === 0;

async function run(input: string, db: string): Promise<{ code: number; stdout: string; stderr: string; seconds: number }> {
  const t0 = Date.now();
  try {
    const r = await exec(process.execPath, [BIN, 'run', 'pipelines/demo-carrier.yaml', '--input', input, '--db', db, '--no-progress'], { cwd: ROOT, maxBuffer: 64 << 20, env: { ...process.env, CLICKHOUSE_URL: '', DEBUG: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '', seconds: (Date.now() - t0) / 1000 };
  }
}

const SUMMARY = {
  udrs: 'SELECT count() AS final_rows, uniqExact(udr_id) AS ids FROM udrs FINAL',
  udrRows: 'SELECT count() AS raw_rows FROM udrs',
  rejects: 'SELECT count() AS n, toString(groupBitXor(cityHash64(source, reason))) AS content FROM rejects FINAL',
};

describe('chaos: disk full under the embedded data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-disk-full-'));
  const mnt = join(dir, 'mnt');
  let mounted = false;
  afterAll(() => {
    if (mounted) {
      try {
        execFileSync('umount', [mnt]);
      } catch {
        execFileSync('umount', ['-l', mnt]); // still busy (a child that did not exit yet): detach it now
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!isRoot && !process.env.CI)(`run stops with a clear "no space" error naming the folder; after space is freed a second run completes, nothing lost or doubled (${DAYS} × ${PER_DAY} records, ${FREE_MB} MiB free)`, async () => {
    const { carrierFiles } = generateDemoFeeds(join(dir, 'in'), { days: DAYS, perDay: PER_DAY });
    const input = join(dir, 'in', 'carrier');
    expect(carrierFiles.length).toBe(DAYS);
    const reference = embeddedRun('pipelines/demo-carrier.yaml', input, join(dir, 'ref'));

    // a size-limited filesystem, almost full
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${FREE_MB + FILLER_MB}m,mode=0755`, 'rs-disk-full', mnt]);
    mounted = true;
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(FILLER_MB << 20, 1));
    const db = join(mnt, 'db');
    const freeMiB = () => Math.round((statfsSync(mnt).bavail * statfsSync(mnt).bsize) / 2 ** 20);
    const freeAtStart = freeMiB();

    const first = await run(input, db);
    const message = first.stderr.trim();
    expect(first.code, `the first run should fail for lack of space:\n${first.stdout}\n${first.stderr}`).toBe(1);
    expect(message).toMatch(/^ratestream: no space left on the device of the data folder /);
    expect(message).toContain(db);
    expect(message.split('\n'), 'one line, no stack trace').toHaveLength(1);

    // space freed: the same input again
    rmSync(filler);
    const second = await run(input, db);
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);
    const already = Number(second.stdout.match(/\((\d+) already processed/)?.[1] ?? 0);
    await reference;

    const [s] = await queryDb(db, SUMMARY_SQL.charges);
    const [e] = await queryDb(join(dir, 'ref'), SUMMARY_SQL.charges);
    const [raw] = await queryDb<{ raw_rows: string }>(db, SUMMARY_SQL.rawRows);
    const [su] = await queryDb(db, SUMMARY.udrs);
    const [eu] = await queryDb(join(dir, 'ref'), SUMMARY.udrs);
    const [uraw] = await queryDb<{ raw_rows: string }>(db, SUMMARY.udrRows);
    const [sr] = await queryDb(db, SUMMARY.rejects);
    const [er] = await queryDb(join(dir, 'ref'), SUMMARY.rejects);
    expect(s).toEqual(e);
    expect(su).toEqual(eu);
    expect(sr).toEqual(er);
    expect(Number(raw!.raw_rows)).toBe(Number(s!.final_rows));
    expect(Number(uraw!.raw_rows)).toBe(Number((su as { final_rows: string }).final_rows));

    process.stderr.write(`[disk] ${JSON.stringify({
      recordsIn: DAYS * PER_DAY, files: DAYS, freeMiBAtStart: freeAtStart, firstRun: { exitCode: first.code, seconds: first.seconds, error: message },
      secondRun: { exitCode: second.code, seconds: second.seconds, filesAlreadyStored: already }, charges: Number(s!.final_rows),
      missing: Number(e!.final_rows) - Number(s!.final_rows), duplicateRows: Number(raw!.raw_rows) - Number(s!.final_rows) + Number(uraw!.raw_rows) - Number((su as { final_rows: string }).final_rows),
      rejects: Number((sr as { n: string }).n), totalsVsEmbedded: s!.total === e!.total ? `equal (${s!.total})` : `${s!.total} vs ${e!.total}`,
    })}\n`);
  });
});
