/**
 * Catalog section: time-activated plan assignments (CGRateS rating profiles): by exact account id or by a pattern
 * ending in *any, each list sorted by activation time, with fallback accounts.
 */
import { z } from 'zod';
import { type CompileContext, id } from './common.ts';

export const assignmentSchema = z.object({
  account: z.string().describe('account id, or a pattern ending in *any (e.g. "cgrates.org:*any")'),
  'usage-class': z.string().default('*any'),
  from: z.string().default('1970-01-01T00:00:00Z').describe('activation time'),
  plan: id,
  fallback: z.array(z.string()).default([]).describe('accounts whose assignments are tried when this plan has no rate'),
}).strict();

export interface Assignment {
  account: string;
  usageClass: string;
  from: number;
  plan: string;
  fallback: string[];
}

export interface CompiledAssignments {
  assignments: Map<string, Assignment[]>;
  /** patterns (prefix before *any), longest first */
  assignmentPatterns: { prefix: string; list: Assignment[] }[];
}

export function compileAssignments(c: CompileContext, plans: ReadonlyMap<string, unknown>): CompiledAssignments {
  const { cfg, at, date } = c;
  const assignments = new Map<string, Assignment[]>();
  const patterns = new Map<string, Assignment[]>();
  cfg.assignments.forEach((a, ai) => {
    if (!plans.has(a.plan)) at(['assignments', ai, 'plan'], `unknown plan ${a.plan}`);
    const as: Assignment = { account: a.account, usageClass: a['usage-class'], from: date(a.from, ['assignments', ai, 'from']), plan: a.plan, fallback: a.fallback };
    const target = a.account.endsWith('*any') ? patterns : assignments;
    const key = a.account.endsWith('*any') ? a.account.slice(0, -4) : a.account;
    const l = target.get(key) ?? [];
    l.push(as);
    target.set(key, l);
  });
  for (const l of [...assignments.values(), ...patterns.values()]) l.sort((x, y) => x.from - y.from);
  return { assignments, assignmentPatterns: [...patterns.entries()].map(([prefix, list]) => ({ prefix, list })).sort((a, b) => b.prefix.length - a.prefix.length) };
}
