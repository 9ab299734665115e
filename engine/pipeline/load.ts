/**
 * Loads a pipeline file and compiles what it names (mediation rules, catalog). The runtime's loader
 * (engine/runtime/driver.ts `loadRuntimePipeline`) wires the schema registry in; this is the synchronous core of it.
 */
import { dirname, resolve } from 'node:path';
import { loadYaml } from '../config/yaml-loader.ts';
import { compileMediationFile, type CompiledMediation } from '../mediation/compiler.ts';
import type { SchemaResolver } from '../mediation/parsers/types.ts';
import { loadCatalogFile, type CompiledCatalog } from '../rating/catalog.ts';
import { type PipelineConfig, pipelineSchema } from './schema.ts';

export interface LoadedPipeline {
  file: string;
  dir: string;
  config: PipelineConfig;
  /** the feed (config.feed) */
  feed: string;
  mediation: CompiledMediation;
  catalog?: CompiledCatalog;
  /** default input resolved against the pipeline file */
  input?: string;
}

export interface LoadOptions {
  /** Avro feeds: how schema ids are resolved (the runtime's schema registry client) */
  schemaResolver?: SchemaResolver;
  /** catalogs already compiled, by absolute file (pipelines naming one catalog share one instance) */
  catalogs?: Map<string, CompiledCatalog>;
}

export function loadPipeline(file: string, opts: LoadOptions = {}): LoadedPipeline {
  const abs = resolve(file);
  const { value } = loadYaml(abs, pipelineSchema);
  const dir = dirname(abs);
  const mediation = compileMediationFile(resolve(dir, value.mediation), { schemaResolver: opts.schemaResolver });
  let catalog: CompiledCatalog | undefined;
  if (value.catalog) {
    const cf = resolve(dir, value.catalog);
    catalog = opts.catalogs?.get(cf) ?? loadCatalogFile(cf);
    opts.catalogs?.set(cf, catalog);
  }
  return { file: abs, dir, config: value, feed: value.feed, mediation, catalog, input: value.input ? resolve(dir, value.input) : undefined };
}
