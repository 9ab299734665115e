/**
 * `window-split: cgrates` — how CGRateS (engine/calldesc.go splitInTimeSpans + roundTimeSpansToIncrement,
 * engine/timespans.go SplitByRateInterval / SetRateInterval / hasBetterRateIntervalThan / createIncrementsSlice,
 * engine/ratingprofile.go SelectRatingIntevalsForTimespan, engine/rateinterval.go GetRateParameters / GetCost) cuts a
 * voice call into timespans and prices them, re-done with exact decimals:
 *
 *  1. the call is one timespan, cut at local midnights;
 *  2. each timespan, in order (new ones are inserted right after the current one and visited next), is offered the
 *     rate intervals of SelectRatingIntevalsForTimespan: first the one in force at its start (highest weight, then the
 *     closest left margin = latest start time), then the later-starting ones that start before its end. For each:
 *     a. if the interval holds at the span's start or end and one of *its* rate slots starts strictly inside the span
 *        (GroupIntervalStart, an offset from the call start), the span is cut there; head and tail take the interval
 *        unless they already hold a better one — this cut wins over any time-of-day change inside the span;
 *     b. else holding at start and end → the span takes it; holding at the start only → cut at its end time; holding
 *        at the end only → cut at its start time, the tail takes it;
 *     after a cut, the current span is done once it has an interval (the remaining candidates are not tried);
 *  3. a span shorter than (or not a multiple of) the increment of its slot grows to it, eating into the next spans;
 *  4. each span is priced with the one slot in force at its start offset: duration × rate / unit rounded half-up to
 *     `rounding_decimals` (CGRateS general config, default 5), divided by its increments and rounded again; the span
 *     costs increments × that increment cost.
 * Consequence: a time-of-day change inside a slot (e.g. 60 s–600 s) takes effect at the next slot start; a change in
 * the last, open-ended slot takes effect at the change. Connect fee (of the first span's interval) and the final
 * rounding (the rate rounding with the most decimals) are applied by the rater.
 */
import type { CompiledRate } from './catalog.ts';
import { stepAt } from './price/per-unit.ts';
import type { Step } from './price/types.ts';
import { add, type Cost, roundCost, ZERO } from './rational.ts';
import { type LocalTime, localTime, newLocalTime, type TimeWindow, type ZoneClock } from './windows.ts';

const DAY = 86_400_000;

/** One priced CGRateS timespan: [from, to) in ms from the call start. */
export interface CgratesPart {
  rate: CompiledRate;
  from: number;
  to: number;
  /** the rate slot in force at `from` (GetRateParameters) */
  step: Step;
  increments: number;
  /** duration × price / per, exact */
  exact: Cost;
  /** exact rounded half-up to the rounding decimals (GetCost) */
  spanCost: bigint;
  /** spanCost / increments rounded half-up (createIncrementsSlice) */
  incrementCost: bigint;
  /** increments × incrementCost */
  cost: bigint;
}

interface Span { from: number; to: number; rate?: CompiledRate }

export class CgratesSplitter {
  private readonly lt: LocalTime = newLocalTime();
  constructor(private readonly clock: ZoneClock, readonly decimals: number) {}

  /** Price `q` ms starting at `t0` among `cands` (per-unit rates with steps). A string is a reason for no rate. */
  price(cands: readonly CompiledRate[], t0: number, q: number): { parts: CgratesPart[]; cost: Cost; billed: number } | string {
    const spans = this.byDay(t0, q);
    for (let i = 0; i < spans.length; i++) {
      const ts = spans[i]!;
      for (const c of this.select(cands, t0, ts)) {
        const nts = this.splitBy(t0, ts, c);
        if (nts) {
          spans.splice(i + 1, 0, nts);
          if (ts.rate) break;
        }
      }
    }
    this.roundToIncrements(spans);
    const parts: CgratesPart[] = [];
    let cost: Cost = ZERO;
    let billed = 0;
    for (const ts of spans) {
      if (!ts.rate) return `no rate holds at ${new Date(t0 + ts.from).toISOString()} (${ts.from} ms into the usage)`;
      const step = stepAt(ts.rate.model.steps!, ts.from);
      const dur = ts.to - ts.from;
      const increments = Math.floor(dur / step.inc);
      const exact: Cost = { n: step.price * BigInt(dur), d: BigInt(step.per) };
      const spanCost = roundCost(exact, this.decimals, 'half-up');
      const incrementCost = roundCost({ n: spanCost, d: BigInt(increments) }, this.decimals, 'half-up');
      const c = incrementCost * BigInt(increments);
      parts.push({ rate: ts.rate, from: ts.from, to: ts.to, step, increments, exact, spanCost, incrementCost, cost: c });
      cost = add(cost, { n: c, d: 1n });
      billed += dur;
    }
    return { parts, cost, billed };
  }

