/**
 * JSON Schemas (draft-07, what yaml-language-server understands) generated from the zod schema of every YAML kind,
 * written to schemas/json/<kind>.schema.json. A test fails when a committed file is stale; `ratestream schemas`
 * regenerates them. Examples reference them with `# yaml-language-server: $schema=<relative path>`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { YamlKind } from './yaml-kind.ts';

export const SCHEMA_DIR = resolve(import.meta.dirname, '../../schemas/json');

export function schemaPath(kind: string, dir = SCHEMA_DIR): string {
  return join(dir, `${kind}.schema.json`);
}

/**
 * The loader reads YAML with the failsafe schema (every scalar a string) and coerces numbers, so `"80"` and `80` are
 * both accepted where zod coerces: the JSON Schema says the same (an editor reads `80` as a number, `"80"` as a string).
 */
function coercedNumbers(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const def = (ctx.zodSchema as { _zod?: { def?: { type?: string; coerce?: boolean } } })._zod?.def;
  if (def?.type !== 'number' || !def.coerce) return;
  const js = ctx.jsonSchema;
  const num: Record<string, unknown> = {};
  for (const key of Object.keys(js)) {
    if (key === 'description' || key === 'default' || key === 'title' || key === 'examples') continue;
    num[key] = js[key];
    delete js[key];
  }
  const pattern = num.type === 'integer' ? '^\\s*[-+]?\\d+\\s*$' : '^\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?\\s*$';
  js.anyOf = [num, { type: 'string', pattern }];
}

export function jsonSchemaText(k: YamlKind): string {
  // input side: what an author writes (defaults optional, coercions accept their input)
  const s = z.toJSONSchema(k.schema, { target: 'draft-07', io: 'input', unrepresentable: 'any', override: coercedNumbers }) as Record<string, unknown>;
  const out = { $schema: 'http://json-schema.org/draft-07/schema#', $id: `https://ratestream.dev/schemas/${k.kind}.schema.json`, title: `ratestream ${k.kind}`, description: k.description, ...s };
  out.$schema = 'http://json-schema.org/draft-07/schema#';
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** kinds whose file is missing or differs from what the zod schema generates */
export function staleSchemas(kinds: readonly YamlKind[], dir = SCHEMA_DIR): string[] {
  const stale: string[] = [];
  for (const k of kinds) {
    let cur = '';
    try { cur = readFileSync(schemaPath(k.kind, dir), 'utf8'); } catch { /* missing */ }
    if (cur !== jsonSchemaText(k)) stale.push(k.kind);
  }
  return stale;
}

export function writeSchemas(kinds: readonly YamlKind[], dir = SCHEMA_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  return kinds.map((k) => {
    const p = schemaPath(k.kind, dir);
    writeFileSync(p, jsonSchemaText(k));
    return p;
  });
}
