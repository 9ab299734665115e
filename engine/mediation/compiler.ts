/**
 * Compiles a mediation rule file once into a CompiledMediation: every expression becomes a JS function, every
 * reference table is loaded, and the rule set gets its version (content hash of the rules and their tables).
 * Errors are reported as file:line:col problems (all of them, not just the first).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RejectReason } from '../core/types.ts';
import { isScalar, type Scalar } from 'yaml';
import { ConfigError, type ConfigProblem, positionOf, readYamlFile, validate, type ParsedYaml } from '../config/yaml-loader.ts';
import { compileExpr, ExprCompileError, exprCode, type CompiledExpr, type CompileContext, type EmitOptions, type ReferenceTable } from '../expr/compile.ts';
import { ExprSyntaxError } from '../expr/ast.ts';
import { exprErrorMessage } from './expr-message.ts';
import { FUNCTION_REGISTRY } from './functions/index.ts';
import { parseDuration } from './functions/units.ts';
import { PARSER_REGISTRY } from './parsers/index.ts';
import { buildProgram, constName, fieldVar, fnName, mappingVar, nothingMapped, type RuleProgram } from './program.ts';
import type { FeedParser, SchemaResolver } from './parsers/types.ts';
import { loadReferenceTable } from './reference.ts';
import { type MediationConfig, mediationSchema, parseOrdinalList, UDR_CORE_FIELDS, usageClassLibrarySchema } from './schema.ts';

export interface CompiledField {
  name: string;
  required: boolean;
  rejectAs: RejectReason;
}

/** a mapping (defaults merged in); its expressions are compiled into CompiledMediation.program */
export interface CompiledMapping {
  name: string;
  fields: CompiledField[];
  /** mapped fields that are not UDR core fields: they go to attrs */
  attrFields: string[];
  /** keep-fields: [0-based source index, attr name] */
  keep: [number, string][];
}

export interface CompiledPairing {
  key: CompiledExpr;
  start: CompiledExpr;
  stop: CompiledExpr;
  update?: CompiledExpr;
  time?: CompiledExpr;
  windowMs?: number;
  maxPending: number;
}

/** `field-counts`: allowed field counts per record type (min 0 / max Infinity when not given) */
export interface CompiledFieldCounts {
  by: CompiledExpr;
  types: ReadonlyMap<string, { min: number; max: number }>;
  other?: { min: number; max: number };
}

/** a filter: keep (fires when false), ignore or reject (fire when true) */
export interface CompiledFilter {
  name: string;
  keep: boolean;
  /** a reject filter: the reject it makes */
  reject?: { reason: RejectReason; message: string };
}

export interface CompileOptions {
  /** Avro feeds: how schema ids are resolved (the runtime's schema registry client) */
  schemaResolver?: SchemaResolver;
}

export interface CompiledMediation {
  name: string;
  file: string;
  version: string;
  config: MediationConfig;
  parser: FeedParser;
  filters: CompiledFilter[];
  /** field counts per record type (delimited feeds), checked before the filters */
  fieldCounts?: CompiledFieldCounts;
  classes: { name: string }[];
  mappings: CompiledMapping[];
  /** filters, usage classes, mapping choice and fields as one generated program (see program.ts) */
  program: RuleProgram;
  dedupWindow: number;
  pairing?: CompiledPairing;
  tables: ReadonlyMap<string, ReferenceTable>;
  /** every file whose content is part of the version (rule file, tables, libraries, schemas): hot reload watches them */
  files: string[];
  /** rule functions the expressions call (static), for coverage reports */
  functionsUsed: ReadonlySet<string>;
}

const ALWAYS_REQUIRED = new Set(['id', 'account', 'startTime', 'quantity', 'unit']);

const CORE = new Set<string>(UDR_CORE_FIELDS);

/**
 * line:col of character `at` of the expression at `path`: exact for one-line plain or quoted scalars without
 * escapes before that character; otherwise the start of the scalar.
 */
