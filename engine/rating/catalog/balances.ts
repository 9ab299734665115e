/**
 * Catalog section: money balances — prepaid and postpaid accounts with a monetary balance (an initial amount and
 * top-ups, each with its effective and expiry date), a credit limit (how far below zero the balance may go),
 * `allow-negative` (postpaid: usage is never limited, the credit limit only raises an event), shared balance groups
 * (the member with the lowest / highest balance pays first, or the group's own balance) and low-balance thresholds.
 * The `balance-debit` rating step (steps/balance-debit.ts) debits every usage charge of the primary charging run.
 */
import { z } from 'zod';
import { parseMoney } from '../../core/money.ts';
import { bool, type CompileContext, id } from './common.ts';
import { money } from '../price/common.ts';
import { stateKey } from '../state.ts';

export const BALANCE_STRATEGIES = ['lowest-first', 'highest-first', 'group'] as const;
export type BalanceStrategy = (typeof BALANCE_STRATEGIES)[number];

const threshold = z.string().regex(/^\s*(\d{1,3}\s*%|\d+(\.\d{1,10})?)\s*$/, 'a percentage of the funded amount ("20%") or an amount ("1.00")');

const topUp = z.object({
  id: id.optional().describe('stable id of the top-up (default: its position, top-up-1, top-up-2...)'),
  amount: money,
  effective: z.string().optional().describe('ISO date/time (catalog zone) from which it can be spent; omitted = always'),
  expiry: z.string().optional().describe('ISO date/time (catalog zone) from which what is left of it is lost; omitted = never'),
}).strict();

/** what a balance holder (an account or a group with strategy `group`) says about its money */
const fundingFields = {
  initial: money.optional().describe('the opening balance (a top-up with id "initial")'),
  effective: z.string().optional().describe('when the initial balance can be spent from (default: always)'),
  expiry: z.string().optional().describe('when what is left of the initial balance expires (default: never)'),
  'top-ups': z.array(topUp).default([]),
  'credit-limit': money.default('0').describe('how far below zero the balance may go (e.g. "50.00")'),
  'allow-negative': bool.default(false).describe('postpaid: usage is never limited; going past the credit limit only raises balance-exhausted'),
  thresholds: z.array(threshold).default(['20%']).describe('balance-low event when the balance falls to or below each (percent of the funded amount, or an amount)'),
};

export const balanceAccountSchema = z.object({
  account: id.describe('the account (as in UDRs; need not be listed under accounts)'),
  ...fundingFields,
}).strict();

export const balanceGroupSchema = z.object({
  id,
  strategy: z.enum(BALANCE_STRATEGIES).describe('lowest-first / highest-first: the member balance with the lowest / highest balance pays first (the next member takes what it cannot); group: the group\'s own balance pays'),
  members: z.array(id).min(1).describe('accounts sharing the group (with lowest-/highest-first each needs its own entry under balances.accounts)'),
  ...fundingFields,
}).strict();

export const balancesSchema = z.object({
  accounts: z.array(balanceAccountSchema).default([]),
  groups: z.array(balanceGroupSchema).default([]),
}).strict();

export interface BalanceBucket {
  /** `initial` or the top-up id */
  id: string;
  amount: bigint;
  /** epoch ms; -Infinity / +Infinity when open */
  effective: number;
  expiry: number;
}

export interface Threshold {
  text: string;
  /** percent of the funded amount, or a fixed scaled amount */
  percent?: number;
  amount?: bigint;
}

/** One balance (an account's, or a group's own): its state key is `balances/<key>` */
export interface CompiledBalance {
  /** `account:<id>` or `group:<id>` */
  key: string;
  /** its rating-state key: `balances/<key>` */
  stateKey: string;
  buckets: BalanceBucket[];
  creditLimit: bigint;
  allowNegative: boolean;
  thresholds: Threshold[];
}

export interface CompiledBalanceGroup {
  id: string;
  strategy: BalanceStrategy;
  members: string[];
  /** strategy `group`: the group's own balance */
  own?: CompiledBalance;
}

export interface CompiledBalances {
  /** account id → its own balance */
  accounts: Map<string, CompiledBalance>;
  /** account id → the balances paying for it when that does not depend on the balances (own, group strategy group) */
  payers: Map<string, readonly CompiledBalance[]>;
  /** account id → the group it belongs to */
  groupOf: Map<string, CompiledBalanceGroup>;
  groups: Map<string, CompiledBalanceGroup>;
}

type Funding = Pick<z.output<typeof balanceAccountSchema>, 'initial' | 'effective' | 'expiry' | 'top-ups' | 'credit-limit' | 'allow-negative' | 'thresholds'>;

