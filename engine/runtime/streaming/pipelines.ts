/** Pipelines of a serve config, compiled with the runtime's schema registry (Avro feeds resolve schema ids there). */
import { resolve } from 'node:path';
import { loadYaml } from '../../config/yaml-loader.ts';
import type { SchemaResolver } from '../../mediation/parsers/types.ts';
import { compileMediationFile, type CompiledMediation } from '../../mediation/compiler.ts';
import { pipelineSchema, type PipelineConfig } from '../../pipeline/schema.ts';
import { loadCatalogFile, rootOf, type CompiledCatalog } from '../../rating/catalog.ts';

export interface StreamPipeline {
  file: string;
  config: PipelineConfig;
  feed: string;
  mediation: CompiledMediation;
  catalog?: CompiledCatalog;
}

export interface StreamPipelines {
  byFeed: Map<string, StreamPipeline>;
  /** distinct catalogs by name (rating state is kept per catalog) */
  catalogs: Map<string, CompiledCatalog>;
  /** what the mediation rules were compiled with (hot reload compiles again with the same) */
  schemaResolver?: SchemaResolver;
}

export function loadStreamPipelines(files: readonly string[], baseDir: string, schemaResolver?: SchemaResolver): StreamPipelines {
  const byFeed = new Map<string, StreamPipeline>();
  const catalogs = new Map<string, CompiledCatalog>();
  const catalogByFile = new Map<string, CompiledCatalog>();
  for (const f of files) {
    const abs = resolve(baseDir, f);
    const { value } = loadYaml(abs, pipelineSchema);
    const dir = resolve(abs, '..');
    const mediation = compileMediationFile(resolve(dir, value.mediation), { schemaResolver });
    let catalog: CompiledCatalog | undefined;
    if (value.catalog) {
      const cf = resolve(dir, value.catalog);
      catalog = catalogByFile.get(cf) ?? loadCatalogFile(cf);
      catalogByFile.set(cf, catalog);
      const other = catalogs.get(catalog.name);
      if (other && other !== catalog) throw new Error(`two different catalogs are named ${catalog.name} (${other.file}, ${catalog.file})`);
      catalogs.set(catalog.name, catalog);
    }
    if (byFeed.has(value.feed)) throw new Error(`feed ${value.feed} is named by two pipelines (${byFeed.get(value.feed)!.file}, ${abs})`);
    byFeed.set(value.feed, { file: abs, config: value, feed: value.feed, mediation, catalog });
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
