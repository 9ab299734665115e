/**
 * Contracts: commitments per contract month (minimum spend, usage amount, volume, number of connections) with a
 * ramp-up schedule, under-commit penalties, and tiered early-termination charges with a what-if calculation.
 * Contract month m (1-based) runs from start + (m-1) months to start + m months in the catalog zone.
 */
import type { Charge } from '../core/types.ts';
import { formatMoney } from '../core/money.ts';
import type { CompiledCatalog, CompiledCommitment, CompiledContract } from './catalog.ts';
import { addMonths, isoOf, monthsBetween } from './durations.ts';
import { roundCost } from './rational.ts';
import { chargeId, type Rater } from './rater.ts';

export function commitmentFor(c: CompiledCommitment, month: number): bigint {
  let amt = 0n;
  for (const s of c.schedule) if (s.fromMonth <= month) amt = s.amount;
  return amt;
}

export interface CommitmentResult {
  commitment: string;
  type: CompiledCommitment['type'];
  month: number;
  committed: string;
  actual: string;
  shortfall: string;
  penalty: string;
}

function contractOf(catalog: CompiledCatalog, id: string): CompiledContract {
  const c = catalog.contracts.get(id);
  if (!c) throw new Error(`unknown contract ${id} (known: ${[...catalog.contracts.keys()].join(', ') || 'none'})`);
  return c;
}

/**
 * Close contract month `month`: compare each commitment with the actuals counted by the rater (spend, usage,
 * volume) or the connections active at the month end, and charge under-commit penalties.
 */
export function closeContractMonth(rater: Rater, contractId: string, month: number): { charges: Charge[]; results: CommitmentResult[] } {
  const catalog = rater.catalog;
  const c = contractOf(catalog, contractId);
  const counters = rater.state.contracts[`${c.id}|${month}`] ?? { spend: '0', usage: {}, volume: {} };
  const monthStart = addMonths(c.start, month - 1, catalog.timezone);
  const monthEnd = addMonths(c.start, month, catalog.timezone);
  const charges: Charge[] = [];
  const results: CommitmentResult[] = [];
  for (const cm of c.commitments) {
    const committed = commitmentFor(cm, month);
    let actual: bigint;
    switch (cm.type) {
      case 'minimum-spend': actual = BigInt(counters.spend); break;
      case 'usage-amount': actual = BigInt(counters.usage[cm.usageClass!] ?? '0'); break;
      case 'volume': actual = BigInt(counters.volume[cm.usageClass!] ?? 0); break;
      case 'connections': actual = BigInt(rater.activeServicesOf([c.account], monthEnd - 1, c.scope === 'line-item' ? c.services : undefined).length); break;
    }
    const shortfall = committed > actual ? committed - actual : 0n;
    let penalty = 0n;
    let how = 'commitment met';
    if (shortfall > 0n) {
      if (cm.penalty.type === 'shortfall') { penalty = shortfall; how = `shortfall ${formatMoney(shortfall)}`; }
      else if (cm.penalty.type === 'rate') {
        penalty = roundCost({ n: cm.penalty.price * shortfall, d: BigInt(cm.penalty.per) }, catalog.rounding.decimals, catalog.rounding.mode);
        how = `shortfall ${shortfall} × ${formatMoney(cm.penalty.price)} per ${cm.penalty.per}`;
      } else { penalty = cm.penalty.amount; how = `fixed penalty ${formatMoney(cm.penalty.amount)}`; }
    }
    const money = cm.type === 'minimum-spend' || cm.type === 'usage-amount';
    const fmt = (v: bigint) => (money ? formatMoney(v) : v.toString());
    results.push({ commitment: cm.id, type: cm.type, month, committed: fmt(committed), actual: fmt(actual), shortfall: fmt(shortfall), penalty: formatMoney(penalty) });
    if (penalty > 0n) {
      const key = `${c.id}|${month}|${cm.id}`;
      charges.push({
        id: chargeId(key, 'penalty', 0), udrId: key, account: c.account, ratingKey: c.account, service: '', usageClass: cm.usageClass ?? '',
        kind: 'penalty', product: '', plan: '', rateId: `commitment:${cm.id}`,
        matched: `${c.id} month ${month}: ${cm.type} committed ${fmt(committed)}, actual ${fmt(actual)}`, quantity: 1, unit: 'event',
        amount: penalty, currency: catalog.currency, eventTime: monthStart, source: `contract:${c.id}`, rulesVersion: '', catalogVersion: catalog.version,
        lineage: JSON.stringify({ v: 1, kind: 'penalty', contract: c.id, month, monthStart: isoOf(monthStart, catalog.timezone), commitment: cm.id,
          steps: [`month ${month} (${isoOf(monthStart, catalog.timezone)} – ${isoOf(monthEnd, catalog.timezone)}): ${cm.type} commitment ${fmt(committed)} (ramp-up schedule ${cm.schedule.map((s) => `m${s.fromMonth}: ${fmt(s.amount)}`).join(', ')})`,
            `actual ${fmt(actual)}`, `${how} → penalty ${formatMoney(penalty)}`], catalog: catalog.version }),
      });
    }
  }
  return { charges, results };
}

