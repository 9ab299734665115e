/**
 * CGRateS account data (Actions, ActionPlans, AccountActions, SharedGroups) → the catalog's money balances and
 * bundles, where the catalog can express them (import-cgrates; every construct and column is listed in IMPORT.md by
 * cgrates-import-doc.ts):
 *  - AccountActions (Tenant, Account, ActionPlanId) → the account `tenant:account` gets the actions of its plan;
 *    AllowNegative → `allow-negative`;
 *  - *topup / *topup_reset of a *monetary balance → a top-up of the account's balance (`balances.accounts`), with
 *    its ExpiryTime when it is a date; *allow_negative → `allow-negative: true`;
 *  - *topup / *topup_reset of a *voice / *data / *sms / *mms balance → a bundle (share plan, level account, selecting
 *    the accounts that get it): Units → size, Categories → usage class (one bundle per category), DestinationIds →
 *    its destination filter, RatingSubject → its own rating (connect fee, increment and price of the subject's
 *    single-slot rate; `*zero<duration>` → free in increments of that duration), ExpiryTime / the action plan's
 *    timing → its frequency (*monthly → monthly...; *unlimited or a one-time *asap top-up → unlimited);
 *  - SharedGroups → balance groups (`balances.groups`): members = the accounts whose monetary top-ups name the group,
 *    Strategy *lowest / *highest (and *mine_lowest / *mine_highest, approximately) → lowest-first / highest-first.
 * Whatever is not kept is said in the notes, once per construct.
 */
import { CATEGORY_UNITS, columnOf, dec, qty, readCsvFile } from './cgrates-csv.ts';

/** the rating side the bundles' rating subjects are resolved against */
export interface TariffData {
  destinations: ReadonlyMap<string, string[]>;
  rates: ReadonlyMap<string, { connectFee: string; rate: string; unit: string; increment: string; gis: string }[]>;
  destRates: ReadonlyMap<string, { dest: string; rate: string }[]>;
  ratingPlans: ReadonlyMap<string, { dr: string }[]>;
  profiles: readonly { tenant: string; category: string; subject: string; activation: string; plan: string }[];
  /** Timings whose StartTime is *asap (an action plan run once) */
  oneTimeTimings: ReadonlySet<string>;
}

export interface AccountsImport {
  sharePlans: Record<string, unknown>[];
  balances?: { accounts: Record<string, unknown>[]; groups: Record<string, unknown>[] };
  /** destinations the bundles filter on (the catalog must declare them) */
  usedDest: Set<string>;
  stats: Record<string, number>;
}

const BALANCE_UNITS: Record<string, string> = { '*voice': 'ms', '*data': 'byte', '*sms': 'event', '*mms': 'event' };
const DEFAULT_CATEGORY: Record<string, string> = { '*voice': 'call', '*data': 'data', '*sms': 'sms', '*mms': 'mms' };
const FREQ: Record<string, string> = { '*daily': 'daily', '*weekly': 'weekly', '*monthly': 'monthly', '*month_end': 'monthly', '*yearly': 'yearly' };
const STRATEGY: Record<string, string> = { '*lowest': 'lowest-first', '*highest': 'highest-first', '*mine_lowest': 'lowest-first', '*mine_highest': 'highest-first' };
const safeId = (s: string) => s.replace(/[^A-Za-z0-9._:@+-]/g, '_');
const truthy = (s: string) => s.trim().toLowerCase() === 'true';

interface Bundle { id: string; def: Record<string, unknown>; accounts: Set<string> }

