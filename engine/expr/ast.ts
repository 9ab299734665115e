/** AST of the rule expression language (see parser.ts for the grammar). */
export type Expr =
  | { k: 'lit'; v: string | number | boolean | null; at: number }
  | { k: 'field'; ordinal?: number; path?: string[]; at: number } // $3, $name, $a.b, ${Some Name}
  | { k: 'var'; path: string[]; at: number } // bare identifier: a mapped UDR field / context value
  | { k: 'list'; items: Expr[]; at: number }
  | { k: 'unary'; op: '!' | '-'; arg: Expr; at: number }
  | { k: 'bin'; op: BinOp; l: Expr; r: Expr; at: number }
  | { k: 'cond'; test: Expr; then: Expr; else: Expr; at: number }
  | { k: 'call'; name: string; args: Expr[]; at: number };

export type BinOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%' | 'in' | 'not in' | '~' | '!~' | '&';

export class ExprSyntaxError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
    this.name = 'ExprSyntaxError';
  }
}
