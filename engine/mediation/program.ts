/**
 * The rule set as one generated program (built once per compile): the filters, the usage classes with the mapping
 * choice, and per mapping one function that evaluates every field (defaults included) into local variables and
 * writes the UDR core values into a reused scratch object. Per record this replaces one closure call per rule and
 * the per-record property bag of mapped values.
 *
 * Semantics are those of evaluating the rules one by one (see Mediator): a bare identifier in a field reads the
 * value mapped so far for this record (`usageClass` or an earlier field; a later or unknown name reads null), and
 * reads null in filters, usage classes and (except `usageClass`) mapping conditions, where nothing is mapped yet.
 * Only compiler-made text becomes code: expression code from exprCode, local names made from indexes, names and
 * literals through JSON.stringify.
 */
import type { RejectReason } from '../core/types.ts';
import type { FunctionSpec } from '../expr/compile.ts';
import { H } from '../expr/runtime.ts';

/** UDR core values of the mapped record, read by the Mediator after a mapping function returned FIELDS_OK */
export const CORE_SLOTS = ['id', 'account', 'service', 'ratingKey', 'usageClass', 'startTime', 'quantity', 'unit', 'origin', 'destination'] as const;

/**
 * Reused per Mediator (never per record): what the generated functions hand back. A class, so every instance
 * has the same shape from the start.
 */
export class Scratch {
  /** the step (see RuleProgram.steps) whose expression threw, or the required field that was empty */
  step = -1;
  id: unknown = undefined;
  account: unknown = undefined;
  service: unknown = undefined;
  ratingKey: unknown = undefined;
  usageClass: unknown = undefined;
  startTime: unknown = undefined;
  quantity: unknown = undefined;
  unit: unknown = undefined;
  origin: unknown = undefined;
  destination: unknown = undefined;
  /** values of the mapping's attr fields, in attrFields order */
  readonly a: unknown[];
  constructor(attrSlots: number) {
    this.a = new Array<unknown>(attrSlots).fill(null);
  }
}

/** a mapping function's result: all fields mapped */
export const FIELDS_OK = 0;
/** a mapping function's result: a required field is empty (Scratch.step names it) */
export const FIELD_EMPTY = -2;

export interface ProgramMapping {
  /** fields → locals → Scratch: FIELDS_OK or FIELD_EMPTY; throws (Scratch.step set) when an expression throws */
  fields(r: unknown, m: unknown, s: Scratch): number;
  /** the UDR attrs (attr fields that are not null, then keep-fields) from Scratch.a and the record */
  attrs(s: Scratch, r: unknown): Record<string, string>;
}

export interface RuleProgram {
  /** -1: every filter passed; otherwise the index of the filter that ignores the record */
  filter(r: unknown, m: unknown, s: Scratch): number;
  /** usage class (→ Scratch.usageClass) and mapping choice: the mapping's index, or -1 when none matched */
  classify(r: unknown, m: unknown, s: Scratch): number;
  mappings: ProgramMapping[];
  /** rule-failure location of each step: `filter <name>`, `usage-class <name>`, `mapping`, `field <name>` */
  steps: string[];
  /** for field steps: the field, so an empty required field can be rejected */
  fieldOf: ({ name: string; mapping: string; rejectAs: RejectReason } | undefined)[];
  attrSlots: number;
  /** the generated source (debugging, `--print-program` style tools) */
  source: string;
}

export interface ProgramSpec {
  filters: { name: string; keep: boolean; code: string }[];
  classes: { name: string; code: string }[];
  mappings: {
    name: string;
    /** code of the condition (bare identifiers: only usageClass, see mappingVar) or undefined: always */
    when?: string;
    fields: { name: string; code: string; required: boolean; rejectAs: RejectReason }[];
    attrFields: string[];
    keep: [number, string][];
  }[];
  consts: unknown[];
  functions: ReadonlyMap<string, FunctionSpec>;
  /** function names referenced through fnName() */
  usedFunctions: ReadonlySet<string>;
}

/** local variable of constant i / function name in the generated program */
export const constName = (i: number) => `p${i}`;
export function fnName(name: string, functions: ReadonlyMap<string, FunctionSpec>): string {
  const i = [...functions.keys()].indexOf(name);
  if (i < 0) throw new Error(`unknown function ${name}`);
  return `f${i}`;
}

