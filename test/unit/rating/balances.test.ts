/**
 * Money balances (catalog `balances`, steps/balance-debit.ts, balances.ts): table tests of the debit — prepaid,
 * credit limit, allow-negative, top-ups (effective, expiry, paying the debt back), buckets expiring first, balance
 * groups (lowest-first, highest-first, group), threshold and exhausted events — and the state's changelog/restore.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../../engine/config/yaml-loader.ts';
import { type Charge, lineageText } from '../../../engine/core/types.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { applyChanges, emptyState } from '../../../engine/rating/state.ts';
import { balanceDebit } from '../../../engine/rating/steps/balance-debit.ts';
import { compileStepPlan } from '../../../engine/rating/steps/registry.ts';
import { MeasureContext } from '../../../engine/rating/steps/types.ts';
import { udr } from './helpers.ts';

const T0 = '2025-03-03T12:00:00Z';

/** sms at 0.10 each; accounts a, b, c on the plan; `balances` given as YAML */
function catalog(balances: string): string {
  return `kind: catalog
name: bal
currency: EUR
timezone: UTC
products:
  - id: p
    plans:
      - id: plan
        rates: [{ id: sms, usage-class: sms, unit: event, price: "0.10" }]
accounts:
  - { id: a, plan: plan }
  - { id: b, plan: plan }
  - { id: c, plan: plan }
balances:
${balances}
`;
}

interface Use { account: string; sms: number; at?: string }
const sms = (id: string, x: Use) => udr({ id, account: x.account, ratingKey: x.account, usageClass: 'sms', unit: 'event', quantity: x.sms, startTime: Date.parse(x.at ?? T0) });

/** "0.4000000000" → "0.4" (decimal text, for short tables) */
const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

function run(balances: string, uses: Use[]) {
  const rater = new Rater(loadCatalogText(catalog(balances)));
  const res = rater.rate(uses.map((x, i) => sms(`u${i + 1}`, x)));
  expect(res.rejects).toEqual([]);
  const lin = res.charges.map((c) => JSON.parse(lineageText(c)).balance as { status: string; uncovered?: string; debits: { balance: string; after: string; debit: string }[] });
  return {
    rater, res,
    status: lin.map((l) => l?.status ?? 'none'),
    uncovered: lin.map((l) => trim(l?.uncovered ?? '0')),
    after: lin.map((l) => l?.debits.map((d) => `${d.balance}=${trim(d.after)}`).join(' ') ?? ''),
    events: res.events.map((e) => `${e.type}:${e.key}${e.type === 'balance-low' ? `@${e.detail.threshold}` : ''}`),
  };
}

