/**
 * `kind: mediation-test`: rule tests beside the rules. Each case feeds input (text framed like a file of the feed,
 * a fixture file, or raw messages without framing) through the rules and compares UDRs (partial match), rejects
 * (reason, source, message fragment), ignored counts, the file check and quantity sums. Every case also asserts
 * reconciliation: in = UDRs + ignored + rejects.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { Reject, Udr } from '../core/types.ts';
import { REJECT_REASONS } from '../core/types.ts';
import { didYouMean } from '../config/suggest.ts';
import { ConfigError, type ConfigProblem, positionOf, type ParsedYaml } from '../config/yaml-loader.ts';
import { compileMediationFile, type CompiledMediation } from '../mediation/compiler.ts';
import { FUNCTIONS } from '../mediation/functions/index.ts';
import { staticSchemaResolver } from '../mediation/parsers/avro.ts';
import { PARSERS } from '../mediation/parsers/index.ts';
import { UDR_FIELDS } from '../mediation/schema.ts';
import { ignoredTotal, mediationRejects } from '../core/counters.ts';
import { BatchDriver } from '../runtime/driver.ts';
import { FileSource } from '../runtime/sources/file.ts';
import { frameChunks } from '../runtime/sources/source.ts';
import type { TestCaseResult, TestFileResult, TestKind } from './kinds.ts';

const count = z.coerce.number().int().min(0);
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const udrExpect = z.record(z.string(), z.union([scalar, z.record(z.string(), scalar)]))
  .describe('UDR fields to compare (others are not checked); attrs as a map');
const rejectExpect = z.object({
  reason: z.enum(REJECT_REASONS),
  source: z.string().optional().describe('exact source coordinates, e.g. input:3'),
  message: z.string().optional().describe('a fragment the message must contain'),
}).strict();

const caseSchema = z.object({
  name: z.string(),
  input: z.string().optional().describe('text framed like a file of the feed (header, trailer, lines)'),
  file: z.string().optional().describe('a fixture file, relative to this test file'),
  records: z.array(z.string()).optional().describe('raw messages without framing (like Kafka messages), one record each'),
  expect: z.object({
    udrs: z.union([count, z.array(udrExpect)]).optional().describe('a count, or the UDRs in order (partial match)'),
    rejects: z.union([count, z.array(rejectExpect)]).optional().describe('a count, or the rejects in order'),
    ignored: z.record(z.string(), count).optional().describe('ignored counts by reason (exactly these reasons)'),
    check: z.enum(['passed', 'failed', 'none']).optional().describe('the file check (fixed-width trailer)'),
    quantity: z.record(z.string(), count).optional().describe('sum of UDR quantities by unit, e.g. { ms: 1855000 }'),
  }).strict(),
}).strict().refine((c) => [c.input, c.file, c.records].filter((x) => x !== undefined).length === 1, 'a case needs exactly one of input / file / records');

export const mediationTestSchema = z.object({
  kind: z.literal('mediation-test'),
  rules: z.string().describe('the mediation rule file under test, relative to this file'),
  feed: z.string().optional().describe('feed name for the records (default: the rule set name)'),
  schemas: z.record(z.string().regex(/^\d+$/), z.string()).optional()
    .describe('Avro: schema registry stand-in, schema id → .avsc file (relative to this file)'),
  cases: z.array(caseSchema).min(1),
}).strict();

export type MediationTest = z.output<typeof mediationTestSchema>;

function show(v: unknown): string {
  return JSON.stringify(v);
}

/** loose equality for YAML scalars (failsafe YAML gives strings): "18000" equals 18000 */
function same(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true;
  if (actual === undefined || actual === null) return expected === '' || expected === null || expected === 'null';
  return String(actual) === String(expected);
}

function compareUdr(i: number, u: Udr, exp: Record<string, unknown>, out: string[]): void {
  for (const [k, want] of Object.entries(exp)) {
    if (k === 'attrs' && want && typeof want === 'object') {
      for (const [ak, av] of Object.entries(want as Record<string, unknown>)) {
        if (!same(u.attrs[ak], av)) out.push(`udr[${i}].attrs.${ak}: expected ${show(av)}, got ${show(u.attrs[ak])}`);
      }
      continue;
    }
    const got = (u as unknown as Record<string, unknown>)[k];
    if (!same(got, want)) out.push(`udr[${i}].${k}: expected ${show(want)}, got ${show(got)}`);
  }
}

/** ignored reasons that come from framing and mediation, besides the filters */
const BUILT_IN_IGNORED = ['header', 'trailer', 'comment', 'duplicate', 'paired'];

/**
 * Expectations that can never match: a UDR field the UDR does not have, an attr no mapping of the rules sets, an
 * ignored reason no filter gives. Without this a misspelled field in a test looks like a wrong value or, when
 * the expected value is empty, passes silently.
 */
