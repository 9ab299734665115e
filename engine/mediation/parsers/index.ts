/** Explicit registry of feed parsers: one file per format, each exporting `spec`. */
import type { ParserSpec } from './types.ts';
import { spec as csv } from './csv.ts';

export const PARSERS: readonly ParserSpec[] = [csv as unknown as ParserSpec];

export const PARSER_REGISTRY: ReadonlyMap<string, ParserSpec> = new Map(PARSERS.map((p) => [p.type, p]));
