/**
 * Pairing state survives a restart: a Mediator restored from `snapshotPairing()` — or from the per-batch
 * `pairingChanges` / `pairingClock` folded in order, which is what the streaming changelog holds — continues exactly
 * like one uninterrupted run (same UDRs, rejects, ignored counts, pending halves, state), at any split point.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../engine/core/types.ts';
import { compileMediationFile, type CompiledMediation } from '../../../engine/mediation/compiler.ts';
import { Mediator, type MediationBatchResult, type PairingEntryState, type PairingSnapshot } from '../../../engine/mediation/mediator.ts';
import { compileText } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const OPENSIPS = join(ROOT, 'rules/cgrates/opensips-flatstore.mediation.yaml');

/** the OpenSIPS rules with a short window and few pending entries, so expiry and eviction happen in short runs */
function tightRules(): CompiledMediation {
  const text = readFileSync(OPENSIPS, 'utf8').replace('window: 24h', 'window: 100s\n  max-pending: 3');
  expect(text).toContain('max-pending: 3');
  return compileText(text);
}

const line = (method: string, call: number, code: number, time: number | '') =>
  `${method}|f${call}|t${call}|call-${call}@10.0.0.1|${code}|x|${time}|*prepaid|200${call}|300${call}||${call}:1`;

interface Outcome {
  udrs: unknown[];
  rejects: unknown[];
  ignored: Record<string, number>;
  pending: number[];
}

function collect(o: Outcome, r: MediationBatchResult): void {
  o.udrs.push(...r.udrs);
  o.rejects.push(...r.rejects);
  for (const [k, n] of r.ignored) o.ignored[k] = (o.ignored[k] ?? 0) + n;
  o.pending.push(r.pending);
}

/** what a changelog reader keeps: the latest value per key, the latest clock */
class Changelog {
  entries = new Map<string, PairingEntryState | null>();
  clock: number | null = null;
  apply(r: MediationBatchResult): void {
    for (const c of r.pairingChanges) this.entries.set(c.key, c.value === null ? null : JSON.parse(JSON.stringify(c.value)));
    if (r.pairingClock !== undefined) this.clock = r.pairingClock;
  }
  snapshot(): PairingSnapshot {
    // compaction drops tombstoned keys and keeps each key's last write; order is not relied upon (seq is)
    const entries = [...this.entries].filter(([, v]) => v !== null).reverse().map(([key, value]) => ({ key, value }));
    return { clock: this.clock, entries };
  }
}

function batchesOf(records: RawRecord[], sizes: number[]): RawRecord[][] {
  const out: RawRecord[][] = [];
  let i = 0;
  for (let b = 0; i < records.length; b++) {
    const n = Math.max(1, sizes[b % sizes.length]!);
    out.push(records.slice(i, i + n));
    i += n;
  }
  return out;
}

/** one run; `restartAfter` batches, the state is carried over by `via` into a brand-new Mediator */
function run(rules: () => CompiledMediation, batches: RawRecord[][], restartAfter: number, via: 'none' | 'snapshot' | 'changelog'): { o: Outcome; final: PairingSnapshot } {
  const o: Outcome = { udrs: [], rejects: [], ignored: {}, pending: [] };
  let m = new Mediator(rules());
  const log = new Changelog();
  batches.forEach((b, i) => {
    if (i === restartAfter && via !== 'none') {
      const snap: PairingSnapshot = via === 'snapshot' ? JSON.parse(JSON.stringify(m.snapshotPairing())) : log.snapshot();
      m = new Mediator(rules());
      m.restorePairing(snap);
    }
    const r = m.mediate(b);
    log.apply(r);
    collect(o, r);
  });
  // the entries in their order (seq numbers only order them: a restored Mediator renumbers from the oldest pending)
  const snap = m.snapshotPairing();
  return { o, final: { clock: snap.clock, entries: snap.entries.map((e) => ({ key: e.key, value: e.value && { ...e.value, seq: 0 } })) } };
}

