/**
 * Rate selection (the static and time conditions of a rate): the candidates at the longest matching destination
 * prefix that pass the static conditions (unit, on-net, country, location, service state, custom `when`), and the rate
 * in force at an instant among them (holds, highest weight, latest window start, file order). No allocation per call:
 * the candidates are written to a caller-owned array.
 */
import type { Udr } from '../core/types.ts';
import type { CompiledCatalog, CompiledRate, RateIndex } from './catalog.ts';
import type { PrefixMatch } from './prefix-trie.ts';
import { type LocalTime, localTime, newLocalTime } from './windows.ts';

const SCRATCH: PrefixMatch[] = [];

export class RateSelector {
  private readonly lt: LocalTime = newLocalTime();
  /** the instant `lt` holds (NaN: none): the same instant is looked at several times per record */
  private ltAt = NaN;
  /** after candidates(…, t ≠ 0, …) found some: the rate in force at t among them (chooseAt's answer) */
  chosen: CompiledRate | undefined;
  constructor(private readonly catalog: CompiledCatalog) {}

  /**
   * Candidate rates at the best destination level for this UDR: the longest matching prefix whose rates pass the
   * static conditions and of which at least one holds at `t` (t = 0: any time); then the rates without destinations
   * (*any). Fills `out`; returns the matched prefix or null.
   */
  candidates(ix: RateIndex, u: Udr, measure: string, svcState: string, t: number, out: CompiledRate[]): string | null {
    this.chosen = undefined;
    const n = ix.trie.size ? ix.trie.matches(u.destination, SCRATCH) : 0;
    for (let level = 0; level <= n; level++) {
      const items = level < n ? SCRATCH[level]!.items : ix.defaults;
      // written by index, the length cut only when it changes (setting an array's length is a runtime call)
      let k = 0;
      for (let i = 0; i < items.length; i++) {
        const r = ix.rates[items[i]!]!;
        if (this.staticOk(r, u, measure, svcState)) out[k++] = r;
      }
      if (out.length !== k) out.length = k;
      if (k === 0) continue;
      if (t === 0) return level < n ? SCRATCH[level]!.prefix : '*any';
      const r = this.chooseAt(out, t);
      if (r !== undefined) {
        this.chosen = r;
        return level < n ? SCRATCH[level]!.prefix : '*any';
      }
    }
    if (out.length !== 0) out.length = 0;
    return null;
  }

  staticOk(r: CompiledRate, u: Udr, measure: string, svcState: string): boolean {
    if (!measure && r.unit !== u.unit) return false;
    if (r.onNet !== undefined && this.isOnNet(u) !== r.onNet) return false;
    if (r.countries && !r.countries.has(u.attrs.country ?? '')) return false;
    if (r.locations && !r.locations.has(u.attrs.location ?? '')) return false;
    if (r.serviceStates && !r.serviceStates.has(svcState)) return false;
    if (r.when) {
      const v = r.when(null, u as unknown as Record<string, unknown>);
      if (v === null || v === false || v === '' || v === 0) return false;
    }
    return true;
  }

  private isOnNet(u: Udr): boolean {
    const on = this.catalog.onNet;
    if (!on) return false;
    const a = u.attrs[on.attr];
    if (a === 'true') return true;
    if (a === 'false') return false;
    return on.trie.matches(u.destination, SCRATCH) > 0;
  }

  /** the rate in force at instant t among cands: holds, highest weight, latest window start, file order */
  chooseAt(cands: readonly CompiledRate[], t: number): CompiledRate | undefined {
    if (cands.length === 1 && cands[0]!.window.always) return cands[0];
    const lt = this.local(t);
    let best: CompiledRate | undefined;
    for (let i = 0; i < cands.length; i++) {
      const r = cands[i]!;
      if (!r.window.holds(lt)) continue;
      if (!best || r.weight > best.weight || (r.weight === best.weight && r.window.from > best.window.from)) best = r;
    }
    return best;
  }

  /** local calendar fields of t (the selector's scratch object: valid until the next call) */
  local(t: number): LocalTime {
    if (t === this.ltAt) return this.lt;
    this.ltAt = t;
    return localTime(this.catalog.clock, t, this.lt);
  }
}
