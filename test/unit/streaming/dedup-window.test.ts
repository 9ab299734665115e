/**
 * The rate role's dedup window of rated ids (engine/runtime/streaming/dedup-window.ts): the id hash is the one the
 * changelog already holds (first 11 base64url chars of the id's SHA-1), so a window restored from entries written by
 * an earlier version still recognises those ids; a restored window drops what the writing one dropped.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEDUP_PREFIX, DedupWindow, idHash } from '../../../engine/runtime/streaming/dedup-window.ts';

const ids = ['udr-1', 'event\u0000svc-9', 'dä€😀-long-' + 'x'.repeat(300), ''];

describe('rate dedup window', () => {
  it('hashes an id as the changelog stores it (SHA-1, base64url, 11 chars)', () => {
    for (const id of ids) expect(idHash(id)).toBe(createHash('sha1').update(id).digest('base64url').slice(0, 11));
  });

  it('a window restored from the changelog records knows the ids the writer added, and forgets evicted entries', () => {
    const w = new DedupWindow(4);
    const log = new Map<string, string | null>();
    for (const [k, batch] of [['0', ['a', 'b']], ['2', ['c', 'd']], ['4', ['e']]] as const) {
      for (const r of w.add(`${DEDUP_PREFIX}${k}`, batch.map(idHash))) log.set(r.key, r.value);
    }
    const r = new DedupWindow(4);
    for (const [k, v] of log) r.restore(k, v);
    for (const id of ['c', 'd', 'e']) expect(r.has(idHash(id))).toBe(true);
    for (const id of ['a', 'b', 'f']) expect(r.has(idHash(id))).toBe(false);
    expect(r.ids).toBe(w.ids);
  });
});

/** the reference: what the window means — the entries in insertion order; an id is known while an entry holds it */
class SetModel {
  readonly entries = new Map<string, string[]>();
  constructor(readonly size: number) {}
  get ids() {
    let n = 0;
    for (const hs of this.entries.values()) n += hs.length;
    return n;
  }
  has(h: string) {
    for (const hs of this.entries.values()) if (hs.includes(h)) return true;
    return false;
  }
  restore(key: string, value: string | null) {
    this.entries.delete(key);
    if (value === null || value === '') return;
    const hs: string[] = [];
    for (let i = 0; i + 11 <= value.length; i += 11) hs.push(value.slice(i, i + 11));
    this.entries.set(key, hs);
  }
  add(key: string, hashes: string[]) {
    if (this.size === 0 || hashes.length === 0) return [];
    const out: { key: string; value: string | null }[] = [{ key, value: hashes.join('') }];
    this.restore(key, hashes.join(''));
    while (this.ids > this.size && this.entries.size > 1) {
      const [oldest] = this.entries.keys();
      this.entries.delete(oldest!);
      out.push({ key: oldest!, value: null });
    }
    return out;
  }
}

describe('rate dedup window: typed-array ring against a Set-based model', () => {
  it('random adds, restores (replacing, tombstones) and lookups agree, through ring wrap-around, repacks and growth', () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pool = Array.from({ length: 300 }, (_, i) => idHash(`id-${i}`));
    for (let round = 0; round < 120; round++) {
      const size = Math.floor(rnd() * 60);
      const w = new DedupWindow(size, Math.floor(rnd() * 8));
      const m = new SetModel(size);
      let next = 0;
      for (let op = 0; op < 200; op++) {
        const r = rnd();
        const batch = Array.from({ length: Math.floor(rnd() * 12) }, () => pool[Math.floor(rnd() * pool.length)]!);
        if (r < 0.6) {
          const key = `${DEDUP_PREFIX}${next++}`;
          expect(w.add(key, batch)).toEqual(m.add(key, batch));
        } else {
          // restore: a new key, an existing one replaced, or a tombstone
          const keys = [...m.entries.keys()];
          const key = keys.length && rnd() < 0.5 ? keys[Math.floor(rnd() * keys.length)]! : `${DEDUP_PREFIX}${next++}`;
          const value = rnd() < 0.3 ? null : batch.join('');
          w.restore(key, value);
          m.restore(key, value);
        }
        expect(w.ids).toBe(m.ids);
        const probe = Array.from({ length: 40 }, () => pool[Math.floor(rnd() * pool.length)]!);
        const got = probe.map((h) => w.has(h));
        const want = probe.map((h) => m.has(h));
        if (got.join() !== want.join()) expect(got).toEqual(want);
      }
      for (const h of pool) expect(w.has(h)).toBe(m.has(h));
    }
  });

  it('is sized once for the window plus a batch', () => {
    expect(new DedupWindow(200_000).capacity).toBe(262_144);
    expect(new DedupWindow(0).capacity).toBe(16);
  });
});

