/**
 * Parser of the rule expression language: a small, safe, side-effect-free language compiled to JS functions.
 *
 *   expr    := ternary
 *   ternary := or ('?' expr ':' expr)?
 *   or      := and ('||' and)*            ('or' also accepted)
 *   and     := not ('&&' not)*            ('and' also accepted)
 *   cmp     := concat (('=='|'!='|'<'|'<='|'>'|'>='|'~'|'!~'|'in'|'not in') concat)?
 *   concat  := add ('&' add)*             (string concatenation)
 *   add     := mul (('+'|'-') mul)*       (numbers only)
 *   mul     := unary (('*'|'/'|'%') unary)*
 *   unary   := ('!'|'not'|'-') unary | primary
 *   primary := number | 'string' | "string" | true | false | null | $N | $name(.name)* | ${any name}
 *            | ident(.ident)* | ident '(' args ')' | '[' items ']' | '(' expr ')'
 */
import { type BinOp, type Expr, ExprSyntaxError } from './ast.ts';

export const MAX_EXPR_LENGTH = 10_000;

type Tok = { t: 'num' | 'str' | 'id' | 'field' | 'op' | 'eof'; v: string; at: number; ordinal?: number; path?: string[] };

const OPS = ['not in', '==', '!=', '<=', '>=', '&&', '||', '!~', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')', '[', ']', ',', '?', ':', '~', '&', '.'];

function lex(src: string): Tok[] {
  if (src.length > MAX_EXPR_LENGTH) throw new ExprSyntaxError(`expression longer than ${MAX_EXPR_LENGTH} characters`, 0);
  const out: Tok[] = [];
  let i = 0;
  const isId = (c: string) => /[A-Za-z0-9_]/.test(c);
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const at = i;
    if (/[0-9]/.test(c)) {
      let j = i;
      while (j < src.length && /[0-9]/.test(src[j]!)) j++;
      if (src[j] === '.' && /[0-9]/.test(src[j + 1] ?? '')) { j++; while (j < src.length && /[0-9]/.test(src[j]!)) j++; }
      out.push({ t: 'num', v: src.slice(i, j), at }); i = j; continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1; let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const n = src[j + 1]!;
          // \n \t \\ \' \" are escapes; any other backslash is kept (so regexes like '^\+31' read naturally)
          s += n === 'n' ? '\n' : n === 't' ? '\t' : n === '\\' || n === "'" || n === '"' ? n : `\\${n}`;
          j += 2; continue;
        }
        s += src[j]; j++;
      }
      if (j >= src.length) throw new ExprSyntaxError('unterminated string', at);
      out.push({ t: 'str', v: s, at }); i = j + 1; continue;
    }
    if (c === '$') {
      if (src[i + 1] === '{') {
        const end = src.indexOf('}', i + 2);
        if (end < 0) throw new ExprSyntaxError('unterminated ${...} field name', at);
        out.push({ t: 'field', v: src.slice(i, end + 1), at, path: [src.slice(i + 2, end)] }); i = end + 1; continue;
      }
      let j = i + 1;
      if (/[0-9]/.test(src[j] ?? '')) {
        while (j < src.length && /[0-9]/.test(src[j]!)) j++;
        const n = Number(src.slice(i + 1, j));
        if (n < 1) throw new ExprSyntaxError('field ordinals start at $1', at);
        out.push({ t: 'field', v: src.slice(i, j), at, ordinal: n }); i = j; continue;
      }
      const path: string[] = [];
      while (true) {
        const s = j;
        while (j < src.length && (isId(src[j]!) || src[j] === '-' || src[j] === '@')) j++;
        if (j === s) throw new ExprSyntaxError('expected a field name after $', j);
        path.push(src.slice(s, j));
        if (src[j] === '.' && (isId(src[j + 1] ?? '') || src[j + 1] === '@')) { j++; continue; }
        break;
      }
      out.push({ t: 'field', v: src.slice(i, j), at, path }); i = j; continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && isId(src[j]!)) j++;
      const word = src.slice(i, j);
      if (word === 'not' && /^\s+in\b/.test(src.slice(j))) {
        const m = /^\s+in\b/.exec(src.slice(j))!;
        out.push({ t: 'op', v: 'not in', at }); i = j + m[0].length; continue;
      }
      if (word === 'and') { out.push({ t: 'op', v: '&&', at }); i = j; continue; }
      if (word === 'or') { out.push({ t: 'op', v: '||', at }); i = j; continue; }
      if (word === 'not') { out.push({ t: 'op', v: '!', at }); i = j; continue; }
      if (word === 'in') { out.push({ t: 'op', v: 'in', at }); i = j; continue; }
      out.push({ t: 'id', v: word, at }); i = j; continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprSyntaxError(`unexpected character ${JSON.stringify(c)}`, at);
    out.push({ t: 'op', v: op, at }); i += op.length;
  }
  out.push({ t: 'eof', v: '', at: src.length });
  return out;
}

