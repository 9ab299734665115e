/**
 * Compiles parsed expressions into JS functions once per rule set. Only whitelisted constructs are emitted:
 * literals via JSON.stringify, field access through index or the own-property `get` helper, functions by
 * registry name. No user text ever becomes code; regexes use RE2 semantics (linear time).
 */
import { RE2JS } from 're2js';
import type { Expr } from './ast.ts';
import { parseExpr } from './parser.ts';
import { H, type Value } from './runtime.ts';

export interface FunctionSpec {
  name: string;
  description: string;
  minArgs: number;
  maxArgs: number;
  /** examples double as tests and docs: `expr` evaluated on an empty record must give `result`. */
  examples: { expr: string; result: Value; record?: string[] }[];
  /**
   * Optional compile-time preparation from the literal arguments (e.g. compile a regex, resolve a table).
   * Returns a constant passed as the first argument to `fn`. Throw to report a compile error.
   */
  prepare?: (args: readonly Expr[], ctx: CompileContext) => unknown;
  fn: (...args: any[]) => Value;
}

export interface CompileContext {
  /** ordinal records (string[]) vs structured (object) */
  ordinal: boolean;
  /** for ordinal records: column name → 0-based index (from the parser's declared columns) */
  columns?: ReadonlyMap<string, number>;
  functions: ReadonlyMap<string, FunctionSpec>;
  /** reference tables by name (key → row of named columns) */
  tables: ReadonlyMap<string, ReferenceTable>;
  /** named values available as bare identifiers (e.g. `vars.x`); the rest resolve into the output object */
  varRoots?: ReadonlySet<string>;
  /** the rule file pairs start/stop records: `stop($N)` and `update($N)` read the other halves */
  pairing?: boolean;
  /** filled with the names of the functions the compiled expressions call (coverage, `list`) */
  used?: Set<string>;
}

/**
 * Per-record context of a compiled expression, besides the parsed record and the mapped values. The Mediator reuses
 * one object (no allocation per record). `meta.feed`, `meta.source`, `meta.file`, `meta.line` in expressions.
 */
export interface ExprMeta {
  feed: string;
  source: string;
  /** pairing: the stop record and the last update record merged into this one (or null) */
  stop: unknown;
  update: unknown;
}

/** `stop(x)` / `update(x)`: read field x of the paired stop / update record */
const PAIR_REFS = new Set(['stop', 'update']);
/** meta.<key> available in expressions */
export const META_KEYS = ['feed', 'source', 'file', 'line'] as const;

export interface ReferenceTable {
  name: string;
  columns: string[];
  rows: Map<string, Record<string, string>>;
}

/** f(record, vars, meta) → value */
export type CompiledExpr = (r: unknown, v: Record<string, unknown>, m?: ExprMeta) => Value;

export class ExprCompileError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
    this.name = 'ExprCompileError';
  }
}

