/**
 * What a YAML kind is (`kind:` at the top of every rule/pipeline/catalog/serve file) and how one file is checked
 * against a registry of kinds. The registry itself sits above every layer whose kinds it lists (engine/cli/kinds.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem, MAX_CONFIG_BYTES, partialValue, type ParsedYaml, positionOf, readYamlFile, validate } from './yaml-loader.ts';

export interface YamlKind {
  kind: string;
  description: string;
  schema: z.ZodType;
  /** full check (schema + compile: expressions, references, tables); returns every problem */
  check(file: string): ConfigProblem[];
  /** what can still be checked when the schema check failed (e.g. expressions): so one mistake hides no other */
  lenient?(parsed: ParsedYaml): ConfigProblem[];
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

/**
 * Read `kind:` of a YAML file and run that kind's checks, reporting every problem in one pass: YAML syntax errors,
 * then the schema problems of the part that parsed (before the first syntax error, where they are not echoes of
 * it), then the compile checks (expressions, references) — the full compile when the schema holds, else the
 * kind's lenient checks.
 */
export function checkKindFile(kinds: readonly YamlKind[], file: string): ConfigProblem[] {
  const parsed = readYamlFile(file);
  const broken = parsed.value === undefined;
  const value = partialValue(parsed);
  if (value === undefined) return parsed.problems;
  const view: ParsedYaml = broken ? { ...parsed, value, problems: [] } : parsed;
  const firstError = broken ? Math.min(...parsed.problems.map((p) => p.line)) : Infinity;
  const v = value as Record<string, unknown> | null;
  const kind = v && typeof v === 'object' ? v.kind : undefined;
  const k = typeof kind === 'string' ? kinds.find((x) => x.kind === kind) : undefined;
  if (!k) {
    const at = kind === undefined || broken ? { line: 1, col: 1 } : positionOf(parsed, ['kind']);
    const what = typeof kind === 'string' ? `unknown kind "${kind}"` : 'missing "kind"';
    return [...(broken ? parsed.problems : []), { file, ...at, message: `${what} (one of: ${kinds.map((x) => x.kind).join(', ')})` }];
  }
  const base = validate(view, k.schema).problems.filter((p) => !broken || (p.line < firstError && !/missing "/.test(p.message)));
  let more: ConfigProblem[] = [];
  if (!broken && !base.length) more = k.check(file);
  else if (k.lenient) more = k.lenient(view).filter((p) => p.line < firstError);
  const all = [...(broken ? parsed.problems : []), ...base, ...more];
  const seen = new Set<string>();
  return all
    .filter((p) => {
      const key = `${p.file}:${p.line}:${p.col}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : 0));
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
