/**
 * Which catalog rates which feed: the pipelines of a project (`pipelines/*.yaml`, `kind: pipeline` with a `catalog:`),
 * read leniently (only kind, feed and catalog), so billing and re-rating see every pipeline's catalog without
 * compiling mediation rules.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

export interface PipelineCatalog {
  /** pipeline file (absolute) */
  pipeline: string;
  feed: string;
  /** catalog file (absolute) */
  catalog: string;
}

export function pipelineCatalogs(pipelinesDir: string): PipelineCatalog[] {
  if (!existsSync(pipelinesDir)) return [];
  const out: PipelineCatalog[] = [];
  for (const f of readdirSync(pipelinesDir).filter((x) => /\.ya?ml$/.test(x)).sort()) {
    const file = resolve(pipelinesDir, f);
    let doc: { kind?: string; feed?: string; catalog?: string } | undefined;
    try {
      doc = parse(readFileSync(file, 'utf8')) as typeof doc;
    } catch {
      continue; // not YAML: `lint` reports it
    }
    if (doc?.kind !== 'pipeline' || !doc.feed || !doc.catalog) continue;
    out.push({ pipeline: file, feed: String(doc.feed), catalog: resolve(dirname(file), String(doc.catalog)) });
  }
  return out;
}

/** A catalog argument: a catalog file, or a folder holding catalog.yaml (absolute). */
export function catalogPath(p: string): string {
  const abs = resolve(p);
  if (!existsSync(abs)) throw new Error(`catalog ${p} does not exist`);
  if (!statSync(abs).isDirectory()) return abs;
  if (!existsSync(join(abs, 'catalog.yaml'))) throw new Error(`catalog folder ${p} has no catalog.yaml`);
  return join(abs, 'catalog.yaml');
}

/** A catalog's `name:`, read leniently (undefined when the file cannot be read). */
export function catalogNameOf(file: string): string | undefined {
  try {
    const doc = parse(readFileSync(file, 'utf8')) as { name?: unknown } | undefined;
    return doc?.name === undefined ? undefined : String(doc.name);
  } catch {
    return undefined;
  }
}