/** identifier resolution: in filters and classes nothing is mapped yet */
export const nothingMapped = (): string => 'null';
/** in a mapping condition only the usage class is known */
export const mappingVar = (path: readonly string[]): string => (path.length === 1 && path[0] === 'usageClass' ? '(uc ?? null)' : 'null');
/**
 * in field expressions of a mapping: `usageClass` and the mapping's own fields are locals (unassigned: undefined →
 * null, as a read of a name not mapped yet); paths (a.b) into a mapped value are always null (values are scalars)
 */
export function fieldVar(fieldNames: readonly string[]): (path: readonly string[]) => string {
  const idx = new Map(fieldNames.map((n, i) => [n, i]));
  return (path) => {
    if (path.length !== 1) return 'null';
    const name = path[0]!;
    if (name === 'usageClass') return '(uc ?? null)';
    const i = idx.get(name);
    return i === undefined ? 'null' : `(v${i} ?? null)`;
  };
}

/** generated functions stay small enough for the optimizing compiler: long lists are split into segments */
const SEGMENT = 48;

const js = (s: string) => JSON.stringify(s);
const SAFE_KEY = (k: string) => !(k in Object.prototype);

/** the old generic attrs loop, for the cases the generated literal does not cover (a null value, odd names) */
function attrsGeneric(vals: readonly unknown[], names: readonly string[], keep: readonly [number, string][], r: unknown, into?: Record<string, string>): Record<string, string> {
  const attrs: Record<string, string> = into ?? {};
  if (!into) {
    for (let i = 0; i < names.length; i++) {
      const x = vals[i];
      if (x !== null && x !== undefined) attrs[names[i]!] = typeof x === 'string' ? x : String(x);
    }
  }
  if (keep.length) {
    const arr = r as string[];
    for (let i = 0; i < keep.length; i++) {
      const [idx, name] = keep[i]!;
      const x = arr[idx];
      if (x !== undefined && !(name in attrs)) attrs[name] = x;
    }
  }
  return attrs;
}

