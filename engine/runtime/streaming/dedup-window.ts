/**
 * Per-partition window of recently rated record ids (UDRs and service events), so a record that reaches rating twice
 * — re-sent by a switch, or re-mediated after a restart lost the mediator's in-memory dedup — is rated once.
 * Ids are kept as 64-bit hashes (11 base64url chars); the window persists to the partition's changelog as one entry
 * per batch (`__dedup/<first offset>`) and evicts whole entries (tombstones) once it holds more than `size` ids.
 */
import { hash } from 'node:crypto';

export const DEDUP_PREFIX = '__dedup/';
const H = 11;

/** the first 11 base64url chars of the id's SHA-1 (one-shot crypto.hash: no Hash object and digest Buffer per id) */
export function idHash(id: string): string {
  return hash('sha1', id, 'base64url').slice(0, H);
}

export class DedupWindow {
  private readonly seen = new Set<string>();
  /** entries in insertion order: key → hashes */
  private readonly entries = new Map<string, string[]>();
  private count = 0;

  constructor(readonly size: number) {}

  has(h: string): boolean {
    return this.seen.has(h);
  }

  /** restore one changelog entry (null = tombstone) */
  restore(key: string, value: string | null): void {
    const old = this.entries.get(key);
    if (old) {
      for (const h of old) this.seen.delete(h);
      this.count -= old.length;
      this.entries.delete(key);
    }
    if (value === null || value === '') return;
    const hs: string[] = [];
    for (let i = 0; i + H <= value.length; i += H) hs.push(value.slice(i, i + H));
    this.entries.set(key, hs);
    for (const h of hs) this.seen.add(h);
    this.count += hs.length;
  }

  /**
   * Adds a batch's hashes under `key`; returns the changelog records to write: the new entry and tombstones for
   * evicted ones.
   */
  add(key: string, hashes: string[]): { key: string; value: string | null }[] {
    if (this.size === 0 || hashes.length === 0) return [];
    const out: { key: string; value: string | null }[] = [];
    this.restore(key, hashes.join(''));
    out.push({ key, value: hashes.join('') });
    while (this.count > this.size && this.entries.size > 1) {
      const [oldest] = this.entries.keys();
      this.restore(oldest!, null);
      out.push({ key: oldest!, value: null });
    }
    return out;
  }

  get ids(): number {
    return this.count;
  }
}