export function parseExpr(src: string): Expr {
  const toks = lex(src);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;
  const isOp = (v: string) => peek().t === 'op' && peek().v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new ExprSyntaxError(`expected '${v}' but found ${describe(peek())}`, peek().at);
    return next();
  };
  const describe = (t: Tok) => (t.t === 'eof' ? 'end of expression' : `'${t.v}'`);

  function expr(): Expr {
    if (++depth > 200) throw new ExprSyntaxError('expression nested too deeply', peek().at);
    try { return ternary(); } finally { depth--; }
  }
  function ternary(): Expr {
    const test = or();
    if (isOp('?')) {
      const at = next().at;
      const a = expr(); expect(':'); const b = expr();
      return { k: 'cond', test, then: a, else: b, at };
    }
    return test;
  }
  function binLevel(ops: string[], sub: () => Expr): () => Expr {
    return () => {
      let l = sub();
      while (peek().t === 'op' && ops.includes(peek().v)) {
        const t = next();
        l = { k: 'bin', op: t.v as BinOp, l, r: sub(), at: t.at };
      }
      return l;
    };
  }
  const unary = (): Expr => {
    if (isOp('!') || isOp('-')) {
      const t = next();
      if (++depth > 200) throw new ExprSyntaxError('expression nested too deeply', t.at);
      try { return { k: 'unary', op: t.v as '!' | '-', arg: unary(), at: t.at }; } finally { depth--; }
    }
    return primary();
  };
  const mul = binLevel(['*', '/', '%'], unary);
  const add = binLevel(['+', '-'], mul);
  const concat = binLevel(['&'], add);
  const cmp = (): Expr => {
    const l = concat();
    const t = peek();
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>=', '~', '!~', 'in', 'not in'].includes(t.v)) {
      next();
      return { k: 'bin', op: t.v as BinOp, l, r: concat(), at: t.at };
    }
    return l;
  };
  const and = binLevel(['&&'], cmp);
  const or = binLevel(['||'], and);

  function primary(): Expr {
    const t = next();
    switch (t.t) {
      case 'num': return { k: 'lit', v: Number(t.v), at: t.at };
      case 'str': return { k: 'lit', v: t.v, at: t.at };
      case 'field': return t.ordinal !== undefined ? { k: 'field', ordinal: t.ordinal, at: t.at } : { k: 'field', path: t.path!, at: t.at };
      case 'id': {
        if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true', at: t.at };
        if (t.v === 'null') return { k: 'lit', v: null, at: t.at };
        if (isOp('(')) {
          next();
          const args: Expr[] = [];
          if (!isOp(')')) {
            do { args.push(expr()); } while (isOp(',') && next());
          }
          expect(')');
          return { k: 'call', name: t.v, args, at: t.at };
        }
        const path = [t.v];
        while (isOp('.')) {
          next();
          const n = next();
          if (n.t !== 'id') throw new ExprSyntaxError(`expected a name after '.', found ${describe(n)}`, n.at);
          path.push(n.v);
        }
        return { k: 'var', path, at: t.at };
      }
      case 'op':
        if (t.v === '(') { const e = expr(); expect(')'); return e; }
        if (t.v === '[') {
          const items: Expr[] = [];
          if (!isOp(']')) { do { items.push(expr()); } while (isOp(',') && next()); }
          expect(']');
          return { k: 'list', items, at: t.at };
        }
        throw new ExprSyntaxError(`unexpected ${describe(t)}`, t.at);
      case 'eof':
        throw new ExprSyntaxError('unexpected end of expression', t.at);
    }
  }
  const e = expr();
  if (peek().t !== 'eof') throw new ExprSyntaxError(`unexpected ${describe(peek())} after expression`, peek().at);
  return e;
}
