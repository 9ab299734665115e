/** Explicit registry of price models. A test fails when a file in this folder exports a spec not listed here. */
import type { PriceModelSpec } from './types.ts';
import * as flat from './flat.ts';
import * as perUnit from './per-unit.ts';
import * as graduated from './graduated.ts';
import * as volume from './volume.ts';
import * as pkg from './package.ts';

export const PRICE_MODEL_MODULES = { flat, 'per-unit': perUnit, graduated, volume, package: pkg } as const;

export const PRICE_MODELS: readonly PriceModelSpec[] = [perUnit.spec, flat.spec, graduated.spec, volume.spec, pkg.spec] as unknown as PriceModelSpec[];

export const PRICE_MODEL_REGISTRY: ReadonlyMap<string, PriceModelSpec> = new Map(PRICE_MODELS.map((m) => [m.model, m]));
