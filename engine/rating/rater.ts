/**
 * The rating core: UDRs → charges. Pure and synchronous; amounts are scaled bigints with explicit rounding.
 * Charge ids are deterministic (UDR id + kind + sequence), so re-rating or retrying never duplicates a charge.
 */
import { createHash } from 'node:crypto';
import { divRound, roundScaled } from '../core/money.ts';
import type { Charge, RatingResult, Reject, Udr } from '../core/types.ts';
import type { CompiledCatalog, CompiledPlan, CompiledRate } from './catalog.ts';
import { billedQuantity } from './increments.ts';

export function chargeId(udrId: string, kind: string, seq: number): string {
  return createHash('sha1').update(`${udrId}\u001f${kind}\u001f${seq}`).digest('hex').slice(0, 24);
}

export class Rater {
  constructor(readonly catalog: CompiledCatalog) {}

  rate(udrs: readonly Udr[]): RatingResult {
    const charges: Charge[] = [];
    const rejects: Reject[] = [];
    for (let i = 0; i < udrs.length; i++) {
      const u = udrs[i]!;
      const c = this.rateOne(u);
      if ('reason' in c) rejects.push(c);
      else charges.push(c);
    }
    return { charges, rejects };
  }

  planFor(u: Udr): CompiledPlan | undefined {
    const cat = this.catalog;
    const svc = u.service ? cat.services.get(u.service) : undefined;
    const planId = svc?.plan ?? cat.accounts.get(u.account)?.plan ?? cat.accounts.get(u.account)?.services[0]?.plan ?? cat.defaultPlan;
    return planId ? cat.plans.get(planId) : undefined;
  }

  private reject(u: Udr, reason: 'NO_RATE' | 'UNKNOWN_ACCOUNT' | 'RATING_ERROR', message: string): Reject {
    return { feed: u.feed, source: u.source, reason, message, raw: JSON.stringify(u), rulesVersion: `${u.rulesVersion}/${this.catalog.version}` };
  }

  private rateOne(u: Udr): Charge | Reject {
    const plan = this.planFor(u);
    if (!plan) {
      return this.reject(u, this.catalog.accounts.has(u.account) ? 'NO_RATE' : 'UNKNOWN_ACCOUNT',
        `no plan for account ${u.account}${u.service ? ` / service ${u.service}` : ''}`);
    }
    const candidates = plan.rates.get(u.usageClass);
    let rate: CompiledRate | undefined;
    if (candidates) {
      for (let i = 0; i < candidates.length; i++) {
        const r = candidates[i]!;
        if (r.unit !== u.unit) continue;
        if (!r.when || truthy(r.when(null, u as unknown as Record<string, unknown>))) { rate = r; break; }
      }
    }
    if (!rate) return this.reject(u, 'NO_RATE', `plan ${plan.id} has no rate for ${u.usageClass} in ${u.unit} matching this usage`);
    const billed = billedQuantity(u.quantity, rate.increments);
    // amount = connect fee + billed * price / per, rounded once at the rate's rounding point
    const usage = divRound(BigInt(billed) * rate.price, BigInt(rate.per), rate.rounding.mode);
    const amount = roundScaled(rate.connectFee + usage, rate.rounding.decimals, rate.rounding.mode);
    const lineage = JSON.stringify({
      plan: plan.id, rate: rate.id, when: rate.whenText ?? null, quantity: u.quantity, billed,
      increments: `${rate.increments.first}/${rate.increments.next}`, price: rate.price.toString(), per: rate.per,
      connectFee: rate.connectFee.toString(), rounding: `${rate.rounding.mode}/${rate.rounding.decimals}`,
    });
    return {
      id: chargeId(u.id, 'usage', 0),
      udrId: u.id,
      account: u.account,
      ratingKey: u.ratingKey,
      service: u.service,
      usageClass: u.usageClass,
      kind: 'usage',
      product: plan.product,
      plan: plan.id,
      rateId: rate.id,
      matched: rate.whenText ?? '*',
      quantity: billed,
      unit: u.unit,
      amount,
      currency: this.catalog.currency,
      eventTime: u.startTime,
      source: u.source,
      rulesVersion: u.rulesVersion,
      catalogVersion: this.catalog.version,
      lineage,
    };
  }
}

function truthy(v: unknown): boolean {
  return !(v === null || v === undefined || v === false || v === '' || v === 0);
}
