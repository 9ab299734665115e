/** Shared pieces of the catalog sections: field schemas, the compile context (problems with positions, dates). */
import { z } from 'zod';
import type { ConfigProblem, ParsedYaml } from '../../config/yaml-loader.ts';
import { positionOf } from '../../config/yaml-loader.ts';
import { ROUNDING_MODES, type RoundingMode } from '../../core/money.ts';
import { parseDate } from '../durations.ts';
import type { CatalogConfig } from './index.ts';

export const id = z.string().min(1).regex(/^[A-Za-z0-9*\[][A-Za-z0-9._:@+*\[\]-]*$/, 'letters, digits and . _ : @ + - (and * for patterns)');
export const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
export const num = z.coerce.number();

export const CORE_STATES = ['active', 'cancelled', 'prospect', 'suspended'] as const;
export type CoreState = (typeof CORE_STATES)[number];
export const NEW_STATE = '[New]';

export const roundingSchema = z.object({
  mode: z.enum(ROUNDING_MODES as [RoundingMode, ...RoundingMode[]]).default('half-up'),
  decimals: z.coerce.number().int().min(0).max(10).default(4),
}).strict();

export interface Rounding {
  mode: RoundingMode;
  decimals: number;
}

/** What every section's compile function gets: the validated config, and where to report a problem. */
export interface CompileContext {
  cfg: CatalogConfig;
  parsed: ParsedYaml;
  /** report a problem at a config path (file:line:col) */
  at(path: (string | number)[], message: string): void;
  /** ISO date/time in the catalog zone (a problem at `path` and 0 when invalid) */
  date(text: string, path: (string | number)[]): number;
}

export function compileContext(cfg: CatalogConfig, parsed: ParsedYaml, errs: ConfigProblem[]): CompileContext {
  const at = (path: (string | number)[], message: string) => errs.push({ file: parsed.file, ...positionOf(parsed, path), message });
  return {
    cfg, parsed, at,
    date(text, path) {
      try {
        return parseDate(text, cfg.timezone);
      } catch (e) {
        at(path, (e as Error).message);
        return 0;
      }
    },
  };
}