export function expectationProblems(file: string, t: MediationTest, parsed: ParsedYaml, rules: CompiledMediation): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const attrs = new Set<string>();
  for (const m of rules.mappings) {
    for (const a of m.attrFields) attrs.add(a);
    for (const [, name] of m.keep) attrs.add(name);
  }
  if (rules.pairing) attrs.add('stopSource');
  const reasons = [...rules.filters.filter((f) => !f.reject).map((f) => f.name), ...BUILT_IN_IGNORED];
  const at = (path: (string | number)[], message: string) => problems.push({ file, ...positionOf(parsed, path), message });
  t.cases.forEach((c, ci) => {
    const ex = c.expect;
    if (Array.isArray(ex.udrs)) ex.udrs.forEach((u, ui) => {
      for (const [k, want] of Object.entries(u)) {
        const path = ['cases', ci, 'expect', 'udrs', ui, k];
        if (k === 'attrs') {
          if (!want || typeof want !== 'object') { at(path, 'attrs: expected a map of attr → value'); continue; }
          for (const a of Object.keys(want)) {
            if (!attrs.has(a)) at([...path, a], `attrs.${a}: no mapping of ${rules.name} sets this attr${hint(a, attrs)} (attrs: ${[...attrs].join(', ') || 'none'})`);
          }
        } else if (!(UDR_FIELDS as readonly string[]).includes(k)) {
          at(path, attrs.has(k) ? `${k} is an attr of the UDR: write it under attrs: { ${k}: … }` : `${k} is not a UDR field${hint(k, [...UDR_FIELDS, ...attrs])}`);
        }
      }
    });
    for (const r of Object.keys(ex.ignored ?? {})) {
      if (!reasons.includes(r)) at(['cases', ci, 'expect', 'ignored', r], `no filter of ${rules.name} ignores as "${r}"${hint(r, reasons)} (reasons: ${reasons.join(', ')})`);
    }
  });
  return problems;
}

function hint(word: string, candidates: Iterable<string>): string {
  const h = didYouMean(word, candidates);
  return h ? ` (${h})` : '';
}