describe('balance-debit: one balance', () => {
  const table: { name: string; balances: string; uses: Use[]; after: string[]; status: string[]; uncovered: string[]; events: string[] }[] = [
    {
      name: 'prepaid: the charge beyond the balance is uncovered, the balance stops at 0',
      balances: '  accounts: [{ account: a, initial: "1.00", thresholds: [] }]',
      uses: [{ account: 'a', sms: 6 }, { account: 'a', sms: 6 }, { account: 'a', sms: 1 }],
      after: ['account:a=0.4', 'account:a=0', 'account:a=0'], status: ['covered', 'exhausted', 'exhausted'], uncovered: ['0', '0.2', '0.1'],
      events: ['balance-exhausted:account:a'],
    },
    {
      name: 'credit limit: the balance goes down to -credit-limit, never below',
      balances: '  accounts: [{ account: a, initial: "1.00", credit-limit: "0.50", thresholds: [] }]',
      uses: [{ account: 'a', sms: 6 }, { account: 'a', sms: 6 }, { account: 'a', sms: 6 }],
      after: ['account:a=0.4', 'account:a=-0.2', 'account:a=-0.5'], status: ['covered', 'covered', 'exhausted'], uncovered: ['0', '0', '0.3'],
      events: ['balance-exhausted:account:a'],
    },
    {
      name: 'allow-negative (postpaid): everything is debited; past the credit limit raises balance-exhausted once',
      balances: '  accounts: [{ account: a, initial: "1.00", credit-limit: "0.50", allow-negative: true, thresholds: [] }]',
      uses: [{ account: 'a', sms: 6 }, { account: 'a', sms: 6 }, { account: 'a', sms: 6 }, { account: 'a', sms: 6 }],
      after: ['account:a=0.4', 'account:a=-0.2', 'account:a=-0.8', 'account:a=-1.4'], status: ['covered', 'covered', 'covered', 'covered'], uncovered: ['0', '0', '0', '0'],
      events: ['balance-exhausted:account:a'],
    },
    {
      name: 'a top-up in force later pays the debt back',
      balances: '  accounts: [{ account: a, credit-limit: "1.00", thresholds: [], top-ups: [{ id: t1, amount: "1.00", effective: "2025-03-10" }] }]',
      uses: [{ account: 'a', sms: 6 }, { account: 'a', sms: 1, at: '2025-03-11T00:00:00Z' }],
      after: ['account:a=-0.6', 'account:a=0.3'], status: ['covered', 'covered'], uncovered: ['0', '0'], events: [],
    },
    {
      name: 'what is left of an expired bucket is lost',
      balances: '  accounts: [{ account: a, initial: "1.00", expiry: "2025-03-10", thresholds: [] }]',
      uses: [{ account: 'a', sms: 2 }, { account: 'a', sms: 1, at: '2025-03-10T00:00:00Z' }],
      after: ['account:a=0.8', 'account:a=0'], status: ['covered', 'exhausted'], uncovered: ['0', '0.1'], events: ['balance-exhausted:account:a'],
    },
    {
      name: 'thresholds: percent of the funded amount and a fixed amount, each when crossed',
      balances: '  accounts: [{ account: a, initial: "2.00", thresholds: ["50%", "0.30"] }]',
      uses: [{ account: 'a', sms: 9 }, { account: 'a', sms: 2 }, { account: 'a', sms: 6 }, { account: 'a', sms: 1 }],
      after: ['account:a=1.1', 'account:a=0.9', 'account:a=0.3', 'account:a=0.2'], status: ['covered', 'covered', 'covered', 'covered'], uncovered: ['0', '0', '0', '0'],
      events: ['balance-low:account:a@50%', 'balance-low:account:a@0.30'],
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const r = run(c.balances, c.uses);
      expect({ after: r.after, status: r.status, uncovered: r.uncovered, events: r.events }).toEqual({ after: c.after, status: c.status, uncovered: c.uncovered, events: c.events });
    });
  }
  it('the bucket expiring first is spent first', () => {
    const r = run('  accounts: [{ account: a, thresholds: [], top-ups: [{ id: late, amount: "1.00", expiry: "2025-06-01" }, { id: soon, amount: "1.00", expiry: "2025-04-01" }] }]', [{ account: 'a', sms: 15 }]);
    expect(r.rater.state.balances!['account:a']!.spent).toEqual({ soon: '10000000000', late: '5000000000' });
  });
  it('an account without a balance is not debited (no balance in the lineage)', () => {
    const r = run('  accounts: [{ account: a, initial: "1.00" }]', [{ account: 'b', sms: 3 }]);
    expect(r.status).toEqual(['none']);
    expect(r.rater.state.balances).toBeUndefined();
  });
});

describe('balance-debit: balance groups', () => {
  const accounts = '  accounts: [{ account: a, initial: "1.00", thresholds: [] }, { account: b, initial: "0.30", thresholds: [] }]';
  const table: { name: string; group: string; uses: Use[]; after: string[]; status: string[]; events: string[] }[] = [
    { name: 'lowest-first: the member with the lowest balance pays first, the next the rest', group: 'lowest-first', uses: [{ account: 'a', sms: 5 }],
      after: ['account:b=0 account:a=0.8'], status: ['covered'], events: ['balance-exhausted:account:b'] },
    { name: 'highest-first: the member with the highest balance pays', group: 'highest-first', uses: [{ account: 'b', sms: 5 }, { account: 'b', sms: 8 }],
      after: ['account:a=0.5', 'account:a=0 account:b=0'], status: ['covered', 'covered'], events: ['balance-exhausted:account:a', 'balance-exhausted:account:b'] },
  ];
  for (const c of table) {
    it(c.name, () => {
      const r = run(`${accounts}\n  groups: [{ id: g, strategy: ${c.group}, members: [a, b] }]`, c.uses);
      expect({ after: r.after, status: r.status, events: r.events }).toEqual({ after: c.after, status: c.status, events: c.events });
    });
  }
  it('strategy group: the members share the group balance (after their own, if any)', () => {
    const r = run('  accounts: [{ account: c, initial: "0.20", thresholds: [] }]\n  groups: [{ id: fam, strategy: group, members: [a, b, c], initial: "1.00", thresholds: ["20%"] }]',
      [{ account: 'a', sms: 7 }, { account: 'c', sms: 3 }, { account: 'b', sms: 5 }]);
    expect(r.after).toEqual(['group:fam=0.3', 'account:c=0 group:fam=0.2', 'group:fam=0']);
    expect(r.status).toEqual(['covered', 'covered', 'exhausted']);
    expect(r.events).toEqual(['balance-exhausted:account:c', 'balance-low:group:fam@20%', 'balance-exhausted:group:fam']);
  });
});

