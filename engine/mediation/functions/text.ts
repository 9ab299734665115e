/** Text functions: lower, upper, trim, substr, concat, coalesce, pad. */
import type { FunctionSpec } from '../../expr/compile.ts';
import { str, type Value } from '../../expr/runtime.ts';

export const lower: FunctionSpec = {
  name: 'lower', description: 'Lower-case text.', minArgs: 1, maxArgs: 1,
  examples: [{ expr: "lower('SMS-MO')", result: 'sms-mo' }],
  fn: (s: Value) => str(s).toLowerCase(),
};
export const upper: FunctionSpec = {
  name: 'upper', description: 'Upper-case text.', minArgs: 1, maxArgs: 1,
  examples: [{ expr: "upper('data')", result: 'DATA' }],
  fn: (s: Value) => str(s).toUpperCase(),
};
export const trim: FunctionSpec = {
  name: 'trim', description: 'Remove surrounding white space (fixed-width fields are padded).', minArgs: 1, maxArgs: 1,
  examples: [{ expr: "trim('  42 ')", result: '42' }],
  fn: (s: Value) => str(s).trim(),
};
export const substr: FunctionSpec = {
  name: 'substr', description: 'substr(text, start, length?): 0-based substring.', minArgs: 2, maxArgs: 3,
  examples: [{ expr: "substr('CDR0000010', 3, 7)", result: '0000010' }],
  fn: (s: Value, start: Value, len?: Value) => {
    const t = str(s);
    const a = Number(start);
    return len === undefined ? t.slice(a) : t.slice(a, a + Number(len));
  },
};
export const concat: FunctionSpec = {
  name: 'concat', description: 'Join values as text (empty for null).', minArgs: 1, maxArgs: 32,
  examples: [{ expr: "concat('a', 1, 'b')", result: 'a1b' }],
  fn: (...xs: Value[]) => xs.map(str).join(''),
};
export const coalesce: FunctionSpec = {
  name: 'coalesce', description: 'First argument that is neither null nor empty text.', minArgs: 1, maxArgs: 32,
  examples: [{ expr: "coalesce(null, '', 'x')", result: 'x' }],
  fn: (...xs: Value[]) => {
    for (const x of xs) if (x !== null && x !== '') return x;
    return null;
  },
};
export const padLeft: FunctionSpec = {
  name: 'pad_left', description: 'pad_left(text, width, char): left-pad to width.', minArgs: 3, maxArgs: 3,
  examples: [{ expr: "pad_left('7', 3, '0')", result: '007' }],
  fn: (s: Value, w: Value, c: Value) => str(s).padStart(Number(w), str(c) || ' '),
};
