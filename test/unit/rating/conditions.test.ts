import { describe, expect, it } from 'vitest';
import { catalogWith, rateAll, udr } from './helpers.ts';
import { lineageText } from '../../../engine/core/types.ts';

const extra = `destinations:\n  NL: ["+31"]\n  NL_MOB: ["+316"]\n  NL_MOB_X: ["+3161"]\nwindows:\n  peak: { days: [mon, tue, wed, thu, fri], from: "08:00", to: "19:00" }\n  weekend: { days: [sat, sun] }\non-net:\n  prefixes: ["+3161"]`;

describe('conditions (table)', () => {
  it('longest prefix wins; *any is the fallback', () => {
    const rates = [
      '{ id: nl, usage-class: voice, destinations: [NL], price: "0.05", per: 60s, increments: 60s/60s }',
      '{ id: mob, usage-class: voice, destinations: [NL_MOB], price: "0.10", per: 60s, increments: 60s/60s }',
      '{ id: any, usage-class: voice, price: "1.00", per: 60s, increments: 60s/60s }',
    ];
    const { res } = rateAll(catalogWith(rates, extra), ['+31201', '+31655', '+4420'].map((d, i) => udr({ id: `u${i}`, destination: d, quantity: 60_000 })));
    expect(res.charges.map((c) => c.rateId)).toEqual(['nl', 'mob', 'any']);
  });
  it('time-of-day / day-of-week in the catalog zone; weight; a call crossing a boundary is split', () => {
    const tz = extra.replace('', '');
    const rates = [
      '{ id: peak, usage-class: voice, window: peak, weight: 10, price: "0.60", per: 60s, increments: 60s/60s }',
      '{ id: off, usage-class: voice, price: "0.30", per: 60s, increments: 60s/60s }',
      '{ id: wknd, usage-class: voice, window: weekend, weight: 20, price: "0.06", per: 60s, increments: 60s/60s }',
    ];
    const text = catalogWith(rates, tz).replace('timezone: UTC', 'timezone: Europe/Amsterdam');
    const { res } = rateAll(text, [
      udr({ id: 'peak', startTime: Date.parse('2025-03-03T09:00:00Z'), quantity: 120_000 }), // Mon 10:00 CET
      udr({ id: 'off', startTime: Date.parse('2025-03-03T19:00:00Z'), quantity: 120_000 }), // Mon 20:00
      udr({ id: 'wknd', startTime: Date.parse('2025-03-08T09:00:00Z'), quantity: 120_000 }), // Sat
      udr({ id: 'cross', startTime: Date.parse('2025-03-03T17:58:30Z'), quantity: 180_000 }), // 18:58:30 → crosses 19:00
    ]);
    const by = Object.fromEntries(res.charges.map((c) => [c.udrId, c]));
    expect(by.peak!.amount).toBe(12_000_000_000n);
    expect(by.off!.amount).toBe(6_000_000_000n);
    expect(by.wknd!.amount).toBe(1_200_000_000n);
    // increments of 60 s from the start: [0,60) and [60,120) start in peak (before 19:00 at +90 s), [120,180) off-peak
    expect(by.cross!.amount).toBe(15_000_000_000n);
    expect(JSON.parse(lineageText(by.cross!)).segments.map((s: { rate: string }) => s.rate)).toEqual(['peak', 'off']);
  });
  it('on-net / off-net, country, location, custom condition', () => {
    const rates = [
      '{ id: on, usage-class: voice, on-net: true, price: "0", per: 60s }',
      '{ id: roam, usage-class: voice, countries: [BE, DE], price: "0.50", per: 60s }',
      '{ id: cell, usage-class: voice, locations: [cell-42], price: "0.02", per: 60s }',
      '{ id: vip, usage-class: voice, when: "attrs.tier == \'vip\'", price: "0.01", per: 60s }',
      '{ id: off, usage-class: voice, on-net: false, price: "0.20", per: 60s }',
    ];
    const { res } = rateAll(catalogWith(rates, extra), [
      udr({ id: 'a', destination: '+31612', quantity: 60_000 }),
      udr({ id: 'b', destination: '+31655', quantity: 60_000, attrs: { country: 'BE' } }),
      udr({ id: 'c', destination: '+31655', quantity: 60_000, attrs: { location: 'cell-42' } }),
      udr({ id: 'd', destination: '+31655', quantity: 60_000, attrs: { tier: 'vip' } }),
      udr({ id: 'e', destination: '+31655', quantity: 60_000 }),
      udr({ id: 'f', destination: '+31655', quantity: 60_000, attrs: { onNet: 'true' } }),
    ]);
    expect(res.charges.map((c) => c.rateId)).toEqual(['on', 'roam', 'cell', 'vip', 'off', 'on']);
  });
  it('unknown account and no rate are rejects, never exceptions', () => {
    const { res } = rateAll(catalogWith(['{ id: r, usage-class: voice, price: "1", per: 60s }']), [
      udr({ id: 'x', account: 'nobody', quantity: 1 }), udr({ id: 'y', usageClass: 'sms', quantity: 1 }),
    ]);
    expect(res.rejects.map((r) => r.reason)).toEqual(['UNKNOWN_ACCOUNT', 'NO_RATE']);
  });
  it('lint: every problem with file:line:col', async () => {
    const { loadCatalogText } = await import('../../../engine/rating/catalog.ts');
    const bad = catalogWith(['{ id: r, usage-class: voice, window: nope, price: "1", per: 60s }', '{ id: s, usage-class: voice, destinations: [XX], price: "x" }']);
    expect(() => loadCatalogText(bad, 'bad.yaml')).toThrowError(/bad\.yaml:\d+:\d+: /);
  });
});