export function buildProgram(spec: ProgramSpec): RuleProgram {
  const steps: string[] = [];
  const fieldOf: RuleProgram['fieldOf'] = [];
  const where = (stage: string, current: string) => (current ? `${stage} ${current}` : stage);
  const out: string[] = [];
  const helpers: unknown[] = [];
  const helper = (x: unknown) => `X[${helpers.push(x) - 1}]`;

  /**
   * First-match tests in segments of SEGMENT (functions stay small enough to optimise): one function per segment
   * returning the index of the first test that holds, or -1; a throwing test records its step. Returns the names.
   */
  const firstMatchSegments = (prefix: string, tests: readonly { step: string; test: string }[]): string[] => {
    const names: string[] = [];
    for (let s = 0; s < tests.length; s += SEGMENT) {
      const name = `${prefix}${names.length}`;
      names.push(name);
      const body: string[] = [];
      for (let i = s; i < Math.min(s + SEGMENT, tests.length); i++) {
        const k = steps.push(tests[i]!.step) - 1;
        fieldOf[k] = undefined;
        body.push(`c = ${k}; if (${tests[i]!.test}) return ${i};`);
      }
      out.push(`function ${name}(r, m, S) {\n  let c = -1;\n  try {\n    ${body.join('\n    ')}\n  } catch (e) { S.step = c; throw e; }\n  return -1;\n}`);
    }
    return names;
  };

  // --- filters: the index of the ignoring filter or -1
  const filterSegs = firstMatchSegments('fs', spec.filters.map((f) => ({ step: where('filter', f.name), test: `${f.keep ? '!' : ''}T(${f.code})` })));
  out.push(`function filter(r, m, S) {\n  let k = -1;\n  ${filterSegs.map((n) => `if (k < 0) k = ${n}(r, m, S);`).join('\n  ')}\n  return k;\n}`);

  // --- usage classes (segments → class index) and the mapping choice
  const classSegs = firstMatchSegments('cs', spec.classes.map((c) => ({ step: where('usage-class', c.name), test: `T(${c.code})` })));
  const classNames = helper(spec.classes.map((c) => c.name));
  const mapStep = steps.push('mapping') - 1;
  const choice: string[] = [];
  for (let i = 0; i < spec.mappings.length; i++) {
    const w = spec.mappings[i]!.when;
    if (w === undefined) { choice.push(`return ${i};`); break; }
    choice.push(`if (T(${w})) return ${i};`);
  }
  out.push(`function classify(r, m, S) {
  let k = -1;
  ${classSegs.map((n) => `if (k < 0) k = ${n}(r, m, S);`).join('\n  ')}
  const uc = k < 0 ? undefined : ${classNames}[k];
  S.usageClass = uc;
  try {
    ${choice.join('\n    ')}
  } catch (e) { S.step = ${mapStep}; throw e; }
  return -1;
}`);

  // --- one function per mapping: fields into locals, then the scratch; and its attrs builder
  let attrSlots = 0;
  const mapNames: string[] = [];
  spec.mappings.forEach((mp, mi) => {
    const local = (name: string, i: number) => (name === 'usageClass' ? 'uc' : `v${i}`);
    const decl = mp.fields.map((f, i) => local(f.name, i)).filter((l) => l !== 'uc');
    const body: string[] = [];
    mp.fields.forEach((f, i) => {
      const k = steps.push(where('field', f.name)) - 1;
      fieldOf[k] = { name: f.name, mapping: mp.name, rejectAs: f.rejectAs };
      const l = local(f.name, i);
      const empty = f.required ? `{ S.step = ${k}; return ${FIELD_EMPTY}; }` : `${l} = null;`;
      body.push(`c = ${k}; x = ${f.code};\n    if (x === null || x === '') ${empty} else ${l} = x;`);
    });
    const idx = new Map(mp.fields.map((f, i) => [f.name, i]));
    const core = CORE_SLOTS.map((n) => {
      if (n === 'usageClass') return 'S.usageClass = uc;';
      const i = idx.get(n);
      return `S.${n} = ${i === undefined ? 'undefined' : local(n, i)};`;
    });
    const attrs = mp.attrFields.map((n, j) => `a[${j}] = ${local(n, idx.get(n)!)};`);
    attrSlots = Math.max(attrSlots, mp.attrFields.length);
    const fname = `mf${mi}`;
    mapNames.push(fname);
    out.push(`function ${fname}(r, m, S) {
  let c = -1, x, uc = S.usageClass${decl.length ? `, ${decl.join(', ')}` : ''};
  try {
    ${body.join('\n    ')}
  } catch (e) { S.step = c; throw e; }
  ${core.join(' ')}
  const a = S.a;
  ${attrs.join(' ')}
  return ${FIELDS_OK};
}`);

    // attrs: an object literal when every attr value is set (the common case), else the generic loop
    const names = mp.attrFields;
    const keep = mp.keep;
    const gen = helper(attrsGeneric);
    const namesRef = helper(names);
    const keepRef = helper(keep);
    const vals = names.map((_, j) => `x${j}`);
    const simpleNames = names.every(SAFE_KEY);
    const keepNames = keep.map(([, n]) => n);
    const simpleKeep = keepNames.every(SAFE_KEY) && new Set(keepNames).size === keepNames.length && keepNames.every((n) => !names.includes(n));
    let fast = '';
    if (simpleNames) {
      const lit = `{ ${names.map((n, j) => `${js(n)}: typeof x${j} === 'string' ? x${j} : String(x${j})`).join(', ')} }`;
      const keeps = simpleKeep
        ? keep.map(([i, n], j) => `const k${j} = r[${i}]; if (k${j} !== undefined) o[${js(n)}] = k${j};`).join(' ')
        : keep.length ? `${gen}(a, ${namesRef}, ${keepRef}, r, o);` : '';
      fast = `if (${vals.map((x) => `${x} != null`).join(' && ') || 'true'}) {
    const o = ${lit};
    ${keeps}
    return o;
  }`;
    }
    out.push(`function ma${mi}(S, r) {
  const a = S.a${vals.length ? `, ${vals.map((x, j) => `${x} = a[${j}]`).join(', ')}` : ''};
  ${fast}
  return ${gen}(a, ${namesRef}, ${keepRef}, r);
}`);
  });

  // constants and functions as closure constants of the program
  const consts = spec.consts.map((_, i) => `${constName(i)} = P[${i}]`);
  const fns = [...spec.usedFunctions].map((n) => `${fnName(n, spec.functions)} = F[${js(n)}]`);
  const source = `"use strict";
const T = H.truthy;
${consts.length ? `const ${consts.join(', ')};` : ''}
${fns.length ? `const ${fns.join(', ')};` : ''}
${out.join('\n')}
return { filter, classify, mappings: [${spec.mappings.map((_, i) => `{ fields: mf${i}, attrs: ma${i} }`).join(', ')}] };`;
  const fnTable: Record<string, Function> = Object.create(null);
  for (const [k, s] of spec.functions) fnTable[k] = s.fn;
  // eslint-disable-next-line no-new-func
  const made = new Function('H', 'F', 'P', 'X', source)(H, fnTable, spec.consts, helpers) as Pick<RuleProgram, 'filter' | 'classify' | 'mappings'>;
  return { ...made, steps, fieldOf, attrSlots, source };
}