export function importAccounts(dir: string, tp: TariffData, notes: string[]): AccountsImport {
  const note = (() => { const seen = new Set<string>(); return (n: string) => { if (!seen.has(n)) { seen.add(n); notes.push(n); } }; })();
  const actionsF = readCsvFile(dir, 'Actions');
  const c = (names: string[], pos: number) => columnOf(actionsF, names, pos);
  const A = {
    id: c(['actionsid', 'id', 'tag'], 0), action: c(['action'], 1), extra: c(['extraparameters'], 2), filter: c(['filter'], 3), balanceId: c(['balanceid'], 4),
    type: c(['balancetype'], 5), categories: c(['categories'], 6), dest: c(['destinationids'], 7), subject: c(['ratingsubject'], 8), shared: c(['sharedgroup'], 9),
    expiry: c(['expirytime'], 10), timings: c(['timingids'], 11), units: c(['units'], 12), bweight: c(['balanceweight'], 13), blocker: c(['balanceblocker'], 14),
    disabled: c(['balancedisabled'], 15),
  };
  const actions = new Map<string, string[][]>();
  for (const r of actionsF.rows) if (A.id(r)) actions.set(A.id(r), [...(actions.get(A.id(r)) ?? []), r]);
  const plansF = readCsvFile(dir, 'ActionPlans');
  const P = { id: columnOf(plansF, ['id', 'tag'], 0), actions: columnOf(plansF, ['actionsid', 'actionstag'], 1), timing: columnOf(plansF, ['timingid', 'timingtag'], 2) };
  const actionPlans = new Map<string, { actions: string; timing: string }[]>();
  for (const r of plansF.rows) if (P.id(r)) actionPlans.set(P.id(r), [...(actionPlans.get(P.id(r)) ?? []), { actions: P.actions(r), timing: P.timing(r) }]);
  const aaF = readCsvFile(dir, 'AccountActions');
  const AA = { tenant: columnOf(aaF, ['tenant'], 0), account: columnOf(aaF, ['account'], 1), plan: columnOf(aaF, ['actionplanid', 'actionplantag'], 2),
    triggers: columnOf(aaF, ['actiontriggersid', 'actiontriggerstag'], 3), allowNeg: columnOf(aaF, ['allownegative'], 4), disabled: columnOf(aaF, ['disabled'], 5) };
  const sgF = readCsvFile(dir, 'SharedGroups');
  const SG = { id: columnOf(sgF, ['id', 'tag'], 0), account: columnOf(sgF, ['account'], 1), strategy: columnOf(sgF, ['strategy'], 2), subject: columnOf(sgF, ['ratingsubject'], 3) };
  const sharedGroups = new Map<string, { strategy: string; subject: string }>();
  for (const r of sgF.rows) {
    if (!SG.id(r)) continue;
    const cur = sharedGroups.get(SG.id(r));
    if (!cur || SG.account(r) === '*any') sharedGroups.set(SG.id(r), { strategy: SG.strategy(r), subject: SG.subject(r) });
    if (cur && cur.strategy !== SG.strategy(r)) note(`SharedGroups ${SG.id(r)}: per-account strategies are not kept (one strategy per group: that of the *any row, else the first)`);
    if (SG.subject(r)) note(`SharedGroups ${SG.id(r)}: RatingSubject ${SG.subject(r)} (rating the group's usage as another subject) is not kept`);
  }

  const balances = new Map<string, { account: string; 'top-ups': Record<string, unknown>[]; 'allow-negative'?: boolean }>();
  const balanceOf = (acct: string) => {
    let b = balances.get(acct);
    if (!b) balances.set(acct, (b = { account: acct, 'top-ups': [] }));
    return b;
  };
  const groupMembers = new Map<string, string[]>();
  const groupOfAccount = new Map<string, string>();
  const bundles = new Map<string, Bundle>();
  const usedDest = new Set<string>();
  let topUps = 0;
  const usedPlans = new Set<string>();
  const usedActions = new Set<string>();

  /** the bundle's own rating from its RatingSubject (undefined: free units; a note says why when not kept) */
  const ratingOf = (tenant: string, subject: string, category: string, dests: string[] | undefined, unit: string, where: string): Record<string, unknown> | undefined => {
    if (!subject) return undefined;
    const zero = /^\*zero(.+)$/.exec(subject);
    if (zero) {
      try { return { rate: { increment: qty(zero[1]!, unit, `${where} RatingSubject`, '1') } }; } catch (e) { note(`${where}: RatingSubject ${subject}: ${(e as Error).message}; the bundle keeps free units`); return undefined; }
    }
    const profs = tp.profiles.filter((p) => p.tenant === tenant && p.subject === subject && (p.category === category || !tp.profiles.some((q) => q.tenant === tenant && q.subject === subject && q.category === category)));
    if (!profs.length) { note(`${where}: RatingSubject ${subject} has no RatingProfile in tenant ${tenant}; the bundle keeps free units`); return undefined; }
    const prof = profs.reduce((a, b) => (b.activation > a.activation ? b : a));
    const rateIds = new Set<string>();
    for (const b of tp.ratingPlans.get(prof.plan) ?? []) for (const dr of tp.destRates.get(b.dr) ?? []) if (dr.dest === '*any' || !dests || dests.includes(dr.dest)) rateIds.add(dr.rate);
    const slots = rateIds.size === 1 ? tp.rates.get([...rateIds][0]!) : undefined;
    if (!slots || slots.length !== 1) {
      note(`${where}: RatingSubject ${subject} (rating plan ${prof.plan}) prices the bundle's usage with ${rateIds.size} rates${slots ? ` of ${slots.length} slots` : ''}; only a single-slot rate can be a bundle's own rating: the bundle keeps free units`);
      return undefined;
    }
    const s = slots[0]!;
    try {
      const dflt = unit === 'ms' ? '1s' : '1';
      return { rate: { 'connect-fee': s.connectFee, increment: qty(s.increment, unit, `${where} RateIncrement`, dflt) }, 'pool-price': { price: s.rate, per: qty(s.unit, unit, `${where} RateUnit`, dflt) } };
    } catch (e) {
      note(`${where}: RatingSubject ${subject}: ${(e as Error).message}; the bundle keeps free units`);
      return undefined;
    }
  };

  /** a recurring top-up (ActionPlans timing *monthly...) resets the bundle each period; a one-time one never */
  const frequencyOf = (timing: string, expiry: string, where: string): string => {
    const e = expiry.trim();
    const f = FREQ[timing];
    if (!f && timing && timing !== '*asap' && !tp.oneTimeTimings.has(timing)) note(`ActionPlans timing ${timing}: a recurring top-up schedule other than *daily/*weekly/*monthly/*yearly is not kept; its unit top-ups are imported once (a bundle that never resets)`);
    if (e && e !== '*unlimited' && FREQ[e] !== f) note(`${where}: ExpiryTime ${e} is not kept: the bundle ${f ? `resets ${f}` : 'never expires'}`);
    return f ?? 'unlimited';
  };

  for (const r of aaF.rows) {
    const tenant = AA.tenant(r), acc = AA.account(r);
    if (!tenant || !acc) continue;
    const account = `${tenant}:${acc}`;
    if (truthy(AA.allowNeg(r))) balanceOf(account)['allow-negative'] = true;
    if (truthy(AA.disabled(r))) note(`AccountActions ${account}: Disabled is not kept (the catalog has no disabled accounts): rated as enabled`);
    if (AA.triggers(r)) note(`AccountActions ${account}: ActionTriggers ${AA.triggers(r)} are not kept (balance thresholds give balance-low events; trigger actions are not run)`);
    const planId = AA.plan(r);
    if (!planId) continue;
    const plan = actionPlans.get(planId);
    if (!plan) { note(`AccountActions ${account}: unknown ActionPlan ${planId}`); continue; }
    usedPlans.add(planId);
    for (const step of plan) {
      usedActions.add(step.actions);
      const rows = actions.get(step.actions);
      if (!rows) { note(`ActionPlans ${planId}: unknown Actions ${step.actions}`); continue; }
      rows.forEach((a, k) => {
        const where = `Actions ${step.actions} row ${k + 1}`;
        const action = A.action(a), type = A.type(a);
        if (A.filter(a)) note(`${where}: Filter ${A.filter(a)} (apply the action only when the account matches) is not kept: applied always`);
        if (A.blocker(a) && truthy(A.blocker(a))) note(`${where}: BalanceBlocker is not kept`);
        if (A.disabled(a) && truthy(A.disabled(a))) note(`${where}: BalanceDisabled is not kept (the balance is imported enabled)`);
        if (A.timings(a) && A.timings(a) !== '*any') note(`${where}: balance TimingIds ${A.timings(a)} (the balance usable only at those times) are not kept`);
        if (action === '*allow_negative' || action === '*deny_negative') {
          balanceOf(account)['allow-negative'] = action === '*allow_negative';
          return;
        }
        if (action !== '*topup' && action !== '*topup_reset') { note(`${where}: action ${action} is not kept (only *topup, *topup_reset, *allow_negative and *deny_negative become catalog data)`); return; }
        if (action === '*topup_reset') note(`*topup_reset is imported as a top-up: a balance starts at the sum of its top-ups (a reset after earlier top-ups of the same balance is not kept)`);
        if (type === '*monetary') {
          let amount: string;
          try { amount = dec(A.units(a)); } catch (e) { note(`${where}: Units ${A.units(a)}: ${(e as Error).message}; not imported`); return; }
          if (amount.startsWith('-')) { note(`${where}: a negative top-up (${amount}) is not imported`); return; }
          if (step.timing && step.timing !== '*asap' && !tp.oneTimeTimings.has(step.timing)) note(`ActionPlans ${planId}: the recurring schedule ${step.timing} of monetary top-ups is not kept; the top-up is imported once`);
          const b = balanceOf(account);
          const topUp: Record<string, unknown> = { id: safeId(`${step.actions}.${k + 1}`), amount };
          const exp = A.expiry(a);
          if (/^\d{4}-\d{2}-\d{2}/.test(exp)) topUp.expiry = exp;
          else if (exp && exp !== '*unlimited') note(`${where}: monetary ExpiryTime ${exp} (relative to the top-up time) is not kept: the top-up never expires`);
          while (b['top-ups'].some((t) => t.id === topUp.id)) topUp.id = `${topUp.id}_`;
          b['top-ups'].push(topUp);
          topUps++;
          const g = A.shared(a);
          if (g) {
            const sg = sharedGroups.get(g);
            if (!sg) note(`${where}: unknown SharedGroup ${g}; the balance is the account's own`);
            else if (!STRATEGY[sg.strategy]) note(`SharedGroups ${g}: Strategy ${sg.strategy} is not kept (lowest-first / highest-first only); its members keep their own balances`);
            else if (groupOfAccount.has(account) && groupOfAccount.get(account) !== g) note(`${account}: in SharedGroups ${groupOfAccount.get(account)} and ${g}; an account shares one group: kept in ${groupOfAccount.get(account)}`);
            else if (!groupOfAccount.has(account)) {
              if (b['top-ups'].length > 1) note(`${account}: its monetary balances in and outside SharedGroups ${g} are one balance here (in the group)`);
              groupOfAccount.set(account, g);
              groupMembers.set(g, [...(groupMembers.get(g) ?? []), account]);
            }
          }
          return;
        }
        const unit = BALANCE_UNITS[type];
        if (!unit) { note(`${where}: balance type ${type || '(none)'} is not kept (the catalog has money balances and voice/data/sms/mms bundles)`); return; }
        let size: string;
        try { size = qty(A.units(a), unit, `${where} Units`, '0'); } catch (e) { note(`${where}: ${(e as Error).message}; not imported`); return; }
        if (A.shared(a)) note(`${where}: SharedGroup ${A.shared(a)} of a ${type} balance is not kept: each account gets the bundle of its own`);
        if (A.bweight(a) && A.bweight(a) !== '0') note(`Actions BalanceWeight (which balance is used first) is not kept: bundles are used in file order`);
        const dests = A.dest(a) && A.dest(a) !== '*any' ? A.dest(a).split(';').map((d) => d.trim()).filter(Boolean) : undefined;
        if (dests?.some((d) => d.startsWith('!') || !tp.destinations.has(d))) {
          note(`${where}: DestinationIds ${A.dest(a)} (an excluded or unknown destination) is not kept; not imported`);
          return;
        }
        const cats = A.categories(a) ? A.categories(a).split(';').map((x) => x.trim()).filter(Boolean) : [DEFAULT_CATEGORY[type]!];
        if (cats.length > 1) note(`${where}: Categories ${A.categories(a)}: one bundle per category (each its own pool, not one pool shared by the categories)`);
        if (!A.categories(a)) note(`${where}: a ${type} balance without Categories becomes a bundle of usage class ${DEFAULT_CATEGORY[type]} only`);
        const freq = frequencyOf(step.timing, A.expiry(a), where);
        for (const cat of cats) {
          const catUnit = CATEGORY_UNITS[cat] ?? 'ms';
          if (catUnit !== unit) note(`${where}: category ${cat} is rated in ${catUnit} but a ${type} balance counts ${unit}: the bundle never applies`);
          const key = `${step.actions}#${k}#${cat}#${freq}`;
          let bundle = bundles.get(key);
          if (!bundle) {
            const def: Record<string, unknown> = {
              id: safeId(`${step.actions}.${k + 1}.${cat}`),
              description: `CGRateS Actions ${step.actions} row ${k + 1}: ${action} ${type} ${A.units(a)}${dests ? ` to ${dests.join(';')}` : ''}${A.subject(a) ? `, rating subject ${A.subject(a)}` : ''}`,
              'bucket-class': cat, unit, level: 'account', size, frequency: freq,
            };
            if (dests) { def.destinations = dests; for (const d of dests) usedDest.add(d); }
            Object.assign(def, ratingOf(tenant, A.subject(a), cat, dests, unit, where) ?? {});
            bundles.set(key, (bundle = { id: def.id as string, def, accounts: new Set() }));
          }
          bundle.accounts.add(account);
        }
      });
    }
  }
  for (const id of actionPlans.keys()) if (!usedPlans.has(id)) note(`ActionPlans ${id}: no AccountActions row names it; not imported`);
  for (const [id, rows] of actions) if (!usedActions.has(id)) note(`Actions ${id} (${rows.map((r) => `${A.action(r)} ${A.type(r)}`.trim()).join(', ')}): no account's action plan runs it; not imported`);
  if (readCsvFile(dir, 'ActionTriggers').rows.length) note('ActionTriggers.csv: action triggers are not kept (balance thresholds raise balance-low / bucket-threshold events; no action runs)');

  const sharePlans = [...bundles.values()].map((b) => ({ ...b.def, participating: { accounts: [...b.accounts].sort() } }));
  const groups = [...groupMembers].map(([id, members]) => {
    const sg = sharedGroups.get(id)!;
    if (sg.strategy.startsWith('*mine_')) note(`SharedGroups ${id}: Strategy ${sg.strategy} → ${STRATEGY[sg.strategy]} (the debited account's own balance is not tried first)`);
    return { id: safeId(id), strategy: STRATEGY[sg.strategy], members: members.sort() };
  });
  const accts = [...balances.values()].sort((a, b) => a.account.localeCompare(b.account));
  const stats = { bundles: sharePlans.length, balanceAccounts: accts.length, topUps, balanceGroups: groups.length, accountActions: aaF.rows.length };
  return { sharePlans, balances: accts.length || groups.length ? { accounts: accts, groups } : undefined, usedDest, stats };
}
