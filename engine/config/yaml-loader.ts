/**
 * YAML → typed config with positions. Parses with `yaml` (failsafe schema: every scalar is a string until zod
 * coerces it, so money and identifiers are never floats), validates with zod, and reports EVERY problem as
 * `file:line:col: message`. Hostile input is refused early: size limit, alias bombs, `__proto__`-style keys.
 */
import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Node, type Document } from 'yaml';
import type { z } from 'zod';
import { CodedError } from '../core/errors.ts';
import { knownKeysAt } from './schema-keys.ts';
import { didYouMean } from './suggest.ts';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

export class ConfigError extends CodedError<'CONFIG_INVALID'> {
  constructor(readonly problems: ConfigProblem[]) {
    super('CONFIG_INVALID', problems.map(formatProblem).join('\n'));
  }
}

export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface ParsedYaml {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** plain JS value (null-prototype objects), or undefined when the YAML did not parse */
  value: unknown;
  problems: ConfigProblem[];
}

function pos(lines: LineCounter, file: string, offset: number | undefined, message: string): ConfigProblem {
  const { line, col } = offset === undefined ? { line: 1, col: 1 } : lines.linePos(offset);
  return { file, line, col, message };
}

/** Convert the YAML node tree to plain values ourselves: null-prototype objects, no alias expansion blow-up. */
function toPlain(node: unknown, lines: LineCounter, file: string, problems: ConfigProblem[], budget: { n: number }): unknown {
  if (--budget.n < 0) {
    if (budget.n === -1) problems.push({ file, line: 1, col: 1, message: 'document too large after alias expansion (refused)' });
    return undefined;
  }
  if (node == null) return null;
  if (isScalar(node)) return node.value == null ? null : String(node.value);
  if (isMap(node)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const k = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (FORBIDDEN_KEYS.has(k)) {
        problems.push(pos(lines, file, (item.key as Node | null)?.range?.[0], `key "${k}" is not allowed`));
        continue;
      }
      out[k] = toPlain(item.value, lines, file, problems, budget);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((i) => toPlain(i, lines, file, problems, budget));
  // alias nodes: refuse (rule files have no need for anchors; this kills alias bombs outright)
  const n = node as Node;
  problems.push(pos(lines, file, n.range?.[0], 'YAML aliases/anchors are not supported in rule files'));
  return undefined;
}

export function parseYamlText(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const problems: ConfigProblem[] = [];
  if (text.length > MAX_CONFIG_BYTES) {
    return { file, doc: parseDocument('', { lineCounter: lines }), lines, value: undefined,
      problems: [{ file, line: 1, col: 1, message: `file is larger than ${MAX_CONFIG_BYTES} bytes (refused)` }] };
  }
  const doc = parseDocument(text, { lineCounter: lines, schema: 'failsafe', prettyErrors: false, uniqueKeys: true });
  for (const e of [...doc.errors, ...doc.warnings]) {
    problems.push(pos(lines, file, e.pos?.[0], e.message.split('\n')[0]!));
  }
  if (doc.errors.length) return { file, doc, lines, value: undefined, problems };
  const value = toPlain(doc.contents, lines, file, problems, { n: 200_000 });
  return { file, doc, lines, value, problems };
}

/**
 * A document with YAML errors as far as it parsed (the `yaml` parser recovers): what lint checks further so a syntax
 * error does not hide the other problems. Undefined when nothing usable parsed.
 */
export function partialValue(parsed: ParsedYaml): unknown {
  if (parsed.value !== undefined) return parsed.value;
  if (!parsed.doc.contents) return undefined;
  return toPlain(parsed.doc.contents, parsed.lines, parsed.file, [], { n: 200_000 }) ?? undefined;
}

export function readYamlFile(file: string): ParsedYaml {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    return { file, doc: parseDocument(''), lines: new LineCounter(), value: undefined,
      problems: [{ file, line: 1, col: 1, message: `cannot read file: ${(e as Error).message}` }] };
  }
  if (size > MAX_CONFIG_BYTES) return parseYamlText('x'.repeat(MAX_CONFIG_BYTES + 1), file);
  return parseYamlText(readFileSync(file, 'utf8'), file);
}

/** Position of the node at `path` (or its nearest existing ancestor); for a missing key, the parent map. */
export function positionOf(parsed: ParsedYaml, path: readonly PropertyKey[]): { line: number; col: number } {
  let p = [...path];
  while (true) {
    const node = p.length ? parsed.doc.getIn(p as unknown[], true) : parsed.doc.contents;
    const range = (node as Node | undefined)?.range;
    if (range) {
      // for a key in a map, point at the key, not the value
      if (p.length) {
        const parent = p.length > 1 ? parsed.doc.getIn(p.slice(0, -1) as unknown[], true) : parsed.doc.contents;
        if (isMap(parent)) {
          const pair = parent.items.find((i) => isScalar(i.key) && String(i.key.value) === String(p[p.length - 1]));
          const kr = (pair?.key as Node | undefined)?.range;
          if (kr && path.length === p.length) return parsed.lines.linePos(kr[0]);
        }
      }
      return parsed.lines.linePos(range[0]);
    }
    if (!p.length) return { line: 1, col: 1 };
    p = p.slice(0, -1);
  }
}

/** Validate a parsed document against a zod schema, mapping every issue to file:line:col. */
export function validate<S extends z.ZodType>(parsed: ParsedYaml, schema: S): { value?: z.output<S>; problems: ConfigProblem[] } {
  const problems = [...parsed.problems];
  if (parsed.value === undefined) return { problems };
  const r = schema.safeParse(parsed.value);
  if (!r.success) {
    for (const issue of r.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          const { line, col } = positionOf(parsed, [...issue.path, k]);
          const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
          const hint = didYouMean(k, knownKeysAt(schema, issue.path, parsed.value));
          problems.push({ file: parsed.file, line, col, message: `${where}unknown key "${k}"${hint ? ` (${hint})` : ''}` });
        }
        continue;
      }
      const { line, col } = positionOf(parsed, issue.path);
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      const missing = issue.code === 'invalid_type' && / received undefined$/.test(issue.message) && issue.path.length > 0;
      const message = missing ? `${issue.path.slice(0, -1).join('.')}${issue.path.length > 1 ? ': ' : ''}missing "${String(issue.path.at(-1))}" (${issue.message.replace(/, received undefined$/, '').replace(/^Invalid input: /, '')})` : `${where}${issue.message}`;
      problems.push({ file: parsed.file, line, col, message });
    }
  }
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return problems.length ? { problems } : { value: r.data as z.output<S>, problems };
}

/** Read + validate or throw ConfigError with every problem. */
export function loadYaml<S extends z.ZodType>(file: string, schema: S): { value: z.output<S>; parsed: ParsedYaml } {
  const parsed = readYamlFile(file);
  const { value, problems } = validate(parsed, schema);
  if (problems.length || value === undefined) throw new ConfigError(problems);
  return { value, parsed };
}
