/**
 * Price model contract: one file per model in this folder, each exporting a `spec`; the registry (index.ts) lists
 * them explicitly and a test fails when a file is not registered.
 */
import type { z } from 'zod';
import type { Cost } from '../rational.ts';

/** One charging step of a per-unit price (CGRateS "rate slot"): from usage offset `from`, bill in increments of
 * `inc` at `price` per `per` (all quantities in the usage's base unit). */
export interface Step {
  from: number;
  inc: number;
  price: bigint;
  per: number;
  /** price as a number when it is a safe integer (set when compiled; the fast path of billSteps) */
  priceNum?: number;
}

export type TierBasis = 'record' | 'period';

export interface PriceModel {
  readonly model: string;
  /** per-unit models expose steps so the rater can split usage across time windows (each increment priced by the
   * window it starts in); other models price the whole quantity at once */
  readonly steps?: readonly Step[];
  /** tiers counted per record (default) or cumulatively per account/service over a billing period */
  readonly basis: TierBasis;
  /**
   * Exact cost and billed quantity of `q` units. `prior` = quantity already counted in this tier period (only for
   * basis `period`; 0 otherwise).
   */
  price(q: number, prior: number): { cost: Cost; billed: number; detail: string };
  /** the `detail` price(q) gives when it bills `billed` (per-unit: a text written only when a lineage is) */
  detailOf?(q: number, billed: number): string;
  /**
   * detailOf(q, billed) as constant pieces around the numbers: `${q}${between}${billed}${after}` (the lineage is then
   * written without building the text)
   */
  readonly detailPieces?: { readonly between: string; readonly after: string };
  /** short human description for explain / docs */
  describe(): string;
}

export interface PriceModelSpec<S extends z.ZodObject = z.ZodObject> {
  model: string;
  description: string;
  /** model-specific keys of a rate (besides the common ones: id, usage-class, conditions, fees, rounding...) */
  fields: S;
  /** example rates (YAML-ready), linted by a test */
  examples: Record<string, unknown>[];
  create(cfg: z.output<S>, unit: string): PriceModel;
}
