/**
 * Compiles a mediation rule file once into a CompiledMediation: every expression becomes a JS function, every
 * reference table is loaded, and the rule set gets its version (content hash of the rules and their tables).
 * Errors are reported as file:line:col problems (all of them, not just the first).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RejectReason } from '../core/types.ts';
import { ConfigError, type ConfigProblem, positionOf, readYamlFile, validate, type ParsedYaml } from '../config/yaml-loader.ts';
import { compileExpr, ExprCompileError, type CompiledExpr, type CompileContext, type ReferenceTable } from './expr/compile.ts';
import { ExprSyntaxError } from './expr/ast.ts';
import { FUNCTION_REGISTRY } from './functions/index.ts';
import { PARSER_REGISTRY } from './parsers/index.ts';
import type { FeedParser } from './parsers/types.ts';
import { loadReferenceTable } from './reference.ts';
import { type MediationConfig, mediationSchema } from './schema.ts';

export interface CompiledField {
  name: string;
  fn: CompiledExpr;
  required: boolean;
  rejectAs: RejectReason;
}

export interface CompiledMapping {
  name: string;
  when?: CompiledExpr;
  fields: CompiledField[];
}

export interface CompiledMediation {
  name: string;
  file: string;
  version: string;
  config: MediationConfig;
  parser: FeedParser;
  filters: { name: string; keep: boolean; test: CompiledExpr }[];
  classes: { name: string; test: CompiledExpr }[];
  mappings: CompiledMapping[];
  dedupWindow: number;
  tables: ReadonlyMap<string, ReferenceTable>;
}

const ALWAYS_REQUIRED = new Set(['id', 'account', 'startTime', 'quantity', 'unit']);

export function compileMediationFile(file: string): CompiledMediation {
  const parsed = readYamlFile(resolve(file));
  return compileMediation(parsed);
}

export function compileMediation(parsed: ParsedYaml): CompiledMediation {
  const { value: cfg, problems } = validate(parsed, mediationSchema);
  if (!cfg) throw new ConfigError(problems);
  const errs: ConfigProblem[] = [];
  const file = parsed.file;
  const at = (path: (string | number)[], message: string, offset = 0) => {
    const p = positionOf(parsed, path);
    // expressions sit on one line in the common case: point into the string
    errs.push({ file, line: p.line, col: p.col + (offset ? offset + 1 : 0), message });
  };

  const hash = createHash('sha256').update(readFileSync(file));
  const tables = new Map<string, ReferenceTable>();
  for (const [name, ref] of Object.entries(cfg.reference ?? {})) {
    try {
      const path = resolve(dirname(file), ref.file);
      tables.set(name, loadReferenceTable(name, path, ref.key));
      hash.update(readFileSync(path));
    } catch (e) {
      at(['reference', name, 'file'], (e as Error).message);
    }
  }
  const parserSpec = PARSER_REGISTRY.get(cfg.parser.type as string)!;
  const parser = parserSpec.create(cfg.parser);
  const columns = parser.columns ? new Map(parser.columns.map((c, i) => [c, i])) : undefined;
  const ctx: CompileContext = { ordinal: parser.ordinal, columns, functions: FUNCTION_REGISTRY, tables };

  const comp = (src: string, path: (string | number)[]): CompiledExpr => {
    try {
      return compileExpr(src, ctx);
    } catch (e) {
      if (e instanceof ExprSyntaxError || e instanceof ExprCompileError) {
        at(path, `${e.message} (in expression at character ${e.at + 1})`, 0);
        return () => null;
      }
      throw e;
    }
  };

  const filters = cfg.filters.map((f, i) => ({
    name: f.name,
    keep: !!f.keep,
    test: comp((f.keep ?? f.ignore)!, ['filters', i, f.keep ? 'keep' : 'ignore']),
  }));
  const classes = cfg['usage-classes'].map((c, i) => ({ name: c.name, test: comp(c.when, ['usage-classes', i, 'when']) }));
  const mappings: CompiledMapping[] = cfg.mappings.map((m, i) => {
    const merged = { ...cfg.defaults, ...m.fields };
    const fields: CompiledField[] = [];
    for (const [name, spec] of Object.entries(merged)) {
      const fromDefaults = !(name in m.fields);
      const path = fromDefaults ? ['defaults', name] : ['mappings', i, 'fields', name];
      const src = typeof spec === 'string' ? spec : spec.value;
      const required = typeof spec === 'string' ? ALWAYS_REQUIRED.has(name) : (spec.required ?? ALWAYS_REQUIRED.has(name));
      const rejectAs = (typeof spec === 'string' ? undefined : spec['reject-as']) ?? (name === 'account' ? 'UNKNOWN_ACCOUNT' : 'MISSING_FIELD');
      fields.push({ name, fn: comp(src, typeof spec === 'string' ? path : [...path, 'value']), required, rejectAs });
    }
    for (const req of ALWAYS_REQUIRED) {
      if (!(req in merged)) at(['mappings', i, 'fields'], `mapping "${m.name}" does not set the required UDR field "${req}"`);
    }
    if (!('usageClass' in merged) && classes.length === 0) {
      at(['mappings', i, 'fields'], `mapping "${m.name}" sets no usageClass and the file has no usage-classes`);
    }
    return { name: m.name, when: m.when ? comp(m.when, ['mappings', i, 'when']) : undefined, fields };
  });

  if (errs.length) throw new ConfigError(errs.sort((a, b) => a.line - b.line || a.col - b.col));
  return {
    name: cfg.name,
    file,
    version: hash.digest('hex').slice(0, 12),
    config: cfg,
    parser,
    filters,
    classes,
    mappings,
    dedupWindow: cfg.dedup?.window ?? 0,
    tables,
  };
}
