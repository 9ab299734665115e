/**
 * The rating steps, explicitly listed in run order (a test fails when a file of this folder is not registered), and
 * the compilation of a rate index's step plan: per phase, the steps that apply there.
 */
import type { CompiledCatalog, RateIndex } from '../catalog.ts';
import { allocation } from './allocation.ts';
import { balanceDebit } from './balance-debit.ts';
import { cgratesSplit } from './cgrates-split.ts';
import { connectFee } from './connect-fee.ts';
import { increments } from './increments.ts';
import { lineage } from './lineage.ts';
import { minMaxCost } from './min-max-cost.ts';
import { poolAllocation } from './pool-allocation.ts';
import { priceModel } from './price-model.ts';
import { rounding } from './rounding.ts';
import { windowSplit } from './window-split.ts';
import { type RatingStep, STEP_PHASES, type StepPhase } from './types.ts';

/** in run order within each phase; in exclusive phases (usage, emit) the first step that handles the measure wins */
export const RATING_STEPS: readonly RatingStep[] = [
  poolAllocation,
  cgratesSplit, windowSplit, increments, priceModel,
  connectFee, minMaxCost,
  rounding,
  allocation, lineage,
  balanceDebit,
];

export const STEP_REGISTRY: ReadonlyMap<string, RatingStep> = new Map(RATING_STEPS.map((s) => [s.id, s]));

/** the steps of one rate index, by phase */
export type StepPlan = Readonly<Record<StepPhase, readonly RatingStep[]>>;

export function compileStepPlan(ix: RateIndex, cat: CompiledCatalog): StepPlan {
  const plan = {} as Record<StepPhase, RatingStep[]>;
  for (const p of STEP_PHASES) plan[p] = RATING_STEPS.filter((s) => s.phase === p && s.applies(ix, cat));
  return plan;
}
