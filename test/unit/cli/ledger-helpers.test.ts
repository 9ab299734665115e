/** The pure parts of ledger safety: project-root resolution, SQL error positions, stdin source names, per-run report folders. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFolder } from '../../../engine/cli/commands/rerate.ts';
import { stdinSourceName } from '../../../engine/runtime/sources/stdin.ts';
import { billingFile, resolveProject } from '../../../engine/cli/project-root.ts';
import { cleanSql, explainSqlError, lineCol } from '../../../engine/store/user-query.ts';

const base = mkdtempSync(join(tmpdir(), 'rs-ledger-unit-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('project root', () => {
  const project = join(base, 'proj');
  mkdirSync(join(project, 'pipelines'), { recursive: true });
  mkdirSync(join(project, 'rules/billing'), { recursive: true });
  writeFileSync(join(project, 'rules/billing/billing.yaml'), 'kind: billing\n');
  const elsewhere = join(base, 'elsewhere');
  mkdirSync(elsewhere, { recursive: true });

  it('flag, then env, then the project of a named file, then the working directory; store and billing from the same root', () => {
    expect(resolveProject({ home: project }, [], {}, elsewhere)).toMatchObject({ root: project, dataDir: join(project, 'data'), via: '--home' });
    expect(resolveProject({}, [], { RATESTREAM_HOME: project }, elsewhere)).toMatchObject({ root: project, via: 'RATESTREAM_HOME' });
    const viaBilling = resolveProject({}, [join(project, 'rules/billing/billing.yaml')], {}, elsewhere);
    expect(viaBilling).toMatchObject({ root: project, dataDir: join(project, 'data') });
    expect(resolveProject({}, [], {}, join(project, 'pipelines'))).toMatchObject({ root: project, dataDir: join(project, 'data'), via: 'the working directory' });
    expect(billingFile({}, viaBilling)).toBe(join(project, 'rules/billing/billing.yaml'));
  });

  it('outside any project: no root and no store; --db / RATESTREAM_DB name the store', () => {
    const none = resolveProject({}, [], {}, elsewhere);
    expect(none.root).toBeUndefined();
    expect(none.dataDir).toBeUndefined();
    expect(() => billingFile({}, none)).toThrow(/^no billing settings: run in a ratestream project/);
    expect(resolveProject({}, [], { RATESTREAM_DB: 'x' }, elsewhere)).toMatchObject({ dataDir: join(elsewhere, 'x'), via: 'RATESTREAM_DB' });
    expect(resolveProject({ db: 'y' }, [], { RATESTREAM_DB: 'x' }, elsewhere)).toMatchObject({ dataDir: join(elsewhere, 'y'), via: '--db' });
  });
});

describe('SQL errors point into the SQL as written', () => {
  it('line and column of a 1-based position', () => {
    expect(lineCol('SELECT 1', 8)).toEqual({ line: 1, col: 8 });
    expect(lineCol('SELECT\n  x', 10)).toEqual({ line: 2, col: 3 });
  });

  it('rewrites the engine message: position shifted by leading blanks (the client trims), echo dropped, caret under the column', () => {
    const sql = '\n  SELECT a b c FROM charges';
    const msg = 'Syntax error: failed at position 12 (c): c FROM charges. Expected one of: token, Comma, FROM, PREWHERE, WHERE, GROUP BY, WITH, HAVING, WINDOW, QUALIFY. ';
    expect(explainSqlError(msg, sql)).toBe('SQL syntax error at line 2, column 14: expected one of: token, Comma, FROM, PREWHERE, WHERE, GROUP BY, WITH, HAVING, …\n    SELECT a b c FROM charges\n               ^');
    expect(explainSqlError('Syntax error: failed at position 11 (end of query): . Expected one of: token, OR. ', 'SELECT 1 +'))
      .toBe('SQL syntax error at the end of the SQL: expected one of: token, OR\n  SELECT 1 +\n            ^');
  });

  it('says plainly that writes and setting changes are refused', () => {
    expect(explainSqlError('default: Cannot execute query in readonly mode. ', 'DROP TABLE charges')).toMatch(/^refused: `ratestream query` is read-only/);
    expect(explainSqlError("Cannot modify 'max_threads' setting in readonly mode. ", 'SELECT 1 SETTINGS max_threads = 1')).toBe('refused: `ratestream query` is read-only and cannot change settings (max_threads)');
  });

  it('keeps leading text (positions) and drops trailing semicolons', () => {
    expect(cleanSql('  SELECT 1;; \n')).toBe('  SELECT 1');
  });
});

describe('names per run', () => {
  it('stdin source names: unique per run by time, or the one given (checked)', () => {
    expect(stdinSourceName(undefined, new Date('2026-12-03T20:15:12.345Z'))).toBe('stdin-20261203T201512-345Z');
    expect(stdinSourceName('gateway-7.csv')).toBe('gateway-7.csv');
    expect(() => stdinSourceName('../x')).toThrow(/--source-name must be/);
  });

  it('rerate reports: one new folder per run, never an overwrite', () => {
    const now = new Date('2026-12-03T20:15:12.345Z');
    const first = runFolder(base, now);
    expect(first).toBe(join(base, '20261203T201512-345Z'));
    mkdirSync(first);
    expect(runFolder(base, now)).toBe(join(base, '20261203T201512-345Z-2'));
    expect(runFolder(base, now, true)).toBe(join(base, '20261203T201512-345Z-dry-run'));
  });
});