  private byDay(t0: number, q: number): Span[] {
    const out: Span[] = [];
    let from = 0;
    while (from < q) {
      const lt = localTime(this.clock, t0 + from, this.lt);
      const midnight = this.clock.epochOfLocal(lt.dayStart + DAY) - t0;
      const to = midnight > from && midnight < q ? midnight : q;
      out.push({ from, to });
      from = to;
    }
    return out;
  }

  /** RateInterval.Contains: the window holds at t (an end time at midnight counts as 23:59:59; end time inclusive) */
  private contains(w: TimeWindow, t: number, isEnd: boolean): boolean {
    let lt = localTime(this.clock, t, this.lt);
    if (isEnd && lt.tod === 0) lt = localTime(this.clock, t - 1000, this.lt);
    return w.matchesDate(lt) && lt.tod >= w.from && lt.tod <= w.to;
  }

  /** start of the window on t's local day (RITiming.getLeftMargin) */
  private left(w: TimeWindow, t: number): number {
    const lt = localTime(this.clock, t, this.lt);
    return this.clock.epochOfLocal(lt.dayStart + w.from);
  }

  /** end of the window on t's local day (getRightMargin: no end time = next midnight) */
  private right(w: TimeWindow, t: number): number {
    const lt = localTime(this.clock, t, this.lt);
    return this.clock.epochOfLocal(lt.dayStart + w.to);
  }

  /** SelectRatingIntevalsForTimespan */
  private select(cands: readonly CompiledRate[], t0: number, ts: Span): CompiledRate[] {
    const s = t0 + ts.from, e = t0 + ts.to;
    const sorted = cands.slice().sort((a, b) => b.weight - a.weight || this.left(a.window, s) - this.left(b.window, s) || a.index - b.index);
    let best = 0, bestWeight = 0, delta = -1;
    for (let k = 0; k < sorted.length; k++) {
      const r = sorted[k]!;
      if (!this.contains(r.window, s, false)) continue;
      if (r.weight < bestWeight) break;
      const lm = this.left(r.window, s);
      if (lm <= s && (delta === -1 || s - lm < delta)) { best = k; bestWeight = r.weight; delta = s - lm; }
    }
    const out = [sorted[best]!];
    for (let k = best + 1; k < sorted.length; k++) {
      if (sorted[k]!.weight < bestWeight) break;
      if (this.left(sorted[k]!.window, s) < e) out.push(sorted[k]!);
    }
    return out;
  }

  /** TimeSpan.hasBetterRateIntervalThan */
  private hasBetter(t0: number, ts: Span, c: CompiledRate): boolean {
    const s = t0 + ts.from;
    const other = s - this.left(c.window, s);
    if (other < 0) return true;
    if (!ts.rate) return false;
    if (ts.rate.weight < c.weight) return false;
    return !(s - this.left(ts.rate.window, s) > other);
  }

  private setRate(t0: number, ts: Span, c: CompiledRate): void {
    if (!this.hasBetter(t0, ts, c)) ts.rate = c;
  }

  /** TimeSpan.SplitByRateInterval (voice): the tail span, or null */
  private splitBy(t0: number, ts: Span, c: CompiledRate): Span | null {
    const s = t0 + ts.from, e = t0 + ts.to;
    const atStart = this.contains(c.window, s, false), atEnd = this.contains(c.window, e, true);
    if (!atStart && !atEnd) return null;
    for (const st of c.model.steps!) {
      if (ts.from < st.from && ts.to > st.from) {
        this.setRate(t0, ts, c);
        const nts: Span = { from: st.from, to: ts.to };
        ts.to = st.from;
        this.setRate(t0, nts, c);
        return nts;
      }
    }
    if (atStart && atEnd) {
      this.setRate(t0, ts, c);
      return null;
    }
    if (atStart) {
      const split = this.right(c.window, s) - t0;
      this.setRate(t0, ts, c);
      if (split <= ts.from || split >= ts.to) return null;
      const nts: Span = { from: split, to: ts.to };
      ts.to = split;
      return nts;
    }
    const split = this.left(c.window, s) - t0;
    if (split <= ts.from || split >= ts.to) return null;
    const nts: Span = { from: split, to: ts.to };
    ts.to = split;
    this.setRate(t0, nts, c);
    return nts;
  }

  /** roundTimeSpansToIncrement + RemoveOverlapedFromIndex */
  private roundToIncrements(spans: Span[]): void {
    for (let i = 0; i < spans.length; i++) {
      const ts = spans[i]!;
      if (!ts.rate) continue;
      const inc = stepAt(ts.rate.model.steps!, ts.from).inc;
      const dur = ts.to - ts.from;
      const rounded = Math.ceil(dur / inc) * inc;
      if (rounded === dur) continue;
      ts.to = ts.from + rounded;
      while (i + 1 < spans.length && spans[i + 1]!.to <= ts.to) spans.splice(i + 1, 1);
      if (i + 1 < spans.length && spans[i + 1]!.from < ts.to) spans[i + 1]!.from = ts.to;
    }
  }
}
