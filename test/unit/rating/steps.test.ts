/**
 * Table tests per rating step (engine/rating/steps/*): each step run on a context prepared as the Rater prepares it,
 * with a real Rater as the host; plus the registry (every file registered, step plans per rate index).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Charge, lineageText } from '../../../engine/core/types.ts';
import { formatMoney, parseMoney } from '../../../engine/core/money.ts';
import { type CompiledCatalog, type CompiledRate, loadCatalogText, type RateIndex } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { type Cost, costText } from '../../../engine/rating/rational.ts';
import { allocation } from '../../../engine/rating/steps/allocation.ts';
import { connectFee } from '../../../engine/rating/steps/connect-fee.ts';
import { increments } from '../../../engine/rating/steps/increments.ts';
import { ctxDetail, fullLineageText, lineage } from '../../../engine/rating/steps/lineage.ts';
import { minMaxCost } from '../../../engine/rating/steps/min-max-cost.ts';
import { priceModel } from '../../../engine/rating/steps/price-model.ts';
import { compileStepPlan, RATING_STEPS, STEP_REGISTRY } from '../../../engine/rating/steps/registry.ts';
import { rounding } from '../../../engine/rating/steps/rounding.ts';
import { MeasureContext, STEP_PHASES } from '../../../engine/rating/steps/types.ts';
import { windowSplit } from '../../../engine/rating/steps/window-split.ts';
import { catalogWith, udr } from './helpers.ts';

const MIN = 60_000;
const T = Date.parse('2025-03-03T12:00:00Z'); // Monday 12:00 UTC

function ixOf(cat: CompiledCatalog, uc = 'voice', measure = ''): RateIndex {
  return cat.plans.get('plan')!.index.get(`${uc}\u0000${measure}`)!;
}

/** a context for the first rate of `uc`, as the Rater prepares it before the usage phase */
function prepared(rates: string[], q: number, opts: { uc?: string; unit?: string; start?: number; extra?: string } = {}) {
  const cat = loadCatalogText(catalogWith(rates, opts.extra ?? ''));
  const rater = new Rater(cat);
  const ctx = new MeasureContext(rater);
  const ix = ixOf(cat, opts.uc ?? 'voice');
  const u = udr({ id: 'x', usageClass: opts.uc ?? 'voice', unit: opts.unit ?? 'ms', quantity: q, startTime: opts.start ?? T, destination: '+31201234567' });
  const prefix = rater.select.candidates(ix, u, '', '', u.startTime, ctx.cands);
  const first = rater.select.chooseAt(ctx.cands, u.startTime)!;
  Object.assign(ctx, { u, measure: '', svc: undefined, svcState: '', plan: cat.plans.get('plan')!, via: 'account acme', ix, charges: [] as Charge[], seq: 0,
    total: q, inside: 0, q, prefix, first, feeRate: first, rounding: first.rounding, billed: 0, detail: '', capped: undefined, final: false, error: undefined });
  ctx.cost = { n: 0n, d: 1n };
  ctx.segments.length = 0;
  return { ctx, cat, rater, first: first as CompiledRate };
}

const money = (c: Cost) => costText(c);

describe('increments (per-unit, rate in force at the start)', () => {
  const table: [string, number, number, string][] = [
    // increments, usage ms, billed ms, exact cost at 0.60/min
    ['60s/60s', 1, 60_000, '0.6'],
    ['60s/60s', 61_000, 120_000, '1.2'],
    ['30s/6s', 31_000, 36_000, '0.36'],
    ['1s/1s', 90_500, 91_000, '0.91'],
    ['60s/60s', 0, 0, '0'],
  ];
  for (const [inc, q, billed, cost] of table) {
    it(`${inc} × ${q} ms → billed ${billed}, ${cost}`, () => {
      const { ctx } = prepared([`{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: ${inc} }`], q);
      expect(increments.run(ctx)).toBe(true);
      expect([ctx.billed, money(ctx.cost)]).toEqual([billed, cost]);
      expect(ctxDetail(ctx)).toMatch(q === 0 ? /^zero usage: no charge$/ : new RegExp(`^${q} → billed ${billed} \\(from 0: 0.6 per 60000 in increments of `));
    });
  }
  it('declines non per-unit models (the price-model step prices them)', () => {
    const { ctx } = prepared(['{ id: f, usage-class: voice, model: flat, price: "1.00" }'], 5);
    expect(increments.run(ctx)).toBe(false);
  });
});

