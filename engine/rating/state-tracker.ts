/**
 * Which keys of the rating state a batch changed, without a string per change. The hot keys (services, bill-on-first-
 * use counters, pools) are interned once to dense integer ids (a Map per area at the edge; the caller keeps the id on
 * its service view or pool slot), marked dirty in a typed array by batch number, and listed in first-changed order.
 * Other keys (tiers, contracts, sessions, balances: rare, or unbounded like session keys) are tracked by their
 * changelog text `area/key` in a per-batch set. The batch's changelog is written from that list: one record per
 * changed key, in the order the keys were first changed, with the value after the batch (null = deleted).
 */
import { cloneValue, type RatingState, type StateArea, type StateChange } from './state.ts';
import { StateChangeRecord } from './state-values.ts';

/** the areas whose keys get integer ids (bounded: one per service / pool of the state) */
export type IndexedArea = 'services' | 'firstUse' | 'pools';

export class StateTracker {
  private readonly idsOf: Record<IndexedArea, Map<string, number>> = { services: new Map(), firstUse: new Map(), pools: new Map() };
  private readonly areaOf: IndexedArea[] = [];
  private readonly keyOf: string[] = [];
  /** each id's changelog key `area/key`, written the first time the id is collected (not once per batch) */
  private readonly textOf: (string | undefined)[] = [];
  /** each id's value object as of its last touch (undefined: read it from the state) */
  private valueOf: (object | undefined)[] = [];
  /** batch number that last marked each id */
  private marks = new Uint32Array(4096);
  private batch = 1;
  /** ids (numbers) and changelog keys (strings) in first-changed order */
  private dirty: (number | string)[] = [];
  private readonly texts = new Set<string>();

  /** the dense id of `area/key` (interned on first use; keep it: the look-up is the cost this class avoids) */
  id(area: IndexedArea, key: string): number {
    const m = this.idsOf[area];
    let i = m.get(key);
    if (i === undefined) {
      i = this.keyOf.length;
      m.set(key, i);
      this.areaOf.push(area);
      this.keyOf.push(key);
      this.textOf.push(undefined);
      this.valueOf.push(undefined);
      if (i >= this.marks.length) {
        const g = new Uint32Array(this.marks.length * 2);
        g.set(this.marks);
        this.marks = g;
      }
    }
    return i;
  }

  /**
   * mark an interned id changed in this batch; `value`: the key's value object in the state now (what `collect`
   * copies, without looking the key up in the state's dictionary; undefined: look it up)
   */
  touchId(i: number, value?: object): void {
    this.valueOf[i] = value;
    if (this.marks[i] === this.batch) return;
    this.marks[i] = this.batch;
    this.dirty.push(i);
  }

  /** mark a changelog key `area/key` changed in this batch (areas without ids) */
  touchText(key: string): void {
    if (this.texts.has(key)) return;
    this.texts.add(key);
    this.dirty.push(key);
  }

  /** forget the value objects of the touches (the state was changed from outside: read keys from it) */
  forgetValues(): void {
    this.valueOf.fill(undefined);
  }

  get size(): number {
    return this.dirty.length;
  }

  /** the batch's changelog (deep copies: later batches do not change it), and a new batch begins */
  collect(s: RatingState): StateChange[] {
    const out: StateChange[] = new Array(this.dirty.length);
    for (let j = 0; j < this.dirty.length; j++) {
      const d = this.dirty[j]!;
      let area: StateArea;
      let key: string;
      let text: string;
      let v: unknown;
      if (typeof d === 'number') {
        area = this.areaOf[d]!;
        key = this.keyOf[d]!;
        text = this.textOf[d] ??= `${area}/${key}`;
        v = this.valueOf[d];
        this.valueOf[d] = undefined;
      } else {
        const slash = d.indexOf('/');
        area = d.slice(0, slash) as StateArea;
        key = d.slice(slash + 1);
        text = d;
      }
      if (v === undefined) v = (s[area] as Record<string, unknown> | undefined)?.[key];
      out[j] = new StateChangeRecord(text, v === undefined ? null : cloneValue(area, v));
    }
    this.dirty = [];
    this.texts.clear();
    if (++this.batch === 0xffff_ffff) {
      this.marks.fill(0);
      this.batch = 1;
    }
    return out;
  }
}
