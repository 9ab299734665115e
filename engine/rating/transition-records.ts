/**
 * What a service transition (and a pool threshold) adds to a batch's result: timeline rows and rating events, made by
 * constructors instead of object literals. They live until the batch's result is dropped, so V8 pretenured their
 * literal sites (see state-values.ts) and left them, dead one batch later, to full mark-compacts. Each class has the
 * fields of the literal it replaces, own and enumerable, in the same order (JSON text and spreads are unchanged).
 */
import type { CoreState } from './catalog.ts';
import type { StateLogRow } from './rater.ts';
import type { RatingEvent } from './steps/types.ts';

/** one row of the service state timeline */
export class TimelineRow implements StateLogRow {
  constructor(
    public service: string,
    public account: string,
    public type: string,
    public plan: string,
    public from: string,
    public to: string,
    public core: CoreState | 'unknown',
    public at: number,
    public cause: string,
  ) {}
}

/** a rating event (`detail` one of the classes below, or a literal of the rarer events) */
export class RatingEventRecord implements RatingEvent {
  constructor(public type: RatingEvent['type'], public key: string, public at: number, public detail: Record<string, unknown>) {}
}

/** detail of `service-state-changed` */
export class StateChangedDetail {
  [k: string]: unknown;
  constructor(public from: string, public to: string, public core: CoreState | 'unknown', public cause: string) {}
}

/** detail of `first-use-activated` */
export class FirstUseActivatedDetail {
  [k: string]: unknown;
  constructor(public by: string, public from: string, public to: string) {}
}

/** detail of `bucket-threshold-reached` */
export class ThresholdDetail {
  [k: string]: unknown;
  constructor(public pool: string, public owner: string, public period: string, public percent: number, public used: number, public size: number) {}
}
