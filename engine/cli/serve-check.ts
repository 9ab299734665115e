/**
 * `lint` of a `kind: serve` file beyond its schema: what `ratestream serve --config` would refuse at start, found
 * without a broker. Every pipeline it names exists and compiles (problems inside a pipeline or its rules are reported
 * in those files), no feed is named by two pipelines, every drop directory feeds one of the pipelines' feeds, and an
 * enabled HTTP ingest has a token.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ConfigProblem, positionOf, readYamlFile, validate } from '../config/yaml-loader.ts';
import { compiled } from '../config/yaml-kind.ts';
import { loadPipeline } from '../pipeline/load.ts';
import { serveSchema } from '../runtime/streaming/config.ts';

export function checkServeFile(file: string): ConfigProblem[] {
  const parsed = readYamlFile(file);
  const { value, problems: schemaProblems } = validate(parsed, serveSchema);
  if (!value) return schemaProblems;
  /** each problem of this file, followed by the problems it stands for in a pipeline file; in file order */
  const groups: ConfigProblem[][] = [];
  const report = (own: ConfigProblem, ...inner: ConfigProblem[]) => groups.push([own, ...inner]);
  const at = (path: readonly PropertyKey[], message: string): ConfigProblem => ({ file, ...positionOf(parsed, path), message });
  const dir = dirname(resolve(file));
  const feeds = new Map<string, string>();
  let allLoaded = true;
  value.pipelines.forEach((p, i) => {
    const abs = resolve(dir, p);
    if (!existsSync(abs)) {
      report(at(['pipelines', i], `pipelines[${i}]: ${p} does not exist`));
      allLoaded = false;
      return;
    }
    let feed: string | undefined;
    const inner = compiled((f) => { feed = loadPipeline(f).config.feed; })(abs);
    if (inner.length) {
      report(at(['pipelines', i], `pipelines[${i}]: ${p} has ${inner.length} problem(s)`), ...inner);
      allLoaded = false;
      return;
    }
    if (feed === undefined) return;
    if (feeds.has(feed)) report(at(['pipelines', i], `pipelines[${i}]: feed ${feed} is already named by ${feeds.get(feed)}`));
    else feeds.set(feed, p);
  });
  value.watch.forEach((w, i) => {
    if (allLoaded && !feeds.has(w.feed)) {
      report(at(['watch', i, 'feed'], `watch[${i}].feed: ${w.feed} is not one of the pipelines' feeds (${[...feeds.keys()].join(', ')})`));
    }
  });
  if (value.ingest?.enabled && value.ingest.token === undefined) {
    report(at(['ingest'], 'ingest: enabled but no token (token-env: NAME, token-file: PATH or token: { env: NAME })'));
  }
  return groups.sort((a, b) => a[0]!.line - b[0]!.line || a[0]!.col - b[0]!.col).flat();
}