function compileBalance(c: CompileContext, key: string, f: Funding, path: (string | number)[]): CompiledBalance {
  const when = (t: string | undefined, p: (string | number)[], open: number) => (t === undefined ? open : c.date(t, p));
  const buckets: BalanceBucket[] = [];
  const where: (string | number)[][] = [];
  if (f.initial !== undefined) {
    buckets.push({ id: 'initial', amount: parseMoney(f.initial), effective: when(f.effective, [...path, 'effective'], -Infinity), expiry: when(f.expiry, [...path, 'expiry'], Infinity) });
    where.push([...path, 'initial']);
  }
  f['top-ups'].forEach((t, i) => {
    const p = [...path, 'top-ups', i];
    buckets.push({ id: t.id ?? `top-up-${i + 1}`, amount: parseMoney(t.amount), effective: when(t.effective, [...p, 'effective'], -Infinity), expiry: when(t.expiry, [...p, 'expiry'], Infinity) });
    where.push(p);
  });
  const seen = new Set<string>();
  buckets.forEach((b, i) => {
    if (seen.has(b.id)) c.at(where[i]!, `duplicate top-up id ${b.id}`);
    seen.add(b.id);
    if (b.expiry <= b.effective) c.at(where[i]!, `${b.id}: expiry is not after effective`);
    if (b.amount < 0n) c.at(where[i]!, `${b.id}: a balance amount cannot be negative (a credit is a top-up)`);
  });
  const creditLimit = parseMoney(f['credit-limit']);
  if (creditLimit < 0n) c.at([...path, 'credit-limit'], 'credit-limit cannot be negative (it is how far below zero the balance may go)');
  const thresholds = f.thresholds.map((t, i): Threshold => {
    const s = t.trim();
    if (s.endsWith('%')) {
      const percent = Number(s.slice(0, -1).trim());
      if (percent > 100) c.at([...path, 'thresholds', i], `threshold ${s}: at most 100%`);
      return { text: s, percent };
    }
    return { text: s, amount: parseMoney(s) };
  });
  // expiring first: the bucket that is lost soonest is spent first (then by effective date, then file order)
  const order = buckets.map((b, i) => [b, i] as const).sort((a, b) => a[0].expiry - b[0].expiry || a[0].effective - b[0].effective || a[1] - b[1]);
  return { key, stateKey: stateKey('balances', key), buckets: order.map((x) => x[0]), creditLimit, allowNegative: f['allow-negative'], thresholds };
}

export function compileBalances(c: CompileContext): CompiledBalances {
  const cfg = c.cfg.balances;
  const accounts = new Map<string, CompiledBalance>();
  cfg.accounts.forEach((a, i) => {
    const path = ['balances', 'accounts', i];
    if (accounts.has(a.account)) c.at([...path, 'account'], `account ${a.account} has a balance already`);
    accounts.set(a.account, compileBalance(c, `account:${a.account}`, a, path));
  });
  const groups = new Map<string, CompiledBalanceGroup>();
  const groupOf = new Map<string, CompiledBalanceGroup>();
  cfg.groups.forEach((g, i) => {
    const path = ['balances', 'groups', i];
    if (groups.has(g.id)) c.at([...path, 'id'], `duplicate balance group ${g.id}`);
    const own = g.strategy === 'group' ? compileBalance(c, `group:${g.id}`, g, path) : undefined;
    if (g.strategy !== 'group' && (g.initial !== undefined || g['top-ups'].length)) c.at([...path, 'strategy'], `group ${g.id}: only strategy group has a balance of its own (initial / top-ups); the members' balances pay with ${g.strategy}`);
    const cg: CompiledBalanceGroup = { id: g.id, strategy: g.strategy, members: [...g.members], own };
    g.members.forEach((m, mi) => {
      if (groupOf.has(m)) c.at([...path, 'members', mi], `account ${m} is in balance group ${groupOf.get(m)!.id} already (an account shares one group)`);
      if (g.strategy !== 'group' && !accounts.has(m)) c.at([...path, 'members', mi], `member ${m} has no balance under balances.accounts (strategy ${g.strategy} debits the members' own balances)`);
      groupOf.set(m, cg);
    });
    groups.set(g.id, cg);
  });
  const payers = new Map<string, readonly CompiledBalance[]>();
  for (const [a, b] of accounts) if (!groupOf.has(a)) payers.set(a, [b]);
  for (const [a, g] of groupOf) if (g.strategy === 'group' && g.own) payers.set(a, accounts.has(a) ? [accounts.get(a)!, g.own] : [g.own]);
  return { accounts, payers, groupOf, groups };
}
