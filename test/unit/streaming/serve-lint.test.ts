/**
 * `kind: serve` is a YAML kind like the others: the repository's serve configs lint clean, a broken one reports every
 * problem as file:line:col (schema, pipelines that are missing or do not compile, drop directories on unknown feeds,
 * ingest without a token), and `ratestream lint deploy/serve.local.yaml deploy/compose/*.yaml` exits 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintPaths } from '../../../engine/cli/commands/lint.ts';
import { formatProblem } from '../../../engine/config/yaml-loader.ts';
import { checkFile, KIND_REGISTRY } from '../../../engine/cli/kinds.ts';
import { loadServeConfig } from '../../../engine/runtime/streaming/config.ts';

const root = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'rs-serve-lint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}

describe('lint: kind serve', () => {
  it('is a registered kind with the serve config schema', () => {
    expect(KIND_REGISTRY.get('serve')?.description).toMatch(/streaming deployment/);
  });

  it("the repository's serve configs lint clean; the compose file beside them is skipped, not failed", () => {
    const r = lintPaths([resolve(root, 'deploy/serve.local.yaml'), resolve(root, 'deploy/compose')]);
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.files).toBe(2);
    expect(r.skipped).toEqual([expect.stringMatching(/docker-compose\.yaml: skipped, a Docker Compose file/)]);
  });

  it('skips Kubernetes manifests with a note, but a YAML file of ours without `kind:` is still a problem', () => {
    const k8s = lintPaths([resolve(root, 'deploy/k8s')]);
    expect(k8s.files).toBe(0);
    expect(k8s.problems).toEqual([]);
    expect(k8s.skipped.length).toBeGreaterThan(5);
    expect(k8s.skipped.every((s) => s.includes('a Kubernetes manifest'))).toBe(true);
    const f = write('nokind.yaml', 'name: t\npipelines: [a.yaml]\n');
    expect(checkFile(f).map(formatProblem)).toEqual([expect.stringMatching(new RegExp(`^${f}:1:1: missing "kind" \\(one of: .*serve`))]);
    const u = write('typo.yaml', 'kind: serv\npipelines: [a.yaml]\n');
    expect(checkFile(u).map(formatProblem)).toEqual([expect.stringMatching(new RegExp(`^${u}:1:1: unknown kind "serv"`))]);
  });

  it('reports every problem of a broken serve config at its file:line:col', () => {
    const pipeline = resolve(root, 'pipelines/demo-carrier.yaml');
    const f = write('broken.serve.yaml', `kind: serve
name: t
pipelines:
  - ${pipeline}
  - missing.pipeline.yaml
roles: [mediate, price]
topics: { partitions: 0 }
kafka:
  brokres: [localhost:9092]
`);
    expect(checkFile(f).map(formatProblem)).toEqual([
      `${f}:6:18: roles.1: Invalid option: expected one of "mediate"|"rate"|"sink"`,
      `${f}:7:11: topics.partitions: Too small: expected number to be >=1`,
      `${f}:9:3: kafka: unknown key "brokres" (did you mean "brokers"?)`,
    ]);
  });

  it('past the schema: missing pipelines, unknown drop-directory feeds, ingest without a token, one feed twice', () => {
    const pipeline = resolve(root, 'pipelines/demo-carrier.yaml');
    const f = write('refs.serve.yaml', `kind: serve
pipelines:
  - ${pipeline}
  - ${pipeline}
ingest: { max-records: 10 }
watch:
  - { dir: landing, feed: carrier-cdr }
  - { dir: landing2, feed: no-such-feed }
`);
    expect(checkFile(f).map(formatProblem)).toEqual([
      `${f}:4:5: pipelines[1]: feed carrier-cdr is already named by ${pipeline}`,
      `${f}:5:1: ingest: enabled but no token (token-env: NAME, token-file: PATH or token: { env: NAME })`,
      `${f}:8:22: watch[1].feed: no-such-feed is not one of the pipelines' feeds (carrier-cdr)`,
    ]);
    const g = write('missing.serve.yaml', 'kind: serve\npipelines: [nope.yaml]\n');
    expect(checkFile(g).map(formatProblem)).toEqual([`${g}:2:13: pipelines[0]: nope.yaml does not exist`]);
  });

  it('a problem inside a named pipeline is reported in that pipeline file', () => {
    write('bad.pipeline.yaml', 'kind: pipeline\nname: bad\nfeed: x\nmediation: no-such-rules.yaml\n');
    const f = write('inner.serve.yaml', `kind: serve\npipelines: [bad.pipeline.yaml]\n`);
    const problems = checkFile(f);
    expect(formatProblem(problems[0]!)).toBe(`${f}:2:13: pipelines[0]: bad.pipeline.yaml has 1 problem(s)`);
    expect(problems[1]!.file).toBe(join(tmp, 'no-such-rules.yaml'));
    expect(problems).toHaveLength(2);
  });

  it('serve --config still loads a config with the kind header and the $schema line', () => {
    expect(loadServeConfig(resolve(root, 'deploy/serve.local.yaml')).config.name).toBe('ratestream-dev');
  });

  it('the CLI: `ratestream lint deploy/serve.local.yaml deploy/compose/*.yaml` exits 0', () => {
    const r = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'lint', 'deploy/serve.local.yaml', 'deploy/compose/docker-compose.yaml', 'deploy/compose/serve.yaml'],
      { cwd: root, encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('2 file(s) checked, 0 problem(s), 1 skipped');
    expect(r.status).toBe(0);
  }, 60_000);
});