export function compileRegex(pattern: string, at = 0): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new ExprCompileError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message} (RE2 syntax: no backreferences or lookaround)`, at);
  }
}

/**
 * Patterns that are plain text with optional ^ / $ anchors (the common '^0900', '^SMS-', 'foo$') are matched with
 * startsWith / endsWith / includes: the same result as RE2, without the regex engine on the hot path.
 */
export function literalMatcher(pattern: string): { test(s: string): boolean } | undefined {
  const m = /^(\^?)((?:[^\\.^$|?*+()[\]{}]|\\[.^$|?*+()[\]{}\\/-])*)(\$?)$/.exec(pattern);
  if (!m) return undefined;
  const lit = m[2]!.replace(/\\(.)/g, '$1');
  const start = m[1] === '^', end = m[3] === '$';
  if (start && end) return { test: (s) => s === lit };
  if (start) return { test: (s) => s.startsWith(lit) };
  if (end) return { test: (s) => s.endsWith(lit) };
  return { test: (s) => s.includes(lit) };
}

export function literalString(e: Expr | undefined, what: string): string {
  if (!e || e.k !== 'lit' || typeof e.v !== 'string') throw new ExprCompileError(`${what} must be a string literal`, e?.at ?? 0);
  return e.v;
}

export function compileExpr(src: string, ctx: CompileContext): CompiledExpr {
  const ast = parseExpr(src);
  const consts: unknown[] = [];
  const code = gen(ast, { ctx, P: consts, rv: 'r' });
  // eslint-disable-next-line no-new-func
  const f = new Function('H', 'F', 'P', `"use strict"; return function(r, v, m) { return ${code}; };`);
  const fns: Record<string, Function> = Object.create(null);
  for (const [k, s] of ctx.functions) fns[k] = s.fn;
  return f(H, fns, consts) as CompiledExpr;
}

/**
 * How an expression is emitted into a larger generated program (see ../program.ts) instead of its own function:
 * constants go to the shared `consts` list and are referenced by `constRef(i)`, functions by `fnRef(name)`, and
 * bare identifiers (mapped values) by `varRef(path)`, which returns a JS expression (a local, or `null`).
 * The emitted code reads the record from `r` and the meta context from `m`, like a compiled expression.
 */
export interface EmitOptions {
  consts: unknown[];
  constRef: (i: number) => string;
  fnRef: (name: string) => string;
  varRef: (path: readonly string[]) => string;
}

/** JS source of one expression for a generated program (throws ExprSyntaxError / ExprCompileError like compileExpr). */
export function exprCode(src: string, ctx: CompileContext, opts: EmitOptions): string {
  return gen(parseExpr(src), { ctx, P: opts.consts, rv: 'r', emit: opts });
}

/** Function names an expression calls (static), for coverage reports. */
export function functionsIn(e: Expr, out: Set<string>): Set<string> {
  switch (e.k) {
    case 'list': e.items.forEach((x) => functionsIn(x, out)); break;
    case 'unary': functionsIn(e.arg, out); break;
    case 'bin': functionsIn(e.l, out); functionsIn(e.r, out); break;
    case 'cond': functionsIn(e.test, out); functionsIn(e.then, out); functionsIn(e.else, out); break;
    case 'call': out.add(e.name); e.args.forEach((x) => functionsIn(x, out)); break;
    default:
  }
  return out;
}

interface GenState {
  ctx: CompileContext;
  P: unknown[];
  /** the JS expression of the record fields are read from (`r`, or `m.stop` inside stop(...)) */
  rv: string;
  /** program mode (exprCode); absent: a standalone function of (r, v, m) */
  emit?: EmitOptions;
}

function gen(e: Expr, st: GenState): string {
  const { ctx, P, rv, emit } = st;
  const g = (x: Expr) => gen(x, st);
  /** reference to constant P[i] */
  const K = (i: number) => (emit ? emit.constRef(i) : `P[${i}]`);
  /** equality; with a string or number literal on one side, the specialised helper (eq is symmetric) */
  const eqCode = (l: Expr, r: Expr): string => {
    const lit = r.k === 'lit' ? r : l.k === 'lit' ? l : undefined;
    if (lit !== undefined && lit.k === 'lit') {
      const other = lit === r ? l : r;
      if (typeof lit.v === 'string') return `H.eqS(${g(other)}, ${JSON.stringify(lit.v)})`;
      if (typeof lit.v === 'number' && Number.isFinite(lit.v)) return `H.eqN(${g(other)}, ${JSON.stringify(lit.v)})`;
    }
    return `H.eq(${g(l)}, ${g(r)})`;
  };
  switch (e.k) {
    case 'lit':
      return JSON.stringify(e.v);
    case 'field': {
      if (e.ordinal !== undefined) {
        if (!ctx.ordinal) throw new ExprCompileError(`$${e.ordinal}: ordinal fields need a delimited or fixed-width feed; use $name.path for structured feeds`, e.at);
        return rv === 'r' ? `(r[${e.ordinal - 1}] ?? null)` : `(${rv} ? (${rv}[${e.ordinal - 1}] ?? null) : null)`;
      }
      const path = e.path!;
      if (ctx.ordinal) {
        const idx = ctx.columns?.get(path.join('.'));
        if (idx === undefined) {
          throw new ExprCompileError(`unknown column $${path.join('.')}${ctx.columns?.size ? ` (columns: ${[...ctx.columns.keys()].join(', ')})` : ' (declare `columns` on the parser to use names)'}`, e.at);
        }
        return rv === 'r' ? `(r[${idx}] ?? null)` : `(${rv} ? (${rv}[${idx}] ?? null) : null)`;
      }
      P.push(path);
      return `H.get(${rv}, ${K(P.length - 1)})`;
    }
    case 'var': {
      if (e.path[0] === 'meta') {
        const key = e.path[1];
        if (e.path.length !== 2 || !(META_KEYS as readonly string[]).includes(key!)) {
          throw new ExprCompileError(`meta.${e.path.slice(1).join('.')}: use one of ${META_KEYS.map((k) => `meta.${k}`).join(', ')}`, e.at);
        }
        return `H.meta(m, ${JSON.stringify(key)})`;
      }
      if (emit) return emit.varRef(e.path);
      if (e.path.length === 1 && !(e.path[0]! in Object.prototype)) {
        // mapped values live in a null-prototype object (see MappedValues): a direct read is safe and fast
        return `(v[${JSON.stringify(e.path[0])}] ?? null)`;
      }
      P.push(e.path);
      return `H.get(v, P[${P.length - 1}])`;
    }
    case 'list':
      if (e.items.every((x) => x.k === 'lit')) {
        // constant list: built once, not per evaluation
        P.push(e.items.map((x) => (x as { v: unknown }).v));
        return K(P.length - 1);
      }
      return `[${e.items.map(g).join(', ')}]`;
    case 'unary':
      return e.op === '!' ? `!H.truthy(${g(e.arg)})` : `(-H.num(${g(e.arg)}))`;
    case 'cond':
      return `(H.truthy(${g(e.test)}) ? ${g(e.then)} : ${g(e.else)})`;
    case 'bin': {
      switch (e.op) {
        case '&&': return `(H.truthy(${g(e.l)}) && H.truthy(${g(e.r)}))`;
        case '||': return `(H.truthy(${g(e.l)}) || H.truthy(${g(e.r)}))`;
        case '==': return eqCode(e.l, e.r);
        case '!=': return `!${eqCode(e.l, e.r)}`;
        case '<': return `(H.cmp(${g(e.l)}, ${g(e.r)}) < 0)`;
        case '<=': return `(H.cmp(${g(e.l)}, ${g(e.r)}) <= 0)`;
        case '>': return `(H.cmp(${g(e.l)}, ${g(e.r)}) > 0)`;
        case '>=': return `(H.cmp(${g(e.l)}, ${g(e.r)}) >= 0)`;
        case '+': case '-': case '*': case '%':
          return `(H.num(${g(e.l)}) ${e.op} H.num(${g(e.r)}))`;
        case '/': return `(H.num(${g(e.l)}) / H.num(${g(e.r)}))`;
        case '&': return `(H.str(${g(e.l)}) + H.str(${g(e.r)}))`;
        case 'in': case 'not in': {
          if (e.r.k !== 'list') throw new ExprCompileError(`'${e.op}' needs a [list] on its right`, e.at);
          const c = `H.inList(${g(e.l)}, ${g(e.r)})`;
          return e.op === 'in' ? c : `!${c}`;
        }
        case '~': case '!~': {
          const pattern = literalString(e.r, `the right side of '${e.op}'`);
          const re = compileRegex(pattern, e.r.at);
          P.push(literalMatcher(pattern) ?? re);
          const c = `${K(P.length - 1)}.test(H.str(${g(e.l)}))`;
          return e.op === '~' ? c : `!${c}`;
        }
      }
      throw new ExprCompileError(`unknown operator ${(e as { op: string }).op}`, (e as { at: number }).at);
    }
    case 'call': {
      if (PAIR_REFS.has(e.name)) {
        if (!ctx.pairing) throw new ExprCompileError(`${e.name}() reads the paired record: it needs a \`pairing\` block in the rule file`, e.at);
        const a = e.args[0];
        if (e.args.length !== 1 || !a || a.k !== 'field') throw new ExprCompileError(`${e.name}() takes one field reference, e.g. ${e.name}($7)`, e.at);
        return gen(a, { ...st, rv: `m.${e.name}` });
      }
      const spec = ctx.functions.get(e.name);
      if (!spec) throw new ExprCompileError(`unknown function ${e.name}() (see \`ratestream list functions\`)`, e.at);
      if (e.args.length < spec.minArgs || e.args.length > spec.maxArgs) {
        const n = spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : `${spec.minArgs}..${spec.maxArgs}`;
        throw new ExprCompileError(`${e.name}() takes ${n} argument(s), got ${e.args.length}`, e.at);
      }
      ctx.used?.add(e.name);
      const args = e.args.map(g);
      if (spec.prepare) {
        let prepared: unknown;
        try {
          prepared = spec.prepare(e.args, ctx);
        } catch (err) {
          if (err instanceof ExprCompileError) throw err;
          throw new ExprCompileError(`${e.name}(): ${(err as Error).message}`, e.at);
        }
        P.push(prepared);
        args.unshift(K(P.length - 1));
      }
      return `${emit ? emit.fnRef(e.name) : `F[${JSON.stringify(e.name)}]`}(${args.join(', ')})`;
    }
  }
}
