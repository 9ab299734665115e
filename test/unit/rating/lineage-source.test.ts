/**
 * Usage charges carry their lineage as data (steps/lineage.ts UsageLineage) and the JSON text is written on demand
 * (lineageText), in the compact form. That text expanded with the rate's terms (fullLineageText) must be byte for byte
 * what the object path writes (the traced rater serialises the full lineage object with JSON.stringify; without its
 * `steps` the same fields in the same order); the compact text must be the same on every call, the same written in
 * pieces into the store's writers as whole, and the charges must have the
 * same amounts, quantities and ids as a traced run: per-unit increments, window split (increment and cgrates), connect
 * fee, own rounding, max-cost cap, measures, partial records, and balance debits appended after the charge is made.
 */
import { describe, expect, it } from 'vitest';
import { type Charge, type LineageSource, lineageText, type TextSink, type Udr } from '../../../engine/core/types.ts';
import { ByteWriter } from '../../../engine/store/bytes.ts';
import { TsvWriter } from '../../../engine/store/tsv.ts';
import { NoteLineage } from '../../../engine/rating/note-lineage.ts';
import { loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { fullLineageText, UsageLineage } from '../../../engine/rating/steps/lineage.ts';
import { catalogWith, udr, untracedText, w2Catalog } from './helpers.ts';

const T = Date.parse('2025-03-03T07:40:00Z');
const S = 1000;

function compare(text: string, udrs: Udr[]): Charge[] {
  const plain = new Rater(loadCatalogText(text)).rate(udrs);
  const traced = new Rater(loadCatalogText(text), undefined, { trace: true }).rate(udrs);
  expect(plain.rejects).toEqual(traced.rejects);
  expect(plain.charges.map((c) => [c.id, c.amount, c.quantity, c.rateId, c.matched])).toEqual(traced.charges.map((c) => [c.id, c.amount, c.quantity, c.rateId, c.matched]));
  plain.charges.forEach((c, i) => {
    const t = lineageText(c);
    expect(fullLineageText(c)).toBe(untracedText(traced.charges[i]!));
    expect(lineageText(c)).toBe(t);
    if (typeof c.lineage !== 'string') expectWritten(c.lineage, t);
  });
  return plain.charges;
}

/** the source written in pieces into the store's writers = its text written whole */
function expectWritten(src: LineageSource, text: string): void {
  expect(src.writeTo).toBeDefined();
  const pieces: string[] = [];
  src.writeTo!({ text: (s) => pieces.push(s), int: (n) => pieces.push(`${n}`), piece: (p) => {
    // a piece's bytes are its text's UTF-8 bytes
    expect(Buffer.from(p.b).toString('utf8')).toBe(p.s);
    pieces.push(p.s);
  } });
  expect(pieces.join('')).toBe(text);
  const a = new ByteWriter(16);
  a.stringFrom(src as Required<LineageSource>);
  const b = new ByteWriter(16);
  b.string(text);
  expect(Buffer.from(a.take())).toEqual(Buffer.from(b.take()));
  const ta = new TsvWriter(16).strOf(src);
  const tb = new TsvWriter(16).str(text);
  expect(ta.toString()).toBe(tb.toString());
}

const calls = (n: number, step: number, extra: Partial<Udr> = {}) =>
  Array.from({ length: n }, (_, i) => udr({ id: `c${i}`, startTime: T + i * 97 * S, quantity: (i * step) % (40 * 60 * S), destination: '+31201234567', ...extra }));

describe('lineage written on demand = the lineage object as JSON', () => {
  it('window split across PK/OP, increment and cgrates modes', () => {
    for (const mode of ['increment', 'cgrates'] as const) {
      const charges = compare(w2Catalog(mode), calls(60, 41_700));
      expect(charges.filter((c) => c.lineage instanceof UsageLineage)).toHaveLength(60);
      const segs = charges.map((c) => (JSON.parse(lineageText(c)) as { segments?: unknown[] }).segments);
      expect(segs.some((g) => g !== undefined && g.length > 1)).toBe(true);
    }
  });

  it('per-unit increments, connect fee, a max-cost cap, a rounding of its own, an unwindowed rate (no segments)', () => {
    const text = catalogWith([
      '{ id: nl, usage-class: voice, prefixes: ["+31"], price: "0.6", per: 60s, increments: 30s/6s, connect-fee: "0.05", rounding: { mode: half-even, decimals: 3 }, max-cost: { amount: "4.5", strategy: free } }',
      '{ id: sms, usage-class: sms, unit: event, price: "0.07" }',
      '{ id: any, usage-class: voice, price: "0.99", per: 60s, increments: 60s/60s }',
    ]);
    const charges = compare(text, [...calls(40, 53_100), ...calls(10, 20_000, { destination: '+44' }).map((u, i) => ({ ...u, id: `x${i}` })),
      udr({ id: 's', usageClass: 'sms', unit: 'event', quantity: 3 })]);
    const l = charges.map((c) => JSON.parse(lineageText(c)) as { capped?: string; segments?: unknown[]; quantity: number });
    expect(l.some((x) => x.capped !== undefined)).toBe(true);
    // an unwindowed rate writes no segments; zero usage (no segment priced) an empty list, as before
    expect(l.every((x) => (x.quantity === 0 ? x.segments?.length === 0 : x.segments === undefined))).toBe(true);
  });

  it('measures, partial records and balance debits (appended after the charge is made)', () => {
    const text = catalogWith(['{ id: v, usage-class: voice, price: "0.6", per: 60s, increments: 60s/6s, connect-fee: "0.05" }',
      '{ id: m, usage-class: parking, unit: event, measure: minutes, price: "0.02" }'],
    'balances:\n  accounts: [{ account: acme, initial: "2.00" }]');
    const charges = compare(text, [
      udr({ id: 'p1', quantity: 30 * S, attrs: { sessionId: 's1', sequence: '0' } }),
      udr({ id: 'p2', quantity: 40 * S, startTime: Date.parse('2025-03-03T12:00:30Z'), attrs: { sessionId: 's1', sequence: '1', final: 'true' } }),
      udr({ id: 'm1', usageClass: 'parking', unit: 'event', quantity: 1, attrs: { minutes: '95' } }),
      ...calls(6, 200_000).map((u) => ({ ...u, destination: '' })),
    ]);
    const l = charges.map((c) => JSON.parse(lineageText(c)) as { session?: unknown; measure?: string; balance?: { status: string } });
    expect(l.some((x) => x.session !== undefined)).toBe(true);
    expect(l.some((x) => x.measure === 'minutes')).toBe(true);
    expect(l.filter((x) => x.balance).length).toBeGreaterThan(0);
    expect(l.some((x) => x.balance?.status === 'exhausted')).toBe(true);
  });
});

describe('lineage written in pieces into the store writers', () => {
  /** a source writing `parts` (strings, or numbers as int()) */
  const source = (parts: (string | number)[]): Required<LineageSource> => ({
    text: () => parts.join(''),
    writeTo: (out: TextSink) => { for (const p of parts) if (typeof p === 'number') out.int(p); else out.text(p); },
  });

  it('Native String: the length takes 1, 2 or 3 bytes (the text moves), after other values', () => {
    const long = 'x'.repeat(20_000);
    for (const parts of [[], ['{}'], ['{"a":', 12, ',"b":', -7, ',"c":', 0, ',"d":', 2 ** 53 - 1, '}'], ['é→', 'ü'.repeat(100), 'z'.repeat(30)], [long, 5, long], ['a\tb\n"c"\\']]) {
      const src = source(parts);
      const a = new ByteWriter(8);
      a.string('before');
      a.stringFrom(src);
      a.string('after');
      const b = new ByteWriter(8);
      b.string('before');
      b.string(src.text());
      b.string('after');
      expect(Buffer.from(a.take())).toEqual(Buffer.from(b.take()));
      // TSV: escaped piece by piece = escaped whole
      expect(new TsvWriter(8).strOf(src).str('z').toString()).toBe(new TsvWriter(8).str(src.text()).str('z').toString());
    }
  });

  it('a note lineage writes its text', () => {
    expectWritten(new NoteLineage('not billed yet: "first use"\t→'), new NoteLineage('not billed yet: "first use"\t→').text());
  });
});
