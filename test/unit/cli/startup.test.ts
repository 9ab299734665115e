/**
 * Start-up: `--version`, a `--help` that loads no command (nor chDB, Kafka, PDF, HTTP), only the named command
 * loaded, and the compiled dist/ (imports rewritten to .js, worker shim, freshness stamp).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../engine/cli/commands/index.ts';
import { buildProgram, commandOf } from '../../../engine/cli/main.ts';
// @ts-expect-error plain ES module without types
import { buildDist, distIsFresh, newestSourceMtime } from '../../../engine/cli/build-dist.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'engine/cli/bin.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'rs-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run the CLI with a module-resolution hook that logs every URL it loads. */
function cliLoading(args: string[]): { stdout: string; stderr: string; status: number | null; loaded: string[] } {
  const log = join(tmp, `load-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(join(tmp, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) { const r = await next(spec, ctx); appendFileSync(process.env.RS_LOAD_LOG, r.url + '\\n'); return r; }\n`);
  writeFileSync(join(tmp, 'register.mjs'), `import { register } from 'node:module'; register('./hooks.mjs', import.meta.url);\n`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(tmp, 'register.mjs')).href, BIN, ...args], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, RS_LOAD_LOG: log },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const HEAVY = ['/node_modules/chdb/', '/node_modules/@clickhouse/', '/node_modules/pdfkit/', '/node_modules/kafkajs/', '/node_modules/fastify/', '/node_modules/zod/'];

describe('ratestream start-up', () => {
  it('--version prints the package version', () => {
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('--help lists every command with its summary and loads none of them', () => {
    const r = cliLoading(['--help']);
    expect(r.status).toBe(0);
    const listed = new Map(r.stdout.split('\n').map((l) => /^  (\S+) +(.+)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));
    for (const c of COMMANDS) expect(listed.get(c.name), c.name).toBe(c.summary);
    const commandModules = r.loaded.filter((u) => /\/cli\/commands\/(?!index\.)[^/]+\.(ts|js)$/.test(u));
    expect(commandModules).toEqual([]);
    expect(r.loaded.filter((u) => HEAVY.some((h) => u.includes(h)))).toEqual([]);
  });

  it('a command loads only its own module', () => {
    const r = cliLoading(['list', 'parsers']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^parsers \(\d+\):/);
    const commandModules = r.loaded.filter((u) => /\/cli\/commands\/[^/]+\.(ts|js)$/.test(u)).map((u) => u.split('/').pop()!.replace(/\.(ts|js)$/, ''));
    expect(commandModules).toContain('list');
    // other commands' modules stay unloaded (rate.ts may come along while rating imports its toUdr helper)
    for (const other of COMMANDS.map((c) => c.name).filter((n) => n !== 'list' && n !== 'rate')) expect(commandModules).not.toContain(other);
    expect(r.loaded.filter((u) => ['/node_modules/chdb/', '/node_modules/pdfkit/', '/node_modules/kafkajs/', '/node_modules/fastify/'].some((h) => u.includes(h)))).toEqual([]);
  });

  it('`help <command>` and an unknown command behave as before', () => {
    const h = spawnSync(process.execPath, [BIN, 'help', 'invoice'], { encoding: 'utf8' });
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Usage: ratestream invoice [options]');
    expect(h.stdout).toContain('--period <YYYY-MM>');
    const u = spawnSync(process.execPath, [BIN, 'invoce'], { encoding: 'utf8' });
    expect(u.status).not.toBe(0);
    expect(u.stderr).toContain("unknown command 'invoce'");
    expect(u.stderr).toContain('invoice');
  });

  it('the registry names the command each module registers', async () => {
    const program = await buildProgram(['node', 'ratestream'], 'all');
    expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
    for (const c of program.commands) expect(c.description().length).toBeGreaterThan(0);
    for (const c of COMMANDS) expect(c.summary.length, c.name).toBeLessThanOrEqual(62); // one line in an 80-column --help
    expect(commandOf(['invoice', '--period', '2026-10'])).toBe('invoice');
    expect(commandOf(['help', 'gl'])).toBe('gl');
    expect(commandOf(['--help'])).toBeUndefined();
  });
});

describe('dist build', () => {
  const out = join(tmp, 'dist');

  it('compiles every source to .js with .js imports, plus the worker shim', async () => {
    const r = await buildDist(out);
    const js: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.js')) js.push(relative(out, p));
      }
    };
    walk(out);
    expect(js.length).toBe(r.files);
    expect(js).toContain(join('cli', 'main.js'));
    expect(js).toContain(join('runtime', 'embedded-worker.js'));
    for (const f of js) {
      const src = readFileSync(join(out, f), 'utf8');
      expect(src, f).not.toMatch(/(from\s*|import\()\s*["']\.{1,2}\/[^"']*\.ts["']/);
    }
    expect(readFileSync(join(out, 'cli/commands/index.js'), 'utf8')).toContain('import("./run.js")');
    expect(readFileSync(join(out, 'runtime/embedded-worker.mjs'), 'utf8')).toContain("import('./embedded-worker.js')");
  });

  it('is fresh only when built after the newest source change', () => {
    expect(distIsFresh(out)).toBe(true);
    const stamp = join(out, '.build-stamp.json');
    const s = JSON.parse(readFileSync(stamp, 'utf8'));
    writeFileSync(stamp, JSON.stringify({ ...s, startedMs: newestSourceMtime() - 1 }));
    expect(distIsFresh(out)).toBe(false);
    rmSync(stamp);
    expect(distIsFresh(out)).toBe(false);
    expect(distIsFresh(join(tmp, 'nowhere'))).toBe(false);
  });
});