describe('window-split (each increment priced by the window where it starts)', () => {
  const rates = [
    '{ id: pk, usage-class: voice, window: peak, weight: 10, price: "0.60", per: 60s, increments: 60s/60s }',
    '{ id: op, usage-class: voice, price: "0.30", per: 60s, increments: 60s/60s }',
  ];
  const extra = 'windows: { peak: { from: "08:00", to: "19:00" } }';
  const table: [string, number, [string, number, number, number][], string][] = [
    ['2025-03-03T18:58:00Z', 3 * MIN, [['pk', 0, 2 * MIN, 2 * MIN], ['op', 2 * MIN, 3 * MIN, MIN]], '1.5'],
    ['2025-03-03T18:58:30Z', 2 * MIN, [['pk', 0, 90_000, 2 * MIN]], '1.2'], // the 2nd increment started in peak and covers the rest
    ['2025-03-03T07:59:00Z', 2 * MIN, [['op', 0, MIN, MIN], ['pk', MIN, 2 * MIN, MIN]], '0.9'],
    ['2025-03-03T12:00:00Z', 5 * MIN, [['pk', 0, 5 * MIN, 5 * MIN]], '3'],
  ];
  for (const [start, q, segs, cost] of table) {
    it(`${start} + ${q / 1000} s → ${segs.map((s) => s[0]).join('+')}, ${cost}`, () => {
      const { ctx } = prepared(rates, q, { start: Date.parse(start), extra });
      expect(windowSplit.run(ctx)).toBe(true);
      expect(ctx.segments.map((s) => [s.rate, s.from, s.to, s.billed])).toEqual(segs);
      expect(money(ctx.cost)).toBe(cost);
    });
  }
  it('declines zero usage and non-ms usage', () => {
    expect(windowSplit.run(prepared(rates, 0, { extra }).ctx)).toBe(false);
  });
});

describe('price-model (whole quantity; period tiers continue across records)', () => {
  it('graduated tiers per record', () => {
    const { ctx } = prepared(['{ id: g, usage-class: sms, unit: event, model: graduated, tiers: [{ up-to: "10", price: "0.10" }, { up-to: inf, price: "0.05" }] }'], 15, { uc: 'sms', unit: 'event' });
    expect(priceModel.run(ctx)).toBe(true);
    expect(money(ctx.cost)).toBe('1.25');
  });
  it('graduated tiers with basis period: the second record starts where the first ended', () => {
    const { ctx, rater } = prepared(['{ id: g, usage-class: sms, unit: event, model: graduated, basis: period, tiers: [{ up-to: "10", price: "0.10" }, { up-to: inf, price: "0.05" }] }'], 8, { uc: 'sms', unit: 'event' });
    priceModel.run(ctx);
    expect(money(ctx.cost)).toBe('0.8');
    priceModel.run(ctx);
    expect(money(ctx.cost)).toBe('0.5'); // 2 × 0.10 + 6 × 0.05
    expect(Object.values(rater.state.tiers)).toEqual([16]);
  });
});

describe('connect-fee', () => {
  const table: [number, string, string, string][] = [
    [MIN, '0.05', '0.6', '0.65'],
    [0, '0.05', '0', '0'], // zero usage: no fee
    [MIN, '0', '0.6', '0.6'],
  ];
  for (const [q, fee, before, after] of table) {
    it(`q ${q}, fee ${fee}: ${before} → ${after}`, () => {
      const { ctx } = prepared([`{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 60s/60s, connect-fee: "${fee}" }`], q);
      ctx.cost = { n: parseMoney(before), d: 1n };
      connectFee.run(ctx);
      expect(money(ctx.cost)).toBe(after);
    });
  }
});

describe('min-max-cost', () => {
  const table: [string, string, string | null, string | undefined][] = [
    // limits, cost, cost after (null = rejected), capped text starts with
    ['min-cost: "0.20"', '0.10', '0.2', 'raised to minimum cost'],
    ['min-cost: "0.20"', '0.30', '0.3', undefined],
    ['max-cost: { amount: "2.00", strategy: free }', '5', '2', 'capped at maximum cost'],
    ['max-cost: { amount: "2.00", strategy: free }', '1.5', '1.5', undefined],
    ['max-cost: { amount: "2.00", strategy: reject }', '5', null, undefined],
    // CGRateS *disconnect: limits authorized usage; a finished call keeps its price
    ['max-cost: { amount: "2.00", strategy: disconnect }', '5', '5', undefined],
  ];
  for (const [limits, before, after, capped] of table) {
    it(`${limits}: ${before} → ${after ?? 'reject'}`, () => {
      const { ctx } = prepared([`{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 60s/60s, ${limits} }`], MIN);
      ctx.cost = { n: parseMoney(before), d: 1n };
      minMaxCost.run(ctx);
      if (after === null) {
        expect([ctx.errorReason, ctx.error]).toEqual(['RATING_ERROR', expect.stringContaining('strategy reject')]);
        return;
      }
      expect(ctx.error).toBeUndefined();
      expect(money(ctx.cost)).toBe(after);
      if (capped) expect(ctx.capped).toMatch(new RegExp(`^${capped}`));
      else expect(ctx.capped).toBeUndefined();
    });
  }
});

describe('rounding', () => {
  const table: [string, number, Cost, string][] = [
    ['half-up', 4, { n: 12345n * 10n ** 5n, d: 1n }, '0.1235'], // 0.12345
    ['half-even', 4, { n: 12345n * 10n ** 5n, d: 1n }, '0.1234'],
    ['up', 2, { n: 10n ** 10n, d: 3n }, '0.34'],
    ['down', 2, { n: 2n * 10n ** 10n, d: 3n }, '0.66'],
  ];
  for (const [mode, dec, cost, out] of table) {
    it(`${mode}/${dec} of ${costText(cost)} = ${out}`, () => {
      const { ctx } = prepared([`{ id: r, usage-class: voice, price: "0.60", per: 60s, rounding: { mode: ${mode}, decimals: ${dec} } }`], MIN);
      ctx.cost = cost;
      rounding.run(ctx);
      expect(formatMoney(ctx.amount, dec)).toBe(out);
    });
  }
});

