/**
 * Bundles with their own rating (share plans with `rate`, `destinations`, `accounts`, `frequency: unlimited`): the
 * destination filter keeps other usage out of the bundle; usage is taken in whole increments; the bundle's connect
 * fee is charged even when it covers the whole call, and the plan rate adds none for the rest of that call.
 */
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../engine/core/money.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { catalogWith, udr } from './helpers.ts';
import { lineageText } from '../../../engine/core/types.ts';

const S = 1000;
// the plan rate: connect fee 0.05, 0.60 per minute in 1 s increments
const RATE = '{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 1s/1s, connect-fee: "0.05" }';

function bundleCatalog(bundle: string): string {
  return catalogWith([RATE], `destinations: { NAT: ["+31"] }\nshare-plans:\n  - { id: nat, bucket-class: voice, unit: ms, frequency: unlimited, participating: { accounts: [acme] }, ${bundle} }\n`);
}

/** rate the calls in order on one rater; per call: [rate id, quantity, amount] of each charge */
function rateCalls(catalog: string, calls: { q: number; dest: string; service?: string }[]) {
  const rater = new Rater(loadCatalogText(catalog));
  const res = rater.rate(calls.map((c, i) => udr({ id: `c${i}`, quantity: c.q, destination: c.dest, service: c.service ?? '', startTime: Date.parse('2025-03-03T12:00:00Z') + i * 3_600_000 })));
  expect(res.rejects).toEqual([]);
  return { res, rater, by: calls.map((_, i) => res.charges.filter((c) => c.udrId === `c${i}`).map((c) => [c.rateId, c.quantity, formatMoney(c.amount, 2)])) };
}

describe('bundles with their own rating', () => {
  const table: [string, string, { q: number; dest: string }[], (string | number)[][][]][] = [
    ['connect fee charged when the bundle covers the whole call; 90 s in 60 s increments takes 120 s',
      'size: 10min, rate: { connect-fee: "0.10", increment: 60s }', [{ q: 90 * S, dest: '+31201234567' }],
      [[['pool:nat', 120 * S, '0.10']]]],
    ['usage outside the destination filter is not taken from the bundle (plan rate with its connect fee)',
      'size: 10min, destinations: [NAT], rate: { connect-fee: "0.10", increment: 60s }', [{ q: 90 * S, dest: '+44201234567' }],
      [[['r', 90 * S, '0.95']]]],
    ['a call beyond the bundle: the rest priced by the rate without a second connect fee',
      'size: 10min, destinations: [NAT], rate: { connect-fee: "0.10", increment: 60s }', [{ q: 660 * S, dest: '+31201234567' }],
      [[['pool:nat', 600 * S, '0.10'], ['r', 60 * S, '0.60']]]],
    ['a rest smaller than an increment stays in the bundle: 90 s left cover one 60 s increment',
      'size: 90s, rate: { connect-fee: "0.10", increment: 60s }', [{ q: 150 * S, dest: '+31201234567' }, { q: 20 * S, dest: '+31201234567' }],
      [[['pool:nat', 60 * S, '0.10'], ['r', 90 * S, '0.90']], [['r', 20 * S, '0.25']]]],
    ['a price inside the bundle per unit plus its connect fee',
      'size: 10min, rate: { connect-fee: "0.10", increment: 60s }, pool-price: { price: "0.01", per: 60s }', [{ q: 90 * S, dest: '+31201234567' }],
      [[['pool:nat', 120 * S, '0.12']]]],
    ['free units without a rate of their own (as before): the rate\'s connect fee on the rest',
      'size: 60s, destinations: [NAT]', [{ q: 90 * S, dest: '+31201234567' }, { q: 30 * S, dest: '+31201234567' }],
      [[['pool:nat', 60 * S, '0.00'], ['r', 30 * S, '0.35']], [['r', 30 * S, '0.35']]]],
    ['a bundle of unlimited frequency never resets (the second call finds it used)',
      'size: 2min, rate: { increment: 60s }', [{ q: 120 * S, dest: '+31201234567' }, { q: 60 * S, dest: '+31201234567' }],
      [[['pool:nat', 120 * S, '0.00']], [['r', 60 * S, '0.65']]]],
  ];
  for (const [name, bundle, calls, want] of table) {
    it(name, () => {
      const { by } = rateCalls(bundleCatalog(bundle), calls);
      expect(by).toEqual(want);
    });
  }

  it('the bundle\'s charge says what it took: debit, covered usage, increment and connect fee in the lineage', () => {
    const { res, rater } = rateCalls(bundleCatalog('size: 10min, rate: { connect-fee: "0.10", increment: 60s }'), [{ q: 90 * S, dest: '+31201234567' }]);
    const lin = JSON.parse(lineageText(res.charges[0]!));
    expect(lin).toMatchObject({ pool: 'nat', connectFee: '0.1000000000', debits: [{ pool: 'nat|acme|unlimited', before: 0, after: 120 * S, debit: 120 * S, covered: 90 * S, increment: 60 * S }] });
    expect(JSON.parse(rater.snapshot()).pools['nat|acme|unlimited']).toMatchObject({ size: 600 * S, used: 120 * S });
  });

  it('--explain says why the plan rate adds no connect fee and why a destination is kept out', () => {
    const cat = loadCatalogText(bundleCatalog('size: 60s, destinations: [NAT], rate: { connect-fee: "0.10", increment: 60s }'));
    const rater = new Rater(cat, undefined, { trace: true });
    const res = rater.rate([udr({ id: 'a', quantity: 90 * S, destination: '+31201234567' }), udr({ id: 'b', quantity: 10 * S, destination: '+44201234567' })]);
    const steps = res.charges.flatMap((c) => JSON.parse(lineageText(c)).steps as string[]);
    expect(steps).toContain('connect fee 0.0500000000 not added: the bundle charged its own connect fee for this call');
    expect(steps.some((s) => s.startsWith('pool nat (acme, unlimited): debit 60000 (whole increments of 60000) for 60000 of 90000') && s.includes('+ connect fee 0.1000000000 = 0.1000000000'))).toBe(true);
    expect(steps).toContain('pool nat: destination +44201234567 is not in its filter (NAT); not taken from the pool');
  });

  it('usage without a service is pooled only by share plans selecting its account', () => {
    const text = catalogWith([RATE], 'share-plans:\n  - { id: svc-only, bucket-class: voice, unit: ms, size: 10min, participating: { service-types: [mobile] } }\n');
    const { by } = rateCalls(text, [{ q: 60 * S, dest: '+31201234567' }]);
    expect(by).toEqual([[['r', 60 * S, '0.65']]]);
  });

  it('an unknown destination name in the filter is a catalog error with its position', () => {
    expect(() => loadCatalogText(bundleCatalog('size: 10min, destinations: [NOPE]'))).toThrow(/unknown destination "NOPE"/);
  });
});
