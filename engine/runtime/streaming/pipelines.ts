/** Pipelines of a serve config, loaded by the one pipeline loader with the runtime's schema registry. */
import { resolve } from 'node:path';
import type { SchemaResolver } from '../../mediation/parsers/types.ts';
import { type LoadedPipeline } from '../../pipeline/load.ts';
import { rootOf, type CompiledCatalog } from '../../rating/catalog.ts';
import { loadRuntimePipeline } from '../driver.ts';

export type StreamPipeline = LoadedPipeline;

export interface StreamPipelines {
  byFeed: Map<string, StreamPipeline>;
  /** distinct catalogs by name (rating state is kept per catalog) */
  catalogs: Map<string, CompiledCatalog>;
  /** what the mediation rules were compiled with (hot reload compiles again with the same) */
  schemaResolver?: SchemaResolver;
}

export async function loadStreamPipelines(files: readonly string[], baseDir: string, schemaResolver: SchemaResolver): Promise<StreamPipelines> {
  const byFeed = new Map<string, StreamPipeline>();
  const catalogs = new Map<string, CompiledCatalog>();
  const catalogByFile = new Map<string, CompiledCatalog>();
  for (const f of files) {
    const p = await loadRuntimePipeline(resolve(baseDir, f), { schemaResolver, catalogs: catalogByFile });
    if (p.catalog) {
      const other = catalogs.get(p.catalog.name);
      if (other && other !== p.catalog) throw new Error(`two different catalogs are named ${p.catalog.name} (${other.file}, ${p.catalog.file})`);
      catalogs.set(p.catalog.name, p.catalog);
    }
    if (byFeed.has(p.feed)) throw new Error(`feed ${p.feed} is named by two pipelines (${byFeed.get(p.feed)!.file}, ${p.file})`);
    byFeed.set(p.feed, p);
  }
  return { byFeed, catalogs, schemaResolver };
}

/**
 * The Kafka key of a UDR: the top of its rating key's account tree, so every pool an account can draw from (its own,
 * its parent's) and every service of the tree lives in one partition.
 */
export function partitionKey(catalog: CompiledCatalog | undefined, ratingKey: string): string {
  return catalog ? rootOf(catalog, ratingKey) : ratingKey;
}
