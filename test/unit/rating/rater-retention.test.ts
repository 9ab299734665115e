/**
 * A Rater keeps nothing of a rated batch once rate() returned (the streaming slots idle between batches: four slots
 * that each kept their last batch held ≈ 40k charges, their lineage and strings through a 2M serve run — a heap
 * snapshot found them on the Rater's measure context). Checked with a real garbage collection: the batch's charges
 * and UDRs are collectable once the caller drops them.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { catalogWith, udr } from './helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** rates a batch and returns weak references to its charges and UDRs (the result itself is dropped here) */
function rateAndForget(r: Rater, n: number, tag: string): { charges: WeakRef<object>[]; udrs: WeakRef<object>[] } {
  const udrs = Array.from({ length: n }, (_, i) => udr({ id: `${tag}-${i}`, destination: '+31612345678', quantity: 65_000 + i }));
  const res = r.rate(udrs);
  expect(res.charges.length).toBe(n);
  return { charges: res.charges.map((c) => new WeakRef(c)), udrs: udrs.map((u) => new WeakRef(u)) };
}

describe('Rater retention', () => {
  it('keeps no charge of a batch (nor its UDRs but the last) after rate() returned', async () => {
    const r = new Rater(loadCatalogText(catalogWith(['{ id: r, usage-class: voice, price: "0.02", per: 60s }'])));
    const refs = rateAndForget(r, 500, 'a');
    for (let i = 0; i < 3; i++) {
      await new Promise((res) => setImmediate(res));
      gc();
    }
    const live = (xs: WeakRef<object>[]) => xs.filter((w) => w.deref() !== undefined).length;
    // every charge is gone; of the UDRs at most the last one rated stays (the measure context's current UDR, one object
    // per Rater: not a batch)
    expect(live(refs.charges)).toBe(0);
    expect(live(refs.udrs)).toBeLessThanOrEqual(1);
    // and the Rater still rates (its context got a fresh list)
    expect(rateAndForget(r, 3, 'b').charges.length).toBe(3);
  });
});
