/**
 * Recurring (subscription) charges per billing period, prorated over the service's state timeline: each state
 * segment inside the period pays `price(state) × segment length / period length` (exact), rounded once per line with
 * the catalog rounding. Prices are looked up by the type-specific state, then by its core state; no price = free.
 * The billing layer calls this with the state log (Rater.stateLog() or the rows replayed from the changelog).
 */
import type { Charge } from '../core/types.ts';
import { formatMoney } from '../core/money.ts';
import type { CompiledCatalog } from './catalog.ts';
import { isoOf, parsePeriod, type Period, type Frequency } from './durations.ts';
import { costText, roundCost } from './rational.ts';
import { chargeId, type StateLogRow } from './rater.ts';

export function recurringCharges(catalog: CompiledCatalog, stateLog: readonly StateLogRow[], period: string | { frequency: Frequency; period: Period }): Charge[] {
  const { frequency, period: p } = typeof period === 'string' ? parsePeriod(period, catalog.timezone) : period;
  const len = BigInt(p.end - p.start);
  // timeline per service: catalog services without rows start in their catalog state
  const rows = new Map<string, StateLogRow[]>();
  for (const r of stateLog) {
    const l = rows.get(r.service) ?? [];
    l.push(r);
    rows.set(r.service, l);
  }
  for (const s of catalog.services.values()) {
    if (!rows.has(s.id)) rows.set(s.id, [{ service: s.id, account: s.account, type: s.type, plan: s.plan, from: '[New]', to: s.state, core: 'unknown', at: s.since, cause: 'catalog' }]);
  }
  const out: Charge[] = [];
  for (const id of [...rows.keys()].sort()) {
    const tl = rows.get(id)!.slice().sort((a, b) => a.at - b.at);
    const first = tl[0]!;
    const plan = catalog.plans.get(first.plan);
    if (!plan) continue;
    const type = catalog.serviceTypes.get(first.type);
    const until = catalog.services.get(id)?.until;
    for (const rc of plan.recurring) {
      if (rc.frequency !== frequency) continue;
      for (let i = 0; i < tl.length; i++) {
        const seg = tl[i]!;
        const segStart = Math.max(seg.at, p.start);
        let segEnd = Math.min(i + 1 < tl.length ? tl[i + 1]!.at : Infinity, p.end);
        if (until !== undefined) segEnd = Math.min(segEnd, until);
        if (segEnd <= segStart) continue;
        const core = type?.states.get(seg.to);
        const price = rc.prices.get(seg.to) ?? (core ? rc.prices.get(core) : undefined);
        if (price === undefined || price === 0n) continue;
        const exact = { n: price * BigInt(segEnd - segStart), d: len };
        const amount = roundCost(exact, catalog.rounding.decimals, catalog.rounding.mode);
        const key = `${id}|${rc.id}|${p.key}|${segStart}`;
        const full = segStart === p.start && segEnd === p.end;
        out.push({
          id: chargeId(key, 'recurring', 0), udrId: key, account: seg.account, ratingKey: seg.account, service: id, usageClass: '',
          kind: 'recurring', product: plan.product, plan: plan.id, rateId: rc.id,
          matched: `${seg.to}${core && core !== seg.to ? ` (core ${core})` : ''} ${isoOf(segStart, catalog.timezone)} – ${isoOf(segEnd, catalog.timezone)}`,
          quantity: segEnd - segStart, unit: 'ms', amount, currency: catalog.currency, eventTime: segStart, source: `recurring:${p.key}`,
          rulesVersion: '', catalogVersion: catalog.version,
          lineage: JSON.stringify({ v: 1, kind: 'recurring', service: id, period: p.key, state: seg.to, core, price: formatMoney(price),
            steps: [`${rc.id}: ${seg.to} from ${isoOf(segStart, catalog.timezone)} to ${isoOf(segEnd, catalog.timezone)}`,
              full ? `full period: ${formatMoney(price)}` : `prorated ${formatMoney(price)} × ${segEnd - segStart} ms / ${len} ms = ${costText(exact)}`,
              `round ${catalog.rounding.mode}/${catalog.rounding.decimals} = ${formatMoney(amount, catalog.rounding.decimals)}`],
            catalog: catalog.version }),
        });
      }
    }
  }
  return out;
}

