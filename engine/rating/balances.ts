/**
 * Money balances in the rating state (catalog section `balances`): reading a balance at a time, and debiting an
 * account's charge from the balances that pay for it — exact scaled bigints throughout.
 *
 * A balance at time t = what is left of its buckets in force at t (initial and top-ups: effective ≤ t < expiry)
 * minus its debt. A debit first settles any debt from the buckets in force (a top-up pays the debt back), then
 * spends the buckets that expire first, then adds to the debt. Without `allow-negative` the balance never goes
 * below −credit-limit: the part of a charge beyond it is not debited but reported as `uncovered` (the charge keeps
 * its full amount: the usage happened; the charge's lineage says `balance.status: exhausted`).
 *
 * Who pays for an account: its own balance; in a group with strategy `group`, its own balance (if any) and then the
 * group's; with `lowest-first` / `highest-first`, the members' balances ordered by their balance at the usage time
 * (ties by account id), each taking what it can.
 *
 * Events (through the rating events): `balance-low` when a debit takes the balance from above a threshold to at or
 * below it; `balance-exhausted` once when the balance reaches its floor (−credit-limit) or a charge is not fully
 * covered (with allow-negative: when it goes beyond the credit limit); re-armed when the balance is above it again.
 */
import { formatMoney } from '../core/money.ts';
import type { CompiledBalance, CompiledBalances } from './catalog.ts';
import type { BalanceState, RatingState } from './state.ts';
import type { Lineage, RatingEvent } from './steps/types.ts';

/** what a debit may use of the Rater (the Rater implements it) */
export interface BalanceHost {
  readonly state: RatingState;
  touch(key: string): void;
  emit(e: RatingEvent): void;
}

export interface BalanceReading {
  key: string;
  /** balance now (may be negative) */
  balance: bigint;
  /** sum of the buckets in force (the base of percentage thresholds) */
  funded: bigint;
  /** how much more may be debited before the floor; null = unlimited (allow-negative) */
  available: bigint | null;
}

export interface BalanceDebit {
  account: string;
  amount: bigint;
  /** per balance that paid: key, balance before and after, amount debited */
  debits: { balance: string; before: string; after: string; debit: string }[];
  /** the part of the amount no balance could cover (0 when covered) */
  uncovered: bigint;
}

const inForce = (b: { effective: number; expiry: number }, t: number) => b.effective <= t && t < b.expiry;

function stateOf(st: RatingState, key: string): BalanceState | undefined {
  return st.balances?.[key];
}

/** the balance at t (pure: the state is not changed) */
export function readBalance(st: RatingState, b: CompiledBalance, t: number): BalanceReading {
  const s = stateOf(st, b.key);
  let left = 0n;
  let funded = 0n;
  for (const k of b.buckets) {
    if (!inForce(k, t)) continue;
    funded += k.amount;
    left += k.amount - BigInt(s?.spent[k.id] ?? '0');
  }
  const balance = left - BigInt(s?.debt ?? '0');
  return { key: b.key, balance, funded, available: b.allowNegative ? null : max0(balance + b.creditLimit) };
}

const max0 = (v: bigint) => (v > 0n ? v : 0n);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

const NO_PAYERS: readonly CompiledBalance[] = [];

/** the balances that pay for an account's charge at t, in paying order (empty: the account has no balance) */
export function payersOf(bal: CompiledBalances, st: RatingState, account: string, t: number): readonly CompiledBalance[] {
  const fixed = bal.payers.get(account);
  if (fixed) return fixed;
  const g = bal.groupOf.get(account);
  if (!g) return NO_PAYERS;
  // lowest-first / highest-first: the members by their balance now (ties by account id)
  const members = g.members.map((m) => ({ m, b: bal.accounts.get(m)!, v: 0n }));
  for (const x of members) x.v = readBalance(st, x.b, t).balance;
  const dir = g.strategy === 'lowest-first' ? 1 : -1;
  members.sort((x, y) => (x.v === y.v ? (x.m < y.m ? -1 : x.m > y.m ? 1 : 0) : x.v < y.v ? -dir : dir));
  return members.map((x) => x.b);
}