const recordArb = fc.record({
  method: fc.constantFrom('INVITE', 'INVITE', 'BYE', 'BYE', 'ACK', 'OPTIONS'),
  call: fc.integer({ min: 0, max: 5 }),
  code: fc.constantFrom(200, 200, 200, 487),
  dt: fc.integer({ min: -30, max: 60 }),
  noTime: fc.boolean().map((b) => b && Math.random() < 0.3),
});

describe('Mediator pairing snapshot / restore', () => {
  it('an INVITE held before a restart pairs with its BYE after it: one UDR, no reject', () => {
    const rules = compileMediationFile(OPENSIPS);
    const a = new Mediator(rules);
    const r1 = a.mediate([{ feed: 'opensips', source: 'raw/0/1', text: line('INVITE', 1, 200, 1700000000) }]);
    expect(r1.udrs).toHaveLength(0);
    expect(r1.pending).toBe(1);
    expect(r1.pairingChanges.map((c) => c.key)).toEqual(['call-1@10.0.0.1|f1|t1']);
    expect(r1.pairingClock).toBe(1700000000000);
    const b = new Mediator(rules);
    b.restorePairing(JSON.parse(JSON.stringify(a.snapshotPairing())));
    expect(b.pending).toBe(1);
    const r2 = b.mediate([{ feed: 'opensips', source: 'raw/0/2', text: line('BYE', 1, 200, 1700000045) }]);
    expect(r2.rejects).toEqual([]);
    expect(r2.udrs).toHaveLength(1);
    expect(r2.udrs[0]).toMatchObject({ quantity: 45_000, startTime: 1700000000000, source: 'raw/0/1', attrs: { stopSource: 'raw/0/2' } });
    expect(r2.pairingChanges).toEqual([{ key: 'call-1@10.0.0.1|f1|t1', value: null }]); // paired: a tombstone
    expect(b.pending).toBe(0);
    expect(b.flush().rejects).toEqual([]);
  });

  it('a held half that no longer parses becomes a PARSE_ERROR reject with the next batch (and its key closes)', () => {
    const rules = compileMediationFile(OPENSIPS);
    const m = new Mediator(rules);
    const held = { feed: 'opensips', source: 'raw/0/7', text: 'not|enough|fields' };
    m.restorePairing({ clock: null, entries: [{ key: 'k', value: { seq: 0, time: null, held: [held], start: 0, stop: -1, update: -1 } }] });
    expect(m.pending).toBe(0);
    const r = m.mediate([]);
    expect(r.rejects).toMatchObject([{ reason: 'PARSE_ERROR', source: 'raw/0/7' }]);
    expect(r.pairingChanges).toEqual([{ key: 'k', value: null }]);
  });

  it('split anywhere, restored from the snapshot or from the folded changes = one uninterrupted run', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.boolean(),
        (recs, sizes, cut, tight) => {
          let t = 1_700_000_000;
          const records: RawRecord[] = recs.map((r, i) => {
            t += r.dt;
            return { feed: 'opensips', source: `raw/0/${i}`, text: line(r.method, r.call, r.code, r.noTime ? '' : t) };
          });
          const rules = tight ? tightRules() : compileMediationFile(OPENSIPS);
          const batches = batchesOf(records, sizes);
          const at = cut % (batches.length + 1);
          const whole = run(() => rules, batches, -1, 'none');
          for (const via of ['snapshot', 'changelog'] as const) {
            const split = run(() => rules, batches, at, via);
            expect(split.o).toEqual(whole.o);
            expect(split.final).toEqual(whole.final);
          }
          // conservation over the whole run: in = udrs + ignored + rejects + pending
          const ignored = Object.values(whole.o.ignored).reduce((a, b) => a + b, 0);
          expect(whole.o.udrs.length + ignored + whole.o.rejects.length + whole.o.pending.at(-1)!).toBe(records.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
