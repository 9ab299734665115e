/**
 * What a YAML kind is (`kind:` at the top of every rule/pipeline/catalog/serve file) and how one file is checked
 * against a registry of kinds. The registry itself sits above every layer whose kinds it lists (engine/cli/kinds.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem, MAX_CONFIG_BYTES, positionOf, readYamlFile, validate } from './yaml-loader.ts';

export interface YamlKind {
  kind: string;
  description: string;
  schema: z.ZodType;
  /** full check (schema + compile: expressions, references, tables); returns every problem */
  check(file: string): ConfigProblem[];
}

/** a check from a loader that throws ConfigError (every problem) or another error (one problem at 1:1) */
export function compiled(f: (file: string) => unknown): (file: string) => ConfigProblem[] {
  return (file) => {
    try {
      f(file);
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      return [{ file, line: 1, col: 1, message: (e as Error).message }];
    }
  };
}

/** Read `kind:` of a YAML file and run that kind's schema, then its check. */
export function checkKindFile(kinds: readonly YamlKind[], file: string): ConfigProblem[] {
  const parsed = readYamlFile(file);
  if (parsed.problems.length && parsed.value === undefined) return parsed.problems;
  const v = parsed.value as Record<string, unknown> | null;
  const kind = v && typeof v === 'object' ? v.kind : undefined;
  const k = typeof kind === 'string' ? kinds.find((x) => x.kind === kind) : undefined;
  if (!k) {
    const at = kind === undefined ? { line: 1, col: 1 } : positionOf(parsed, ['kind']);
    const what = typeof kind === 'string' ? `unknown kind "${kind}"` : 'missing "kind"';
    return [{ file, ...at, message: `${what} (one of: ${kinds.map((x) => x.kind).join(', ')})` }];
  }
  const base = validate(parsed, k.schema).problems;
  return base.length ? base : k.check(file);
}

/**
 * YAML that is not a ratestream file and says so by its shape, so `lint deploy/…` skips it with a note instead of a
 * "missing kind" problem: a Docker Compose file (top-level `services:` and no `kind:`) or a Kubernetes manifest
 * (`apiVersion:`). Returns what it is, or undefined for anything that should be one of our kinds.
 */
export function foreignYaml(file: string): string | undefined {
  let text: string;
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const first = parseAllDocuments(text, { schema: 'failsafe' });
  const doc = Array.isArray(first) ? first[0] : undefined;
  const top = doc && !doc.errors.length && isMap(doc.contents) ? doc.contents.items.map((i) => String(isScalar(i.key) ? i.key.value : i.key)) : [];
  if (top.includes('apiVersion')) return 'a Kubernetes manifest';
  if (top.includes('services') && !top.includes('kind')) return 'a Docker Compose file';
  return undefined;
}