describe('rate dedup window: admitId / commit / discard (the rating path)', () => {
  /** the previous per-UDR path: idHash, has || batch Set, then add(key, hashes) */
  class OldPath {
    readonly w: DedupWindow;
    seen = new Set<string>();
    hashes: string[] = [];
    constructor(size: number, slack: number) { this.w = new DedupWindow(size, slack); }
    admitId(prefix: string, id: string) {
      const h = idHash(prefix + id);
      if (this.w.has(h) || this.seen.has(h)) return false;
      this.seen.add(h);
      this.hashes.push(h);
      return true;
    }
    commit(key: string) {
      const out = this.w.add(key, this.hashes);
      this.discard();
      return out;
    }
    discard() { this.seen = new Set(); this.hashes = []; }
  }

  it('admits, commits and writes the changelog byte for byte as the previous path (ASCII, non-ASCII and long ids)', () => {
    let seed = 777;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pool = [
      ...Array.from({ length: 200 }, (_, i) => `cdr-${i}`), ...Array.from({ length: 20 }, (_, i) => `dä€😀-${i}`), ...Array.from({ length: 20 }, (_, i) => `${'y'.repeat(50 + i)}`),
      ...Array.from({ length: 10 }, (_, i) => `${'z'.repeat(120)}${i}`), '',
    ];
    for (let round = 0; round < 80; round++) {
      const size = Math.floor(rnd() * 80);
      const slack = Math.floor(rnd() * 8);
      const w = new DedupWindow(size, slack);
      const old = new OldPath(size, slack);
      const log = new Map<string, string | null>();
      let next = 0;
      for (let op = 0; op < 150; op++) {
        const n = Math.floor(rnd() * 20);
        for (let i = 0; i < n; i++) {
          const id = pool[Math.floor(rnd() * pool.length)]!;
          const prefix = rnd() < 0.2 ? 'event\u0000' : '';
          expect(w.admitId(prefix, id)).toBe(old.admitId(prefix, id));
          if (rnd() < 0.05) expect(w.admitId(prefix, id)).toBe(false); // admitted a moment ago: a duplicate within the batch
        }
        if (rnd() < 0.15) {
          w.discard();
          old.discard();
        } else {
          const key = `${DEDUP_PREFIX}${rnd() < 0.1 && next ? Math.floor(rnd() * next) : next++}`;
          const got = w.commit(key).map((r) => ({ key: r.key, value: r.value === null ? null : r.value.toString('latin1') }));
          const want = old.commit(key);
          expect(got).toEqual(want);
          for (const r of got) log.set(r.key, r.value);
        }
        expect(w.ids).toBe(old.w.ids);
      }
      // a window restored from what the new path wrote knows what the old one knows
      const r = new DedupWindow(size, slack);
      for (const [k, v] of log) r.restore(k, v);
      for (const id of pool) for (const prefix of ['', 'event\u0000']) expect(r.has(idHash(prefix + id))).toBe(old.w.has(idHash(prefix + id)));
      expect(r.ids).toBe(old.w.ids);
    }
  });

  it('a discarded batch leaves nothing behind; a duplicate inside the pending batch is caught', () => {
    const w = new DedupWindow(100, 0);
    expect(w.admitId('', 'a')).toBe(true);
    expect(w.admitId('', 'a')).toBe(false);
    w.discard();
    expect(w.has(idHash('a'))).toBe(false);
    expect(w.commit(`${DEDUP_PREFIX}0`)).toEqual([]);
    // more pending ids than the ring holds: it grows, the pending batch moves along
    for (let i = 0; i < 1000; i++) expect(w.admitId('', `id-${i}`)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(w.admitId('', `id-${i}`)).toBe(false);
    const [rec] = w.commit(`${DEDUP_PREFIX}1`);
    expect(rec!.value!.toString('latin1')).toBe(Array.from({ length: 1000 }, (_, i) => idHash(`id-${i}`)).join(''));
    expect(w.ids).toBe(1000);
  });

  it('a window of size 0 dedups within the batch only and writes nothing', () => {
    const w = new DedupWindow(0);
    expect(w.admitId('', 'a')).toBe(true);
    expect(w.admitId('', 'a')).toBe(false);
    expect(w.commit(`${DEDUP_PREFIX}0`)).toEqual([]);
    expect(w.admitId('', 'a')).toBe(true);
  });
});
