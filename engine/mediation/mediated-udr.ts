/**
 * The UDR the Mediator emits: a class with every field assigned in its constructor, in one order, so every UDR of
 * every feed has the one hidden class from the start (an object literal with computed values may take transitions,
 * and the readers downstream — rating, the ledger encoders — stay monomorphic). A plain data object otherwise: its own
 * enumerable fields are the Udr's (spread, JSON and structured clone see the same as of a literal).
 */
import type { BaseUnit, SourceCoordinates, Udr } from '../core/types.ts';

export class MediatedUdr implements Udr {
  constructor(
    public id: string,
    public feed: string,
    public usageClass: string,
    public account: string,
    public service: string,
    public ratingKey: string,
    public startTime: number,
    public quantity: number,
    public unit: BaseUnit,
    public origin: string,
    public destination: string,
    public attrs: Record<string, string>,
    public source: SourceCoordinates,
    public rulesVersion: string,
  ) {}
}