describe('allocation and lineage (emit)', () => {
  it('allocation: shares rounded, the last takes the remainder; the parts sum to the amount', () => {
    const { ctx } = prepared(['{ id: r, usage-class: voice, price: "1.00", per: 60s, allocate: [{ account: a, share: "0.3333" }, { account: b, share: "0.3333" }, { account: c, share: "0.3334" }] }'], MIN);
    ctx.amount = parseMoney('1.0001');
    ctx.billed = MIN;
    expect(allocation.run(ctx)).toBe(true);
    expect(ctx.charges.map((c) => [c.account, formatMoney(c.amount, 4)])).toEqual([['a', '0.3333'], ['b', '0.3333'], ['c', '0.3335']]);
    expect(ctx.charges.reduce((s, c) => s + c.amount, 0n)).toBe(ctx.amount);
  });
  it('allocation declines rates without shares', () => {
    expect(allocation.run(prepared(['{ id: r, usage-class: voice, price: "1.00", per: 60s }'], MIN).ctx)).toBe(false);
  });
  it('lineage: one charge, compact (what the rate gives left out), undefined fields left out, segments only when windowed or split', () => {
    const { ctx } = prepared(['{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 60s/60s }'], MIN);
    increments.run(ctx);
    rounding.run(ctx);
    expect(lineage.run(ctx)).toBe(true);
    expect(ctx.charges).toHaveLength(1);
    const l = JSON.parse(lineageText(ctx.charges[0]!));
    expect(Object.keys(l)).toEqual(['v', 'via', 'quantity', 'billed', 'prefix', 'window', 'cost']);
    // in full: the model, its detail, the connect fee and the rounding from the rate's terms
    expect(Object.keys(JSON.parse(fullLineageText(ctx.charges[0]!)))).toEqual(['v', 'via', 'quantity', 'billed', 'prefix', 'window', 'model', 'detail', 'connectFee', 'cost', 'rounding']);
    expect(ctx.charges[0]!.matched).toBe('*any');
    expect(ctx.seq).toBe(1);
  });
});

describe('step registry and plans', () => {
  it('every file of engine/rating/steps is a registered step (besides registry and types)', () => {
    const files = readdirSync(new URL('../../../engine/rating/steps/', import.meta.url)).filter((f) => !['registry.ts', 'types.ts'].includes(f)).sort();
    expect(files.map((f) => f.replace(/\.ts$/, ''))).toEqual([...STEP_REGISTRY.keys()].sort());
    for (const s of RATING_STEPS) expect(STEP_PHASES).toContain(s.phase);
    // in phase order
    const order = RATING_STEPS.map((s) => STEP_PHASES.indexOf(s.phase));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
  it('max-cost disconnect keeps the price of a rated call (full usage billed, no cap) and says why when explaining', () => {
    const text = catalogWith(['{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 10s/10s, connect-fee: "0.05", max-cost: { amount: "0.30", strategy: disconnect } }']);
    const rater = new Rater(loadCatalogText(text), undefined, { trace: true });
    const [c] = rater.rate([udr({ id: 'd', quantity: 5 * MIN })]).charges;
    expect([formatMoney(c!.amount, 4), c!.quantity]).toEqual(['3.0500', 5 * MIN]);
    const l = JSON.parse(lineageText(c!)) as { capped?: string; steps: string[] };
    expect(l.capped).toBeUndefined();
    expect(l.steps.some((s) => /strategy disconnect\): a finished call keeps its price/.test(s))).toBe(true);
  });
  it('a plan compiles only the steps that have something to do', () => {
    const plain = loadCatalogText(catalogWith(['{ id: r, usage-class: voice, price: "0.60", per: 60s }']));
    const p = compileStepPlan(ixOf(plain), plain);
    expect(Object.fromEntries(STEP_PHASES.map((ph) => [ph, p[ph].map((s) => s.id)]))).toEqual({
      allocate: [], usage: ['increments', 'price-model'], adjust: [], round: ['rounding'], emit: ['lineage'], settle: [],
    });
    const rich = loadCatalogText(catalogWith([
      '{ id: pk, usage-class: voice, window: peak, price: "0.60", per: 60s, connect-fee: "0.05", max-cost: { amount: "1", strategy: free } }',
      '{ id: op, usage-class: voice, price: "0.30", per: 60s }',
    ], 'windows: { peak: { from: "08:00", to: "19:00" } }'));
    const q = compileStepPlan(ixOf(rich), rich);
    expect(q.usage.map((s) => s.id)).toEqual(['window-split', 'increments', 'price-model']);
    expect(q.adjust.map((s) => s.id)).toEqual(['connect-fee', 'min-max-cost']);
  });
});
