/**
 * The message of an expression compile error as rule authors see it: the error text with a "did you mean …" for
 * an unknown function or column, and where in the expression it is. Shared by the mediation compiler and catalogs.
 */
import { didYouMean } from '../config/suggest.ts';
import type { CompileContext } from '../expr/compile.ts';

export function exprErrorMessage(e: { message: string; at?: number }, ctx: Pick<CompileContext, 'functions' | 'columns'>): string {
  let msg = e.message;
  const fn = /^unknown function ([A-Za-z_][A-Za-z0-9_]*)\(\)/.exec(msg);
  const col = /^unknown column \$([A-Za-z_][A-Za-z0-9_.]*)/.exec(msg);
  const hint = fn ? didYouMean(fn[1]!, ctx.functions.keys(), (c) => `${c}()`)
    : col && ctx.columns ? didYouMean(col[1]!, ctx.columns.keys(), (c) => `$${c}`) : '';
  if (hint) {
    const head = (fn ?? col)![0];
    msg = `${head} (${hint})${msg.slice(head.length)}`;
  }
  return typeof e.at === 'number' ? `${msg} (in expression at character ${e.at + 1})` : msg;
}
