/**
 * Catalog section: charging runs (CGRateS chargers). One UDR is rated once per run — e.g. `retail` (the customer's
 * price), `wholesale` (the carrier route's cost), a reseller's price — each run a selection of plans with optional
 * field rewrites (e.g. account → the carrier id) and a `billable` flag (invoices bill only billable runs' charges;
 * the others are costs, for the margin view). Without this section a catalog has one implicit run, `default`,
 * billable, whose charges keep the ids they always had.
 */
import { z } from 'zod';
import type { CompiledExpr } from '../../expr/compile.ts';
import type { CompileContext } from './common.ts';
import { bool, id } from './common.ts';
import type { CompiledConditions } from './conditions.ts';
import type { CompiledPlan } from './plans.ts';

export { DEFAULT_RUN } from '../../core/types.ts';

/** UDR fields a run may rewrite before rating */
export const REWRITABLE_FIELDS = ['account', 'ratingKey', 'service', 'usageClass', 'origin', 'destination'] as const;
export type RewritableField = (typeof REWRITABLE_FIELDS)[number];

export const chargingRunSchema = z.object({
  name: id,
  billable: bool.default(true).describe('its charges are billed to the (rewritten) account; false = a cost, not invoiced (margin view)'),
  plans: z.array(id).default([])
    .describe('plans tried in order (the first with a rate for the usage); empty = the usual plan of the service/account'),
  rewrite: z.partialRecord(z.enum(REWRITABLE_FIELDS), z.string().min(1)).default({})
    .describe('UDR fields replaced for this run, each an expression on the UDR, e.g. account: attrs.carrier (a new account without a new service also drops the service: it was the old account\'s)'),
}).strict();

export type ChargingRunConfig = z.output<typeof chargingRunSchema>;

export interface ChargingRun {
  name: string;
  billable: boolean;
  /** candidate plans in order (empty = the service/account plan) */
  plans: CompiledPlan[];
  rewrites: { field: RewritableField; text: string; expr: CompiledExpr }[];
  /** the run rewrites the account but not the service: the UDR's service (the old account's) is dropped */
  dropService: boolean;
}

/**
 * The charging runs of the catalog, in file order (the first is the primary run: the only one that moves the customer's rating state —
 * pools, bill-on-first-use counters, sessions, contract counters). Empty = the implicit default run.
 */
export function compileChargingRuns(c: CompileContext, cond: CompiledConditions, plans: ReadonlyMap<string, CompiledPlan>): ChargingRun[] {
  const { cfg, at } = c;
  const seen = new Set<string>();
  return cfg['charging-runs'].map((r, ri) => {
    if (seen.has(r.name)) at(['charging-runs', ri, 'name'], `duplicate charging run ${r.name}`);
    seen.add(r.name);
    const runPlans: CompiledPlan[] = [];
    r.plans.forEach((pid, pi) => {
      const p = plans.get(pid);
      if (p) runPlans.push(p);
      else at(['charging-runs', ri, 'plans', pi], `unknown plan ${pid}`);
    });
    const rewrites: ChargingRun['rewrites'] = [];
    for (const field of REWRITABLE_FIELDS) {
      const text = r.rewrite[field];
      if (text === undefined) continue;
      const expr = cond.whenOf(text, ['charging-runs', ri, 'rewrite', field]);
      if (expr) rewrites.push({ field, text, expr });
    }
    const dropService = r.rewrite.account !== undefined && r.rewrite.service === undefined;
    return { name: r.name, billable: r.billable, plans: runPlans, rewrites, dropService };
  });
}
