/**
 * Compiles parsed expressions into JS functions once per rule set. Only whitelisted constructs are emitted:
 * literals via JSON.stringify, field access through index or the own-property `get` helper, functions by
 * registry name. No user text ever becomes code; regexes use RE2 semantics (linear time).
 */
import { RE2JS } from 're2js';
import { type Expr, ExprSyntaxError } from './ast.ts';
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
}

export interface ReferenceTable {
  name: string;
  columns: string[];
  rows: Map<string, Record<string, string>>;
}

/** f(record, vars) → value */
export type CompiledExpr = (r: unknown, v: Record<string, unknown>) => Value;

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

export function literalString(e: Expr | undefined, what: string): string {
  if (!e || e.k !== 'lit' || typeof e.v !== 'string') throw new ExprCompileError(`${what} must be a string literal`, e?.at ?? 0);
  return e.v;
}

export function compileExpr(src: string, ctx: CompileContext): CompiledExpr {
  const ast = parseExpr(src);
  const consts: unknown[] = [];
  const code = gen(ast, ctx, consts);
  // eslint-disable-next-line no-new-func
  const f = new Function('H', 'F', 'P', `"use strict"; return function(r, v) { return ${code}; };`);
  const fns: Record<string, Function> = Object.create(null);
  for (const [k, s] of ctx.functions) fns[k] = s.fn;
  return f(H, fns, consts) as CompiledExpr;
}

/** Check an expression without keeping it: returns the error or null. */
export function checkExpr(src: string, ctx: CompileContext): ExprSyntaxError | ExprCompileError | null {
  try {
    compileExpr(src, ctx);
    return null;
  } catch (e) {
    if (e instanceof ExprSyntaxError || e instanceof ExprCompileError) return e;
    throw e;
  }
}

function gen(e: Expr, ctx: CompileContext, P: unknown[]): string {
  const g = (x: Expr) => gen(x, ctx, P);
  switch (e.k) {
    case 'lit':
      return JSON.stringify(e.v);
    case 'field': {
      if (e.ordinal !== undefined) {
        if (!ctx.ordinal) throw new ExprCompileError(`$${e.ordinal}: ordinal fields need a delimited or fixed-width feed; use $name.path for structured feeds`, e.at);
        return `(r[${e.ordinal - 1}] ?? null)`;
      }
      const path = e.path!;
      if (ctx.ordinal) {
        const idx = ctx.columns?.get(path.join('.'));
        if (idx === undefined) {
          throw new ExprCompileError(`unknown column $${path.join('.')}${ctx.columns?.size ? ` (columns: ${[...ctx.columns.keys()].join(', ')})` : ' (declare `columns` on the parser to use names)'}`, e.at);
        }
        return `(r[${idx}] ?? null)`;
      }
      P.push(path);
      return `H.get(r, P[${P.length - 1}])`;
    }
    case 'var': {
      P.push(e.path);
      return `H.get(v, P[${P.length - 1}])`;
    }
    case 'list':
      return `[${e.items.map(g).join(', ')}]`;
    case 'unary':
      return e.op === '!' ? `!H.truthy(${g(e.arg)})` : `(-H.num(${g(e.arg)}))`;
    case 'cond':
      return `(H.truthy(${g(e.test)}) ? ${g(e.then)} : ${g(e.else)})`;
    case 'bin': {
      switch (e.op) {
        case '&&': return `(H.truthy(${g(e.l)}) && H.truthy(${g(e.r)}))`;
        case '||': return `(H.truthy(${g(e.l)}) || H.truthy(${g(e.r)}))`;
        case '==': return `H.eq(${g(e.l)}, ${g(e.r)})`;
        case '!=': return `!H.eq(${g(e.l)}, ${g(e.r)})`;
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
          const re = compileRegex(literalString(e.r, `the right side of '${e.op}'`), e.r.at);
          P.push(re);
          const c = `P[${P.length - 1}].test(H.str(${g(e.l)}))`;
          return e.op === '~' ? c : `!${c}`;
        }
      }
      throw new ExprCompileError(`unknown operator ${(e as { op: string }).op}`, (e as { at: number }).at);
    }
    case 'call': {
      const spec = ctx.functions.get(e.name);
      if (!spec) throw new ExprCompileError(`unknown function ${e.name}() (see \`ratestream list functions\`)`, e.at);
      if (e.args.length < spec.minArgs || e.args.length > spec.maxArgs) {
        const n = spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : `${spec.minArgs}..${spec.maxArgs}`;
        throw new ExprCompileError(`${e.name}() takes ${n} argument(s), got ${e.args.length}`, e.at);
      }
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
        args.unshift(`P[${P.length - 1}]`);
      }
      return `F[${JSON.stringify(e.name)}](${args.join(', ')})`;
    }
  }
}
