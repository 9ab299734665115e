/**
 * The mediate role's persisted dedup window (engine/runtime/streaming/mediation-dedup.ts + Mediator.trackDedup /
 * restoreDedup): the ids a batch adds go to the changelog, a Mediator restored from the log drops the same resends as
 * the one that wrote it, and old entries are tombstoned only once the newer ones hold the whole window.
 */
import { describe, expect, it } from 'vitest';
import type { ConsumedMessage, ProducerRecord } from '../../../engine/runtime/kafka/port.ts';
import { Mediator } from '../../../engine/mediation/mediator.ts';
import { MediationDedupLog } from '../../../engine/runtime/streaming/mediation-dedup.ts';
import { PairingStateReader } from '../../../engine/runtime/streaming/pairing-state.ts';
import { compileText, CSV_RULES } from '../mediation/helpers.ts';

const rules = (window: number) => compileText(`${CSV_RULES}\ndedup: { window: ${window} }\n`);
const line = (id: string) => ({ feed: 'f', source: `raw/0/${id}`, text: `${id},V,ACME,60` });
const asConsumed = (r: ProducerRecord, offset: number): ConsumedMessage => ({
  offset: String(offset), key: r.key === null || r.key === undefined ? null : Buffer.from(r.key), value: r.value, headers: {}, timestamp: '0',
});

/** the compacted log as a reader sees it: the latest record per key, in the order of those latest records */
function compacted(log: ProducerRecord[]): ConsumedMessage[] {
  const last = new Map<string, number>();
  log.forEach((r, i) => last.set(String(r.key), i));
  return log.map((r, i) => [r, i] as const).filter(([r, i]) => last.get(String(r.key)) === i && r.value !== null).map(([r, i]) => asConsumed(r, i));
}

describe('mediation dedup window, persisted', () => {
  it('a Mediator restored from the changelog drops the resends the first one would have dropped', () => {
    const a = new Mediator(rules(1000));
    a.trackDedup = true;
    const log: ProducerRecord[] = [];
    const w = new MediationDedupLog('ms', 0);
    const b1 = a.mediate(['c1', 'c2', 'c2', 'c3'].map(line));
    expect(b1.dedupAdded).toEqual(['c1', 'c2', 'c3']);
    expect(b1.ignored.get('duplicate')).toBe(1);
    log.push(...w.append('0', b1.dedupAdded!, 1000));
    const b2 = a.mediate(['c4', 'c1'].map(line));
    expect(b2.dedupAdded).toEqual(['c4']);
    log.push(...w.append('4', b2.dedupAdded!, 1000));
    expect(log.map((r) => r.key)).toEqual(['dedup/0/0/0', 'dedup/0/4/0']);

    // a new owner: pairing-state keys and other partitions' keys in the same log are not its business
    const r = new MediationDedupLog('ms', 0);
    const pairing = new PairingStateReader(0);
    const msgs = [...compacted(log), asConsumed({ topic: 'ms', key: '0/call-1', value: null }, 99), asConsumed({ topic: 'ms', key: 'dedup/1/0/0', value: Buffer.from('["c9"]') }, 100)];
    for (const m of msgs) { r.add(m); pairing.add(m); }
    expect(pairing.pending).toBe(0);
    const b = new Mediator(rules(1000));
    b.trackDedup = true;
    b.restoreDedup(r.takeIds());
    expect(b.dedupSize).toBe(4);
    const res = b.mediate(['c1', 'c2', 'c3', 'c4', 'c5', 'c9'].map(line));
    expect(res.udrs.map((u) => u.id)).toEqual(['c5', 'c9']);
    expect(res.ignored.get('duplicate')).toBe(4);
    expect(res.dedupAdded).toEqual(['c5', 'c9']);
    expect(r.ids).toBe(4);
  });

  it('tombstones the oldest entries once the newer ones hold the window; a restore keeps exactly the live window', () => {
    const window = 10;
    const live = new Mediator(rules(window));
    live.trackDedup = true;
    const w = new MediationDedupLog('ms', 3);
    const log: ProducerRecord[] = [];
    let n = 0;
    for (let b = 0; b < 8; b++) {
      const ids = Array.from({ length: 4 }, () => `x${n++}`);
      log.push(...w.append(String(b * 4), live.mediate(ids.map(line)).dedupAdded!, window));
      expect(w.ids).toBeGreaterThanOrEqual(Math.min(n, window));
      expect(w.ids).toBeLessThan(window + 4);
    }
    expect(log.filter((r) => r.value === null).map((r) => r.key)).toEqual(['dedup/3/0/0', 'dedup/3/4/0', 'dedup/3/8/0', 'dedup/3/12/0', 'dedup/3/16/0']);
    const r = new MediationDedupLog('ms', 3);
    for (const m of compacted(log)) r.add(m);
    const restored = new Mediator(rules(window));
    restored.restoreDedup(r.takeIds());
    expect(restored.dedupSize).toBe(window);
    // the same ids are still known / already forgotten in both
    const probe = Array.from({ length: n }, (_, i) => `x${i}`).map(line);
    expect(restored.mediate(probe).udrs.map((u) => u.id)).toEqual(live.mediate(probe).udrs.map((u) => u.id));
  });

  it('a batch of many ids is written in chunks (records stay small)', () => {
    const w = new MediationDedupLog('ms', 0);
    const ids = Array.from({ length: 12_001 }, (_, i) => `id-${i}`);
    const recs = w.append('42', ids, 1_000_000);
    expect(recs.map((r) => r.key)).toEqual(['dedup/0/42/0', 'dedup/0/42/1', 'dedup/0/42/2']);
    const r = new MediationDedupLog('ms', 0);
    recs.forEach((rec, i) => r.add(asConsumed(rec, i)));
    expect(r.takeIds()).toEqual(ids);
  });

  it('without trackDedup a batch reports nothing (run, dry-run)', () => {
    const m = new Mediator(rules(10));
    expect(m.mediate(['a', 'a'].map(line)).dedupAdded).toBeUndefined();
  });
});