export interface TerminationQuote {
  contract: string;
  account: string;
  date: string;
  month: number;
  termMonths: number;
  inTerm: boolean;
  tier?: string;
  charge: string;
  remainingCommitment: string;
  steps: string[];
  services: string[];
  terminationState: string;
  coTerminated: TerminationQuote[];
}

/** What would terminating `contractId` at `date` cost? (pure: no state is changed) */
export function whatIfTerminate(catalog: CompiledCatalog, contractId: string, date: number, seen = new Set<string>()): TerminationQuote {
  const c = contractOf(catalog, contractId);
  seen.add(c.id);
  const tz = catalog.timezone;
  const month = date < c.start ? 0 : monthsBetween(c.start, date, tz) + 1;
  const end = addMonths(c.start, c.termMonths, tz);
  const inTerm = date >= c.start && date < end;
  const steps: string[] = [`contract ${c.id} (${c.account}) started ${isoOf(c.start, tz)}, term ${c.termMonths} months (ends ${isoOf(end, tz)}), renewal ${c.renewal}`];
  let remaining = 0n;
  for (const cm of c.commitments) {
    if (cm.type !== 'minimum-spend') continue;
    for (let m = Math.max(month + 1, 1); m <= c.termMonths; m++) remaining += commitmentFor(cm, m);
  }
  let charge = 0n;
  let tier: string | undefined;
  if (!inTerm) {
    steps.push(date < c.start ? 'terminated before the contract starts: no early-termination charge' : 'terminated after the term: no early-termination charge');
  } else {
    steps.push(`termination at ${isoOf(date, tz)} falls in contract month ${month}`);
    const t = c.earlyTermination.find((x) => month <= x.untilMonth);
    if (!t) steps.push('no early-termination tier applies to this month');
    else {
      tier = `until month ${t.untilMonth}`;
      if (t.charge !== undefined) { charge += t.charge; steps.push(`tier "until month ${t.untilMonth}": fixed ${formatMoney(t.charge)}`); }
      if (t.remainingPercent !== undefined) {
        const part = roundCost({ n: remaining * BigInt(Math.round(t.remainingPercent * 1e6)), d: 100_000_000n }, catalog.rounding.decimals, catalog.rounding.mode);
        charge += part;
        steps.push(`tier "until month ${t.untilMonth}": ${t.remainingPercent}% of the remaining minimum-spend commitment ${formatMoney(remaining)} (months ${month + 1}–${c.termMonths}) = ${formatMoney(part)}`);
      }
    }
  }
  steps.push(`early-termination charge ${formatMoney(charge)}`);
  const services = c.scope === 'line-item' ? c.services : (catalog.servicesByAccount.get(c.account) ?? []).map((s) => s.id);
  steps.push(`services moving to ${c.terminationState}: ${services.join(', ') || 'none'}`);
  const coTerminated = c.coTerminate.filter((o) => !seen.has(o)).map((o) => whatIfTerminate(catalog, o, date, seen));
  return { contract: c.id, account: c.account, date: isoOf(date, tz), month, termMonths: c.termMonths, inTerm, tier, charge: formatMoney(charge),
    remainingCommitment: formatMoney(remaining), steps, services, terminationState: c.terminationState, coTerminated };
}