/** change the state: `amount` (may be negative: a refund) taken from the balance at t; returns the balance after */
function take(s: BalanceState, b: CompiledBalance, t: number, amount: bigint): void {
  let debt = BigInt(s.debt);
  // a top-up in force pays the debt back
  if (debt > 0n) debt -= spend(s, b, t, debt);
  if (amount < 0n) {
    debt += amount;
  } else {
    // a credit (negative debt) first, then the buckets expiring first, then debt
    if (debt < 0n) {
      const m = min(amount, -debt);
      debt += m;
      amount -= m;
    }
    if (amount > 0n) amount -= spend(s, b, t, amount);
    debt += amount;
  }
  s.debt = debt.toString();
}

/** spend up to `want` from the buckets in force, expiring first; returns what was spent */
function spend(s: BalanceState, b: CompiledBalance, t: number, want: bigint): bigint {
  let got = 0n;
  for (let i = 0; i < b.buckets.length && got < want; i++) {
    const k = b.buckets[i]!;
    if (!inForce(k, t)) continue;
    const used = BigInt(s.spent[k.id] ?? '0');
    const m = min(k.amount - used, want - got);
    if (m > 0n) { s.spent[k.id] = (used + m).toString(); got += m; }
  }
  return got;
}

/**
 * Debit `amount` of `account`'s charge at t from the balances that pay for it (the rating state changes, each balance
 * touched); null when the account has no balance. `ref` (the charge id) goes into the events.
 */
export function debitAccount(host: BalanceHost, bal: CompiledBalances, account: string, amount: bigint, t: number, ref: string): BalanceDebit | null {
  const payers = payersOf(bal, host.state, account, t);
  if (!payers.length) return null;
  const out: BalanceDebit = { account, amount, debits: [], uncovered: 0n };
  let left = amount;
  for (let i = 0; i < payers.length; i++) {
    const b = payers[i]!;
    const last = i === payers.length - 1;
    const r = readBalance(host.state, b, t);
    // a refund goes to the first payer; a debit takes what each balance can, the last one with allow-negative all
    const d = left <= 0n ? left : r.available === null ? left : min(left, r.available);
    if (d === 0n && !(last && left > 0n)) continue;
    const all = (host.state.balances ??= Object.create(null) as Record<string, BalanceState>);
    const s = all[b.key] ?? (all[b.key] = { spent: Object.create(null) as Record<string, string>, debt: '0' });
    take(s, b, t, d);
    host.touch(b.stateKey);
    // settling the debt from buckets leaves the balance as it is: it moves by exactly the debit
    const after = r.balance - d;
    left -= d;
    out.debits.push({ balance: b.key, before: formatMoney(r.balance), after: formatMoney(after), debit: formatMoney(d) });
    events(host, s, b, t, r, after, last ? left : 0n, account, ref);
    if (left <= 0n) break;
  }
  out.uncovered = left > 0n ? left : 0n;
  return out;
}

function events(host: BalanceHost, s: BalanceState, b: CompiledBalance, t: number, before: BalanceReading, after: bigint, uncovered: bigint, account: string, ref: string): void {
  const floor = -b.creditLimit;
  for (const th of b.thresholds) {
    // at or below the level: after ≤ funded × p / 100, compared exactly as after × 100 ≤ funded × p
    const level = th.percent !== undefined ? before.funded * BigInt(th.percent) : th.amount!;
    const scale = th.percent !== undefined ? 100n : 1n;
    if (before.balance * scale > level && after * scale <= level) {
      host.emit({ type: 'balance-low', key: b.key, at: t, detail: { balance: b.key, account, threshold: th.text, before: formatMoney(before.balance), after: formatMoney(after), funded: formatMoney(before.funded), charge: ref } });
    }
  }
  const out = b.allowNegative ? after < floor : after <= floor || uncovered > 0n;
  if (out && !s.exhausted) {
    s.exhausted = true;
    host.emit({ type: 'balance-exhausted', key: b.key, at: t, detail: { balance: b.key, account, after: formatMoney(after), creditLimit: formatMoney(b.creditLimit), uncovered: formatMoney(uncovered), overLimit: b.allowNegative || undefined, charge: ref } });
  } else if (!out && s.exhausted) {
    delete s.exhausted;
  }
}

/** the lineage of a debit (on the charge as `balance`) */
export function debitLineage(d: BalanceDebit): Lineage {
  return { status: d.uncovered > 0n ? 'exhausted' : 'covered', debits: d.debits, uncovered: d.uncovered > 0n ? formatMoney(d.uncovered) : undefined };
}
