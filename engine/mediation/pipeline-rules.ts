/**
 * The mediation half of a pipeline file, for mediation-only tools (dry-run, replay-dlq, hot reload): the pipeline's
 * feed and its compiled rules, with the schema registry (SCHEMA_REGISTRY_URL) as Avro schema resolver when set.
 */
import { dirname, resolve } from 'node:path';
import { loadYaml } from '../config/yaml-loader.ts';
import { pipelineSchema } from '../pipeline/schema.ts';
import { compileMediationFile, type CompiledMediation } from './compiler.ts';
import type { SchemaResolver } from './parsers/types.ts';

export interface PipelineRules {
  feed: string;
  rulesFile: string;
  rules: CompiledMediation;
  input?: string;
}

export async function defaultSchemaResolver(): Promise<SchemaResolver | undefined> {
  const url = process.env.SCHEMA_REGISTRY_URL;
  if (!url) return undefined;
  const { SchemaRegistry } = await import('../runtime/kafka/schema-registry.ts');
  return new SchemaRegistry({ url });
}

export async function loadPipelineRules(pipelineFile: string, schemaResolver?: SchemaResolver): Promise<PipelineRules> {
  const abs = resolve(pipelineFile);
  const { value } = loadYaml(abs, pipelineSchema);
  const dir = dirname(abs);
  const rulesFile = resolve(dir, value.mediation);
  const rules = compileMediationFile(rulesFile, { schemaResolver: schemaResolver ?? (await defaultSchemaResolver()) });
  return { feed: value.feed, rulesFile, rules, input: value.input ? resolve(dir, value.input) : undefined };
}
