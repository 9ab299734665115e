import type { Udr } from '../../../engine/core/types.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { formatMoney } from '../../../engine/core/money.ts';
import { Rater } from '../../../engine/rating/rater.ts';

export function udr(p: Partial<Udr> & { id: string }): Udr {
  return { feed: 't', usageClass: 'voice', account: 'acme', service: '', ratingKey: 'acme', startTime: Date.parse('2025-03-03T12:00:00Z'), quantity: 0, unit: 'ms',
    origin: '', destination: '', attrs: {}, source: `t:${p.id}`, rulesVersion: 'r', ...p };
}

/** a catalog with one plan whose rates are given as YAML flow lines */
export function catalogWith(rates: string[], extra = ''): string {
  return `kind: catalog\nname: t\ncurrency: EUR\ntimezone: UTC\n${extra}\nproducts:\n  - id: p\n    plans:\n      - id: plan\n        rates:\n${rates.map((r) => `          - ${r}`).join('\n')}\naccounts:\n  - { id: acme, plan: plan }\n`;
}

export function rateAll(text: string, udrs: Udr[]) {
  const r = new Rater(loadCatalogText(text));
  const res = r.rate(udrs);
  return { res, amounts: res.charges.map((c) => formatMoney(c.amount)), rater: r };
}
