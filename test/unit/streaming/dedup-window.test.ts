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