export const mediationTestKind: TestKind<typeof mediationTestSchema> = {
  kind: 'mediation-test',
  description: 'mediation rule tests: input records → expected UDRs / rejects / ignored / trailer check',
  schema: mediationTestSchema,
  check(file, t, parsed) {
    try {
      return expectationProblems(file, t, parsed, compileMediationFile(resolve(dirname(file), t.rules)));
    } catch (e) {
      const p = positionOf(parsed, ['rules']);
      if (e instanceof ConfigError) return [{ file, ...p, message: `rules ${t.rules} do not compile: ${e.problems.length} problem(s), first: ${e.problems[0] ? `${e.problems[0].file}:${e.problems[0].line}:${e.problems[0].col}: ${e.problems[0].message}` : ''}` }];
      return [{ file, ...p, message: `rules ${t.rules}: ${(e as Error).message}` }];
    }
  },
  coverageUniverse: () => ({ parsers: PARSERS.map((p) => p.type), functions: FUNCTIONS.map((f) => f.name) }),
  async run(file: string, t: MediationTest, parsed: ParsedYaml): Promise<TestFileResult> {
    const dir = dirname(file);
    let rules: CompiledMediation;
    try {
      const schemaResolver = t.schemas
        ? staticSchemaResolver(Object.fromEntries(Object.entries(t.schemas).map(([id, p]) => [Number(id), readFileSync(resolve(dir, p), 'utf8')])))
        : undefined;
      rules = compileMediationFile(resolve(dir, t.rules), { schemaResolver });
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError([{ file, ...positionOf(parsed, ['rules']), message: (e as Error).message }]);
    }
    const wrong = expectationProblems(file, t, parsed, rules);
    if (wrong.length) throw new ConfigError(wrong);
    const feed = t.feed ?? rules.name;
    const cases: TestCaseResult[] = [];
    for (let ci = 0; ci < t.cases.length; ci++) {
      const c = t.cases[ci]!;
      const pos = positionOf(parsed, ['cases', ci]);
      const name = `${c.name} (${file}:${pos.line})`;
      const failures: string[] = [];
      const udrs: Udr[] = [];
      const rejects: Reject[] = [];
      // a fresh rule instance per case: pairing/dedup state must not leak between cases
      // the batch driver of every run mode, over the same framer loop (text given inline is framed like a file)
      const d = new BatchDriver({ feed, mediation: rules }, { rate: false });
      const take = (o: { udrs: Udr[]; rejects: Reject[] }) => {
        udrs.push(...o.udrs);
        rejects.push(...o.rejects);
      };
      try {
        if (c.input !== undefined) for await (const b of frameChunks(rules.parser, 'input', feed, [c.input], 8192)) take(await d.step(b));
        else if (c.file !== undefined) {
          const path = resolve(dir, c.file);
          for await (const b of new FileSource([{ path, name: c.file, bytes: 0 }], rules.parser, feed, 8192).batches()) take(await d.step(b));
        } else take(await d.records(c.records!.map((text, i) => ({ feed, source: `record:${i + 1}`, text }))));
      } catch (e) {
        failures.push(`input could not be read: ${(e as Error).message}`);
      }
      take(d.flush());
      const counts = d.counters;
      const totals = { in: counts.records, udrs: counts.udrs, ignored: ignoredTotal(counts), rejects: Object.values(mediationRejects(counts)).reduce((a, b) => a + b, 0), ignoredBy: counts.ignored, quantity: counts.quantity, checks: d.checks };
      const ex = c.expect;
      if (totals.in !== totals.udrs + totals.ignored + totals.rejects) {
        failures.push(`not reconciled: in=${totals.in} != udrs ${totals.udrs} + ignored ${totals.ignored} + rejects ${totals.rejects}`);
      }
      if (ex.udrs !== undefined) {
        if (typeof ex.udrs === 'number') {
          if (udrs.length !== ex.udrs) failures.push(`expected ${ex.udrs} UDR(s), got ${udrs.length}${rejects.length ? ` (rejects: ${rejects.map((r) => `${r.reason} ${r.message}`).slice(0, 3).join('; ')})` : ''}`);
        } else {
          if (udrs.length !== ex.udrs.length) failures.push(`expected ${ex.udrs.length} UDR(s), got ${udrs.length}${rejects.length ? ` (rejects: ${rejects.map((r) => `${r.reason} ${r.message}`).slice(0, 3).join('; ')})` : ''}`);
          ex.udrs.forEach((e, i) => { if (udrs[i]) compareUdr(i, udrs[i]!, e, failures); });
        }
      }
      if (ex.rejects !== undefined) {
        if (typeof ex.rejects === 'number') {
          if (rejects.length !== ex.rejects) failures.push(`expected ${ex.rejects} reject(s), got ${rejects.length}: ${rejects.map((r) => `${r.reason} ${r.message}`).slice(0, 3).join('; ')}`);
        } else {
          if (rejects.length !== ex.rejects.length) failures.push(`expected ${ex.rejects.length} reject(s), got ${rejects.length}: ${rejects.map((r) => `${r.reason} ${r.message}`).slice(0, 3).join('; ')}`);
          ex.rejects.forEach((e, i) => {
            const r = rejects[i];
            if (!r) return;
            if (r.reason !== e.reason) failures.push(`reject[${i}].reason: expected ${e.reason}, got ${r.reason} (${r.message})`);
            if (e.source !== undefined && r.source !== e.source) failures.push(`reject[${i}].source: expected ${e.source}, got ${r.source}`);
            if (e.message !== undefined && !r.message.includes(e.message)) failures.push(`reject[${i}].message: expected to contain ${show(e.message)}, got ${show(r.message)}`);
          });
        }
      } else if (ex.udrs !== undefined && rejects.length) {
        failures.push(`unexpected reject(s): ${rejects.map((r) => `${r.source} ${r.reason} ${r.message}`).slice(0, 3).join('; ')}`);
      }
      if (ex.ignored !== undefined) {
        const keys = new Set([...Object.keys(ex.ignored), ...Object.keys(totals.ignoredBy)]);
        for (const k of keys) {
          if ((ex.ignored[k] ?? 0) !== (totals.ignoredBy[k] ?? 0)) failures.push(`ignored "${k}": expected ${ex.ignored[k] ?? 0}, got ${totals.ignoredBy[k] ?? 0}`);
        }
      }
      if (ex.check !== undefined) {
        const got = totals.checks.length === 0 ? 'none' : totals.checks.every((x) => x.check.ok) ? 'passed' : 'failed';
        if (got !== ex.check) failures.push(`file check: expected ${ex.check}, got ${got}${totals.checks.length ? ` (${totals.checks.map((x) => x.check.message).join(' | ')})` : ''}`);
      }
      if (ex.quantity !== undefined) {
        for (const [unit, want] of Object.entries(ex.quantity)) {
          if ((totals.quantity[unit] ?? 0) !== want) failures.push(`quantity sum in ${unit}: expected ${want}, got ${totals.quantity[unit] ?? 0}`);
        }
      }
      cases.push({ name, ok: failures.length === 0, failures });
    }
    const ok = cases.every((c) => c.ok);
    return {
      file,
      cases,
      coverage: ok ? { parsers: [rules.parser === undefined ? '' : (rules.config.parser.type as string)], functions: [...rules.functionsUsed] } : undefined,
    };
  },
};