describe('balance-debit: the step and the state', () => {
  it('the step debits every charge of the UDR from ctx.udrStart, and puts the debit into the lineage', () => {
    const cat = loadCatalogText(catalog('  accounts: [{ account: a, initial: "1.00", thresholds: [] }, { account: b, initial: "0.05", thresholds: [] }]'));
    const rater = new Rater(cat);
    const ctx = new MeasureContext(rater);
    const mk = (id: string, account: string, amount: string): Charge => ({ ...rater.charge(sms(id, { account, sms: 1 }), 0, 'plan', 'p', 'sms', 'sms', 1, BigInt(amount), { v: 1 }), account });
    ctx.charges = [mk('x', 'a', '9999'), mk('y', 'a', '3000000000'), mk('z', 'b', '1000000000'), mk('w', 'a', '0')];
    ctx.udrStart = 1;
    expect(compileStepPlan(cat.plans.get('plan')!.index.get('sms\u0000')!, cat).settle).toEqual([balanceDebit]);
    balanceDebit.run(ctx);
    const b = ctx.charges.map((c) => JSON.parse(lineageText(c)).balance);
    expect(b[0]).toBeUndefined();
    expect(b[1]).toEqual({ status: 'covered', debits: [{ balance: 'account:a', before: '1.0000000000', after: '0.7000000000', debit: '0.3000000000' }] });
    expect(b[2]).toEqual({ status: 'exhausted', debits: [{ balance: 'account:b', before: '0.0500000000', after: '0.0000000000', debit: '0.0500000000' }], uncovered: '0.0500000000' });
    expect(b[3]).toBeUndefined();
  });
  it('balances go to the changelog; replaying it gives the same state (restart safe, as pools)', () => {
    const text = catalog('  accounts: [{ account: a, initial: "1.00", credit-limit: "0.20" }]');
    const r1 = new Rater(loadCatalogText(text));
    const b1 = r1.rate([sms('1', { account: 'a', sms: 7 })]);
    const b2 = r1.rate([sms('2', { account: 'a', sms: 7 })]);
    expect(b2.stateChanges).toEqual([{ key: 'balances/account:a', value: { spent: { initial: '10000000000' }, debt: '2000000000', exhausted: true } }]);
    const replay = emptyState();
    applyChanges(replay, [...b1.stateChanges, ...b2.stateChanges]);
    const r2 = new Rater(loadCatalogText(text), replay);
    const again = r2.rate([sms('3', { account: 'a', sms: 1 })]);
    const r3 = new Rater(loadCatalogText(text), r1.snapshot());
    const same = r3.rate([sms('3', { account: 'a', sms: 1 })]);
    expect(again.charges.map((c) => lineageText(c))).toEqual(same.charges.map((c) => lineageText(c)));
    expect(JSON.parse(lineageText(again.charges[0]!)).balance.status).toBe('exhausted');
  });
  it('only the primary charging run moves balances', () => {
    const text = catalog('  accounts: [{ account: a, initial: "1.00", thresholds: [] }]').replace('balances:', `charging-runs:
  - { name: retail }
  - { name: wholesale, billable: false }
balances:`);
    const r = new Rater(loadCatalogText(text));
    const res = r.rate([sms('1', { account: 'a', sms: 3 })]);
    expect(res.charges.map((c) => [c.run, JSON.parse(lineageText(c)).balance?.debits[0].after])).toEqual([['wholesale', undefined], ['retail', '0.7000000000']]);
  });
});

describe('catalog balances: mistakes are reported where they are (lint)', () => {
  it('each problem with its line: duplicate account, negative credit limit, expiry before effective, a member twice, a member without a balance, funding on a member-paid group', () => {
    const text = catalog(`  accounts:
    - { account: a, initial: "1.00", credit-limit: "-1" }
    - { account: a, initial: "2.00" }
    - { account: b, top-ups: [{ id: t, amount: "1", effective: "2025-04-01", expiry: "2025-03-01" }, { id: t, amount: "2" }] }
  groups:
    - { id: g, strategy: lowest-first, members: [a, c], initial: "5" }
    - { id: h, strategy: group, members: [a] }`);
    let problems: { line: number; message: string }[] = [];
    try { loadCatalogText(text, 'bal.yaml'); } catch (e) { problems = (e as ConfigError).problems; }
    const at = (line: string) => text.split('\n').findIndex((l) => l.includes(line)) + 1;
    expect(problems.map((p) => [p.line, p.message])).toEqual(expect.arrayContaining([
      [at('credit-limit: "-1"'), 'credit-limit cannot be negative (it is how far below zero the balance may go)'],
      [at('account: a, initial: "2.00"'), 'account a has a balance already'],
      [at('expiry: "2025-03-01"'), 't: expiry is not after effective'],
      [at('expiry: "2025-03-01"'), 'duplicate top-up id t'],
      [at('id: g,'), 'member c has no balance under balances.accounts (strategy lowest-first debits the members\' own balances)'],
      [at('id: g,'), 'group g: only strategy group has a balance of its own (initial / top-ups); the members\' balances pay with lowest-first'],
      [at('id: h,'), 'account a is in balance group g already (an account shares one group)'],
    ]));
  });
});
