/** Explicit registry of feed parsers: one file per format, each exporting `spec`. A test fails on an unlisted spec. */
import type { ParserSpec } from './types.ts';
import { spec as csv } from './csv.ts';
import { spec as fixedWidth } from './fixed-width.ts';
import { spec as json } from './json.ts';
import { spec as xml } from './xml.ts';
import { spec as avro } from './avro.ts';

export const PARSERS: readonly ParserSpec[] = [csv, fixedWidth, json, xml, avro] as unknown as ParserSpec[];

export const PARSER_REGISTRY: ReadonlyMap<string, ParserSpec> = new Map(PARSERS.map((p) => [p.type, p]));
