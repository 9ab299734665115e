/** Regex functions on RE2 semantics (linear time; a hostile pattern cannot hang the engine). */
import type { RE2JS } from 're2js';
import { compileRegex, literalString, type FunctionSpec } from '../../expr/compile.ts';
import { str, type Value } from '../../expr/runtime.ts';

export const replace: FunctionSpec = {
  name: 'replace',
  description: "replace(text, 'regex', 'replacement'): replace every match; $1.. refer to groups. Pattern and replacement are literals.",
  minArgs: 3, maxArgs: 3,
  examples: [{ expr: "replace('086517174963', '^0([1-9][0-9]+)$', '+49$1')", result: '+4986517174963' }],
  prepare: (args) => compileRegex(literalString(args[1], 'replace() pattern'), args[1]!.at),
  fn: (re: RE2JS, s: Value, _p: Value, repl: Value) => re.matcher(str(s)).replaceAll(str(repl)),
};
export const matches: FunctionSpec = {
  name: 'matches', description: "matches(text, 'regex'): true when the pattern occurs in the text.", minArgs: 2, maxArgs: 2,
  examples: [{ expr: "matches('SMS-MO', '^SMS-')", result: true }],
  prepare: (args) => compileRegex(literalString(args[1], 'matches() pattern'), args[1]!.at),
  fn: (re: RE2JS, s: Value) => re.test(str(s)),
};
export const extract: FunctionSpec = {
  name: 'extract', description: "extract(text, 'regex', group?): the first match's group (default 1), or null.", minArgs: 2, maxArgs: 3,
  examples: [{ expr: "extract('user@cgrates.org', '@(.+)$')", result: 'cgrates.org' }],
  prepare: (args) => compileRegex(literalString(args[1], 'extract() pattern'), args[1]!.at),
  fn: (re: RE2JS, s: Value, _p: Value, group?: Value) => {
    const m = re.matcher(str(s));
    if (!m.find()) return null;
    return m.group(group === undefined ? 1 : Number(group)) ?? null;
  },
};
