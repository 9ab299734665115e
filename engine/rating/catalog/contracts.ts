/**
 * Catalog section: contracts — term, renewal, co-termination, commitments with ramp-up schedules and penalties, and
 * early-termination charges. (Their evaluation over a period is ../contracts.ts.)
 */
import { z } from 'zod';
import { parseMoney } from '../../core/money.ts';
import { money, quantityText } from '../price/common.ts';
import { parseQuantity } from '../units.ts';
import { type CompileContext, id } from './common.ts';
import type { CompiledAccounts } from './states.ts';

const commitmentSchema = z.object({
  id,
  type: z.enum(['minimum-spend', 'usage-amount', 'volume', 'connections']),
  'usage-class': z.string().optional(),
  unit: z.string().default('event'),
  schedule: z.array(z.object({ 'from-month': z.coerce.number().int().min(1), amount: z.string() }).strict()).min(1)
    .describe('ramp-up: the commitment from each contract month on (money for spend types, quantity otherwise)'),
  penalty: z.object({
    type: z.enum(['shortfall', 'rate', 'fixed']).default('shortfall'),
    price: money.optional().describe('rate: price per `per` of shortfall'),
    per: quantityText.default('1'),
    amount: money.optional().describe('fixed: the penalty amount'),
  }).strict().default({ type: 'shortfall', per: '1' }),
}).strict();

export const contractSchema = z.object({
  id,
  description: z.string().optional(),
  account: id,
  scope: z.enum(['account', 'line-item']).default('account'),
  services: z.array(id).default([]).describe('line-item contracts: the services covered'),
  start: z.string(),
  'term-months': z.coerce.number().int().min(1),
  renewal: z.enum(['none', 'auto']).default('none'),
  'termination-state': z.string().default('cancelled'),
  'co-terminate': z.array(id).default([]),
  frequency: z.literal('monthly').default('monthly'),
  commitments: z.array(commitmentSchema).default([]),
  'early-termination': z.array(z.object({
    'until-month': z.coerce.number().int().min(1).describe('applies when terminated before the end of this contract month'),
    charge: money.optional(),
    'remaining-percent': z.coerce.number().min(0).max(100).optional().describe('percent of the remaining minimum-spend commitment'),
  }).strict()).default([]),
}).strict();

export interface CompiledCommitment {
  id: string;
  type: 'minimum-spend' | 'usage-amount' | 'volume' | 'connections';
  usageClass?: string;
  unit: string;
  /** sorted by fromMonth; amounts are scaled money for spend types, integer quantities otherwise */
  schedule: { fromMonth: number; amount: bigint }[];
  penalty: { type: 'shortfall' | 'rate' | 'fixed'; price: bigint; per: number; amount: bigint };
}

export interface CompiledContract {
  id: string;
  account: string;
  scope: 'account' | 'line-item';
  services: string[];
  start: number;
  termMonths: number;
  renewal: 'none' | 'auto';
  terminationState: string;
  coTerminate: string[];
  commitments: CompiledCommitment[];
  earlyTermination: { untilMonth: number; charge?: bigint; remainingPercent?: number }[];
}

export function compileContracts(c: CompileContext, acc: Pick<CompiledAccounts, 'accounts' | 'services'>): Map<string, CompiledContract> {
  const { cfg, at, date } = c;
  const { accounts, services } = acc;
  const contracts = new Map<string, CompiledContract>();
  cfg.contracts.forEach((c, ci) => {
    const path = ['contracts', ci];
    if (!accounts.has(c.account)) at([...path, 'account'], `unknown account ${c.account}`);
    for (const s of c.services) if (!services.has(s)) at([...path, 'services'], `unknown service ${s}`);
    const commitments: CompiledCommitment[] = c.commitments.map((cm, mi) => {
      const spend = cm.type === 'minimum-spend' || cm.type === 'usage-amount';
      const schedule = cm.schedule.map((s, k) => {
        try {
          return { fromMonth: s['from-month'], amount: spend ? parseMoney(s.amount) : BigInt(parseQuantity(s.amount, cm.unit)) };
        } catch (e) {
          at([...path, 'commitments', mi, 'schedule', k, 'amount'], (e as Error).message);
          return { fromMonth: s['from-month'], amount: 0n };
        }
      }).sort((a, b) => a.fromMonth - b.fromMonth);
      if (schedule[0] && schedule[0].fromMonth !== 1) at([...path, 'commitments', mi, 'schedule'], 'the schedule must start at from-month 1');
      if ((cm.type === 'volume' || cm.type === 'usage-amount') && !cm['usage-class']) at([...path, 'commitments', mi], `${cm.type} commitments need a usage-class`);
      const pen = cm.penalty;
      if (pen.type === 'rate' && !pen.price) at([...path, 'commitments', mi, 'penalty'], 'penalty type rate needs a price');
      if (pen.type === 'fixed' && !pen.amount) at([...path, 'commitments', mi, 'penalty'], 'penalty type fixed needs an amount');
      if (pen.type === 'shortfall' && !spend) at([...path, 'commitments', mi, 'penalty'], `a shortfall penalty needs a money commitment; use type rate or fixed for ${cm.type}`);
      return {
        id: cm.id, type: cm.type, usageClass: cm['usage-class'], unit: cm.unit, schedule,
        penalty: { type: pen.type, price: pen.price ? parseMoney(pen.price) : 0n, per: parseQuantity(pen.per, cm.unit) || 1, amount: pen.amount ? parseMoney(pen.amount) : 0n },
      };
    });
    contracts.set(c.id, {
      id: c.id, account: c.account, scope: c.scope, services: c.services, start: date(c.start, [...path, 'start']),
      termMonths: c['term-months'], renewal: c.renewal, terminationState: c['termination-state'], coTerminate: c['co-terminate'],
      commitments,
      earlyTermination: c['early-termination'].map((t) => ({ untilMonth: t['until-month'], charge: t.charge ? parseMoney(t.charge) : undefined, remainingPercent: t['remaining-percent'] }))
        .sort((a, b) => a.untilMonth - b.untilMonth),
    });
  });
  cfg.contracts.forEach((c, ci) => c['co-terminate'].forEach((o) => { if (!contracts.has(o)) at(['contracts', ci, 'co-terminate'], `unknown contract ${o}`); }));
  return contracts;
}
