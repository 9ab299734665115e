import { type Charge, lineageText, type Udr } from '../../../engine/core/types.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { formatMoney } from '../../../engine/core/money.ts';
import { Rater } from '../../../engine/rating/rater.ts';

export function udr(p: Partial<Udr> & { id: string }): Udr {
  return { feed: 't', usageClass: 'voice', account: 'acme', service: '', ratingKey: 'acme', startTime: Date.parse('2025-03-03T12:00:00Z'), quantity: 0, unit: 'ms',
    origin: '', destination: '', attrs: {}, source: `t:${p.id}`, rulesVersion: 'r', ...p };
}

/** a traced charge's lineage without its steps, as JSON.stringify writes it (what the untraced text must equal) */
export function untracedText(c: Charge): string {
  const o = JSON.parse(lineageText(c)) as Record<string, unknown>;
  delete o.steps;
  return JSON.stringify(o);
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

/** the tariff of test/fixtures/cgrates-w2 as a native catalog (PEAK from 08:00, off-peak before; equal weights) */
export function w2Catalog(mode: 'increment' | 'cgrates', decimals = 5): string {
  const steps = (a: string, b: string, c: string) => `[{ from: "0", price: "${a}", increment: 60s }, { from: 60s, price: "${b}", increment: 1s }, { from: 600s, price: "${c}", increment: 1s }]`;
  return `kind: catalog
name: w2
currency: EUR
timezone: UTC
window-split: ${mode}
cgrates-rounding-decimals: "${decimals}"
windows: { OP: { from: "00:00" }, PK: { from: "08:00" } }
products:
  - id: p
    plans:
      - id: plan
        rates:
          - { id: pk, usage-class: voice, window: PK, weight: 10, per: 60s, connect-fee: "0.05", rounding: { mode: up, decimals: 4 }, steps: ${steps('0.1375', '0.11', '0.0825')} }
          - { id: op, usage-class: voice, window: OP, weight: 10, per: 60s, connect-fee: "0.05", rounding: { mode: up, decimals: 4 }, steps: ${steps('0.0688', '0.055', '0.0412')} }
accounts: [{ id: acme, plan: plan }]
`;
}
