/**
 * A pool charge's lineage is written as JSON text from its pieces (pool-allocation.ts: no object per charge): it must
 * be byte for byte what JSON.stringify writes for the lineage object of the traced path (same fields, same order,
 * without `steps`; a usage charge's compact lineage expanded with its rate's terms): a monthly pool moved to the next period, a bundle with its own rate (connect fee, whole
 * increments: `covered` / `increment`), ids with every punctuation an id may have, and the `balance` part a debit appends after.
 */
import { describe, expect, it } from 'vitest';
import { type Charge, lineageText, type Udr } from '../../../engine/core/types.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { fullLineageText } from '../../../engine/rating/steps/lineage.ts';
import { catalogWith, udr, untracedText } from './helpers.ts';

const S = 1000;
const RATE = '{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 1s/1s, connect-fee: "0.05" }';
const ODD = 'b2b:co@x+1';

function compare(text: string, udrs: Udr[]): Charge[] {
  const plain = new Rater(loadCatalogText(text)).rate(udrs);
  const traced = new Rater(loadCatalogText(text), undefined, { trace: true }).rate(udrs);
  expect(plain.rejects).toEqual([]);
  expect(plain.charges.map((c) => [c.id, c.amount, c.quantity, c.rateId, c.matched])).toEqual(traced.charges.map((c) => [c.id, c.amount, c.quantity, c.rateId, c.matched]));
  plain.charges.forEach((c, i) => expect(fullLineageText(c)).toBe(untracedText(traced.charges[i]!)));
  expect(plain.stateChanges).toEqual(traced.stateChanges);
  return plain.charges;
}

/** 14 calls per account, 5 days apart (three calendar months), growing */
const calls = (account: string) =>
  Array.from({ length: 14 }, (_, i) => udr({ id: `${account}-${i}`, account, ratingKey: account, quantity: (i * 37 + 50) * S, destination: '+31201234567', startTime: Date.parse('2025-03-03T12:00:00Z') + i * 5 * 86_400_000 }));

function catalog(sharePlan: string, balances = ''): string {
  const accounts = `  - { id: ${JSON.stringify(ODD)}, plan: plan }\n`;
  return catalogWith([RATE], `share-plans:\n  - { id: p.1, bucket-class: voice, unit: ms, participating: { accounts: [acme, ${JSON.stringify(ODD)}] }, ${sharePlan} }\n${balances}`) + accounts;
}

describe('pool charge lineage text = the lineage object as JSON', () => {
  const udrs = [...calls('acme'), ...calls(ODD)];
  it('a monthly pool (each month a new period of the same slot)', () => {
    const charges = compare(catalog('size: 10min'), udrs);
    const pooled = charges.filter((c) => c.rateId.startsWith('pool:'));
    expect(new Set(pooled.map((c) => (JSON.parse(lineageText(c)) as { debits: { period: string }[] }).debits[0]!.period)).size).toBe(3);
    expect(pooled.map((c) => c.account)).toContain(ODD);
    // kept as a source (pool-allocation.ts PoolDebit) that writes the text on demand
    expect(typeof pooled[0]!.lineage).toBe('object');
  });

  it('a bundle with its own rate: connect fee, whole increments', () => {
    const charges = compare(catalog('size: 10min, frequency: unlimited, rate: { connect-fee: "0.10", increment: 60s }'), udrs);
    const l = charges.filter((c) => c.rateId.startsWith('pool:')).map((c) => JSON.parse(lineageText(c)) as { connectFee?: string; debits: { increment?: number }[] });
    expect(l.length).toBeGreaterThan(1);
    expect(l.map((x) => [x.connectFee !== undefined, x.debits[0]!.increment])).toEqual(l.map(() => [true, 60 * S]));
  });

  it('with a money balance: the balance part appended to the text', () => {
    const charges = compare(catalog('size: 10min, frequency: unlimited, rate: { connect-fee: "0.10", increment: 60s }', 'balances:\n  accounts: [{ account: acme, initial: "1.00", thresholds: [] }]\n'), udrs);
    expect(charges.some((c) => c.rateId.startsWith('pool:') && (JSON.parse(lineageText(c)) as { balance?: unknown }).balance !== undefined)).toBe(true);
  });
});
