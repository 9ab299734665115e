/** Loads a pipeline file and compiles what it names (mediation rules, catalog). */
import { dirname, resolve } from 'node:path';
import { loadYaml } from '../config/yaml-loader.ts';
import { compileMediationFile, type CompiledMediation } from '../mediation/compiler.ts';
import { loadCatalogFile, type CompiledCatalog } from '../rating/catalog.ts';
import { type PipelineConfig, pipelineSchema } from './schema.ts';

export interface LoadedPipeline {
  file: string;
  dir: string;
  config: PipelineConfig;
  mediation: CompiledMediation;
  catalog?: CompiledCatalog;
  /** default input resolved against the pipeline file */
  input?: string;
}

export function loadPipeline(file: string): LoadedPipeline {
  const abs = resolve(file);
  const { value } = loadYaml(abs, pipelineSchema);
  const dir = dirname(abs);
  const mediation = compileMediationFile(resolve(dir, value.mediation));
  const catalog = value.catalog ? loadCatalogFile(resolve(dir, value.catalog)) : undefined;
  return { file: abs, dir, config: value, mediation, catalog, input: value.input ? resolve(dir, value.input) : undefined };
}