function exprPosition(parsed: ParsedYaml, path: (string | number)[], at: number): { line: number; col: number } {
  const node = parsed.doc.getIn(path, true) as Scalar | undefined;
  const p = positionOf(parsed, path);
  if (!node || !isScalar(node) || !node.range) return p;
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
  if (node.type !== 'PLAIN' && !quoted) return p;
  const text = String(node.value);
  if (text.includes('\n')) return p;
  const before = text.slice(0, at);
  if (node.type === 'QUOTE_DOUBLE' && /[\\"]/.test(before)) return p; // escapes shift the columns
  if (node.type === 'QUOTE_SINGLE' && before.includes("'")) return p; // '' is one quote
  const start = parsed.lines.linePos(node.range[0]);
  return { line: start.line, col: start.col + (quoted ? 1 : 0) + at };
}

/**
 * Lint of the expressions of a rule file whose schema check failed (or whose YAML is broken: the part that parsed):
 * every expression found at its usual place is compiled with what can be known (parser columns, reference tables),
 * so a schema mistake does not hide an expression mistake. Same messages and positions as compileMediation.
 */
export function lintMediationExpressions(parsed: ParsedYaml): ConfigProblem[] {
  const v = parsed.value;
  if (!v || typeof v !== 'object') return [];
  const doc = v as Record<string, unknown>;
  const obj = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
  const dir = dirname(parsed.file);
  const parserRaw = obj(doc.parser);
  const type = String(parserRaw.type);
  let ordinal = type === 'csv' || type === 'fixed-width';
  let names: string[] | undefined = type === 'csv' ? arr(parserRaw.columns).map(String)
    : type === 'fixed-width' ? arr(parserRaw.fields).map((f) => String(obj(f).name)) : undefined;
  const spec = PARSER_REGISTRY.get(type);
  if (spec) {
    const { type: _t, ...rest } = parserRaw;
    const o = spec.options.safeParse(rest);
    if (o.success) {
      try {
        const p = spec.create(o.data, { baseDir: dir });
        ordinal = p.ordinal;
        names = p.columns ? [...p.columns] : undefined;
      } catch { /* the schema/compile problems say why */ }
    }
  }
  const tables = new Map<string, ReferenceTable>();
  const unloaded = new Set<string>();
  for (const [name, ref] of Object.entries(obj(doc.reference))) {
    const r = obj(ref);
    try {
      tables.set(name, loadReferenceTable(name, resolve(dir, String(r.file)), String(r.key)));
    } catch {
      unloaded.add(name);
    }
  }
  const ctx: CompileContext = { ordinal, columns: names ? new Map(names.map((c, i) => [c, i])) : undefined, functions: FUNCTION_REGISTRY, tables, pairing: doc.pairing !== undefined };
  const problems: ConfigProblem[] = [];
  const check = (src: unknown, path: (string | number)[]) => {
    if (typeof src !== 'string' || !src) return;
    try {
      compileExpr(src, ctx);
    } catch (e) {
      if (!(e instanceof ExprSyntaxError || e instanceof ExprCompileError)) return;
      if ([...unloaded].some((t) => e.message.includes(t))) return; // the table's own problem is reported
      problems.push({ file: parsed.file, ...exprPosition(parsed, path, e.at), message: exprErrorMessage(e, ctx) });
    }
  };
  const fields = (m: unknown, path: (string | number)[]) => {
    for (const [k, f] of Object.entries(obj(m))) {
      if (typeof f === 'string') check(f, [...path, k]);
      else check(obj(f).value, [...path, k, 'value']);
    }
  };
  arr(doc.filters).forEach((f, i) => { for (const k of ['keep', 'ignore', 'reject']) check(obj(f)[k], ['filters', i, k]); });
  arr(doc['usage-classes']).forEach((c, i) => check(obj(c).when, ['usage-classes', i, 'when']));
  arr(doc.mappings).forEach((m, i) => {
    check(obj(m).when, ['mappings', i, 'when']);
    fields(obj(m).fields, ['mappings', i, 'fields']);
  });
  fields(doc.defaults, ['defaults']);
  for (const k of ['key', 'start', 'stop', 'update', 'time']) check(obj(doc.pairing)[k], ['pairing', k]);
  check(obj(doc['field-counts']).by, ['field-counts', 'by']);
  return problems;
}

export function compileMediationFile(file: string, opts: CompileOptions = {}): CompiledMediation {
  const parsed = readYamlFile(resolve(file));
  return compileMediation(parsed, opts);
}

export function compileMediation(parsed: ParsedYaml, opts: CompileOptions = {}): CompiledMediation {
  const { value: cfg, problems } = validate(parsed, mediationSchema);
  if (!cfg) throw new ConfigError(problems);
  const errs: ConfigProblem[] = [];
  const file = parsed.file;
  const at = (path: (string | number)[], message: string, offset = 0) => {
    const p = positionOf(parsed, path);
    // expressions sit on one line in the common case: point into the string
    errs.push({ file, line: p.line, col: p.col + (offset ? offset + 1 : 0), message });
  };

  const dir = dirname(file);
  const files = [file];
  const hash = createHash('sha256').update(readFileSync(file));
  const tables = new Map<string, ReferenceTable>();
  for (const [name, ref] of Object.entries(cfg.reference ?? {})) {
    try {
      const path = resolve(dir, ref.file);
      tables.set(name, loadReferenceTable(name, path, ref.key));
      hash.update(readFileSync(path));
      files.push(path);
    } catch (e) {
      at(['reference', name, 'file'], (e as Error).message);
    }
  }
  const parserSpec = PARSER_REGISTRY.get(cfg.parser.type as string)!;
  let parser: FeedParser;
  try {
    parser = parserSpec.create(cfg.parser, { baseDir: dir, schemaResolver: opts.schemaResolver });
    const schemaFile = (cfg.parser as { schema?: unknown }).schema;
    if (typeof schemaFile === 'string') {
      const path = resolve(dir, schemaFile);
      hash.update(readFileSync(path));
      files.push(path);
    }
  } catch (e) {
    throw new ConfigError([{ file, ...positionOf(parsed, ['parser']), message: `parser: ${(e as Error).message}` }]);
  }
  const columns = parser.columns ? new Map(parser.columns.map((c, i) => [c, i])) : undefined;
  const used = new Set<string>();
  const ctx: CompileContext = { ordinal: parser.ordinal, columns, functions: FUNCTION_REGISTRY, tables, pairing: !!cfg.pairing, used };

  // usage-class libraries
  const library = new Map<string, { when: string; file: string }>();
  cfg.libraries.forEach((lib, i) => {
    const path = resolve(dir, lib);
    const lp = readYamlFile(path);
    const { value, problems } = validate(lp, usageClassLibrarySchema);
    if (!value) {
      errs.push(...problems);
      if (!problems.length) at(['libraries', i], `cannot read usage-class library ${lib}`);
      return;
    }
    hash.update(readFileSync(path));
    files.push(path);
    for (const c of value.classes) library.set(c.name, { when: c.when, file: path });
  });

  const comp = (src: string, path: (string | number)[]): CompiledExpr => {
    try {
      return compileExpr(src, ctx);
    } catch (e) {
      if (e instanceof ExprSyntaxError || e instanceof ExprCompileError) {
        errs.push({ file, ...exprPosition(parsed, path, e.at), message: exprErrorMessage(e, ctx) });
        return () => null;
      }
      throw e;
    }
  };
  // filters, classes and mappings become code of one generated program (program.ts); errors as for comp
  const consts: unknown[] = [];
  const fnsUsed = new Set<string>();
  const emit = (varRef: EmitOptions['varRef']): EmitOptions => ({
    consts,
    constRef: constName,
    fnRef: (n) => { fnsUsed.add(n); return fnName(n, FUNCTION_REGISTRY); },
    varRef,
  });
  const code = (src: string, path: (string | number)[], varRef: EmitOptions['varRef']): string => {
    try {
      return exprCode(src, ctx, emit(varRef));
    } catch (e) {
      if (e instanceof ExprSyntaxError || e instanceof ExprCompileError) {
        errs.push({ file, ...exprPosition(parsed, path, e.at), message: exprErrorMessage(e, ctx) });
        return 'null';
      }
      throw e;
    }
  };

  const filters = cfg.filters.map((f, i) => ({
    name: f.name,
    keep: !!f.keep,
    reject: f.reject ? { reason: f.reason!, message: f.message ?? `rejected by filter ${f.name}` } : undefined,
    code: code((f.keep ?? f.ignore ?? f.reject)!, ['filters', i, f.keep ? 'keep' : f.ignore ? 'ignore' : 'reject'], nothingMapped),
  }));
  let fieldCounts: CompiledFieldCounts | undefined;
  const fc = cfg['field-counts'];
  if (fc) {
    if (cfg.parser.type !== 'csv') at(['field-counts'], `field-counts needs a delimited (csv) feed; ${String(cfg.parser.type)} records have a fixed shape${cfg.parser.type === 'fixed-width' ? ' (see min-length)' : ''}`);
    const span = (c: number | { min?: number; max?: number }) => (typeof c === 'number' ? { min: c, max: Infinity } : { min: c.min ?? 0, max: c.max ?? Infinity });
    fieldCounts = {
      by: comp(fc.by, ['field-counts', 'by']),
      types: new Map(Object.entries(fc.types).map(([t, c]) => [t, span(c)])),
      other: fc.other === undefined ? undefined : span(fc.other),
    };
    for (const [t, c] of fieldCounts.types) if (c.min > c.max) at(['field-counts', 'types', t], `min ${c.min} is greater than max ${c.max}`);
  }
  const classes = cfg['usage-classes'].map((c, i) => {
    if ('use' in c) {
      const lib = library.get(c.use);
      if (!lib) {
        at(['usage-classes', i, 'use'], `no usage class ${JSON.stringify(c.use)} in the libraries (${[...library.keys()].join(', ') || 'none loaded'})`);
        return { name: c.as ?? c.use, code: 'null' };
      }
      try {
        return { name: c.as ?? c.use, code: exprCode(lib.when, ctx, emit(nothingMapped)) };
      } catch (e) {
        if (e instanceof ExprSyntaxError || e instanceof ExprCompileError) {
          at(['usage-classes', i, 'use'], `class ${c.use} from ${lib.file}: ${e.message} (in its expression at character ${e.at + 1})`);
          return { name: c.as ?? c.use, code: 'null' };
        }
        throw e;
      }
    }
    return { name: c.name, code: code(c.when, ['usage-classes', i, 'when'], nothingMapped) };
  });
  let pairing: CompiledPairing | undefined;
  if (cfg.pairing) {
    const p = cfg.pairing;
    pairing = {
      key: comp(p.key, ['pairing', 'key']),
      start: comp(p.start, ['pairing', 'start']),
      stop: comp(p.stop, ['pairing', 'stop']),
      update: p.update ? comp(p.update, ['pairing', 'update']) : undefined,
      time: p.time ? comp(p.time, ['pairing', 'time']) : undefined,
      windowMs: p.window ? parseDuration(p.window, 's') : undefined,
      maxPending: p['max-pending'],
    };
    if (pairing.windowMs !== undefined && !pairing.time) at(['pairing', 'window'], 'a pairing window needs `time` (the event time of each half)');
  }
  const mappingCode: { when?: string; code: string[] }[] = [];
  const mappings: CompiledMapping[] = cfg.mappings.map((m, i) => {
    const merged = { ...cfg.defaults, ...m.fields };
    const fields: CompiledField[] = [];
    const fieldCode: string[] = [];
    const vars = fieldVar(Object.keys(merged));
    for (const [name, spec] of Object.entries(merged)) {
      const fromDefaults = !(name in m.fields);
      const path = fromDefaults ? ['defaults', name] : ['mappings', i, 'fields', name];
      const src = typeof spec === 'string' ? spec : spec.value;
      const required = typeof spec === 'string' ? ALWAYS_REQUIRED.has(name) : (spec.required ?? ALWAYS_REQUIRED.has(name));
      const rejectAs = (typeof spec === 'string' ? undefined : spec['reject-as']) ?? (name === 'account' ? 'UNKNOWN_ACCOUNT' : 'MISSING_FIELD');
      fields.push({ name, required, rejectAs });
      fieldCode.push(code(src, typeof spec === 'string' ? path : [...path, 'value'], vars));
    }
    for (const req of ALWAYS_REQUIRED) {
      if (!(req in merged)) at(['mappings', i, 'fields'], `mapping "${m.name}" does not set the required UDR field "${req}"`);
    }
    if (!('usageClass' in merged) && classes.length === 0) {
      at(['mappings', i, 'fields'], `mapping "${m.name}" sets no usageClass and the file has no usage-classes`);
    }
    const keep: [number, string][] = [];
    if (m['keep-fields']) {
      if (!parser.ordinal) at(['mappings', i, 'keep-fields'], 'keep-fields needs an ordinal feed (delimited or fixed-width)');
      for (const n of parseOrdinalList(m['keep-fields'])) {
        if (n < 1) { at(['mappings', i, 'keep-fields'], 'field ordinals start at 1'); break; }
        keep.push([n - 1, parser.columns?.[n - 1] ?? `f${n}`]);
      }
    }
    mappingCode.push({ when: m.when ? code(m.when, ['mappings', i, 'when'], mappingVar) : undefined, code: fieldCode });
    return {
      name: m.name,
      fields,
      attrFields: fields.map((f) => f.name).filter((n) => !CORE.has(n)),
      keep,
    };
  });

  if (errs.length) throw new ConfigError(errs.sort((a, b) => a.line - b.line || a.col - b.col));
  const program = buildProgram({
    filters,
    classes,
    mappings: mappings.map((mp, i) => ({
      name: mp.name,
      when: mappingCode[i]!.when,
      fields: mp.fields.map((f, j) => ({ ...f, code: mappingCode[i]!.code[j]! })),
      attrFields: mp.attrFields,
      keep: mp.keep,
    })),
    consts,
    functions: FUNCTION_REGISTRY,
    usedFunctions: fnsUsed,
  });
  return {
    name: cfg.name,
    file,
    version: hash.digest('hex').slice(0, 12),
    config: cfg,
    parser,
    filters: filters.map((f) => ({ name: f.name, keep: f.keep, reject: f.reject })),
    fieldCounts,
    classes: classes.map((c) => ({ name: c.name })),
    mappings,
    program,
    dedupWindow: cfg.dedup?.window ?? 0,
    pairing,
    tables,
    files,
    functionsUsed: used,
  };
}
