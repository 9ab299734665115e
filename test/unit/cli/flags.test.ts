/**
 * One meaning per short flag across every command (`-p` is `--pipeline` everywhere; `--period`, `--config`,
 * `--http-port` are long only), and an input that is an empty folder ends with one clear error line.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../engine/cli/main.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'engine/cli/bin.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'rs-flags-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function allCommands(c: Command, path = ''): { path: string; cmd: Command }[] {
  return c.commands.flatMap((s) => [{ path: `${path}${s.name()}`, cmd: s }, ...allCommands(s, `${path}${s.name()} `)]);
}

describe('flags', () => {
  it('each short flag stands for the same long flag in every command', async () => {
    const program = await buildProgram(['node', 'ratestream'], 'all');
    const meanings = new Map<string, Map<string, string[]>>();
    for (const { path, cmd } of allCommands(program)) {
      for (const o of cmd.options) {
        if (!o.short || !o.long) continue;
        const m = meanings.get(o.short) ?? new Map<string, string[]>();
        m.set(o.long, [...(m.get(o.long) ?? []), path]);
        meanings.set(o.short, m);
      }
    }
    const clashes = [...meanings].filter(([, m]) => m.size > 1).map(([s, m]) => `${s}: ${[...m].map(([l, cs]) => `${l} (${cs.join(', ')})`).join(' vs ')}`);
    expect(clashes).toEqual([]);
    expect([...meanings.get('-p')!.keys()]).toEqual(['--pipeline']);
    expect([...meanings.get('-c')!.keys()]).toEqual(['--catalog']);
    for (const { path, cmd } of allCommands(program)) {
      for (const long of ['--period', '--config', '--http-port', '--port']) {
        const o = cmd.options.find((x) => x.long === long);
        if (o) expect(o.short, `${path} ${long}`).toBeUndefined();
      }
    }
  });

  it('run takes its pipeline as the argument or as -p, like dry-run and explain', () => {
    const none = spawnSync(process.execPath, [BIN, 'run'], { encoding: 'utf8', cwd: tmp });
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe('ratestream: no pipeline: ratestream run <pipeline.yaml> (or -p <pipeline.yaml>)');
    const two = spawnSync(process.execPath, [BIN, 'run', 'a.yaml', '-p', 'b.yaml'], { encoding: 'utf8', cwd: tmp });
    expect(two.status).toBe(1);
    expect(two.stderr.trim()).toBe('ratestream: two pipelines given (a.yaml and -p b.yaml): name one');
  });

  it('a command that took -p for the period asks for --period', () => {
    const r = spawnSync(process.execPath, [BIN, 'gl', '-p', '2026-10'], { encoding: 'utf8', cwd: tmp });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("required option '--period <YYYY-MM>' not specified");
  });
});

describe('empty input folder', () => {
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, '.hidden'), 'x\n');

  it('dry-run ends with one clear error and exit 1', () => {
    const r = spawnSync(process.execPath, [BIN, 'dry-run', '-p', join(ROOT, 'pipelines/demo-carrier.yaml'), '-i', empty], { encoding: 'utf8', cwd: tmp });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`ratestream: input folder ${empty} has no files to read (names starting with "." are skipped)`);
    expect(r.stdout).toBe('');
  });

  it('run ends with the same error and exit 1, recording nothing', () => {
    const r = spawnSync(process.execPath, [BIN, 'run', '-p', join(ROOT, 'pipelines/demo-carrier.yaml'), '-i', empty, '--db', join(tmp, 'data')], { encoding: 'utf8', cwd: tmp });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`ratestream: input folder ${empty} has no files to read (names starting with "." are skipped)`);
    expect(r.stdout).not.toContain('records read');
  });

  it('a missing input is an error too', () => {
    const r = spawnSync(process.execPath, [BIN, 'dry-run', '-p', join(ROOT, 'pipelines/demo-carrier.yaml'), '-i', join(tmp, 'nope')], { encoding: 'utf8', cwd: tmp });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`ratestream: input ${join(tmp, 'nope')} does not exist`);
  });
});
