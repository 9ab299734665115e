/** zod schema of a mediation rule file (`kind: mediation`); JSON Schema is generated from it. */
import { z } from 'zod';
import { REJECT_REASONS } from '../core/types.ts';
import { PARSERS } from './parsers/index.ts';

const expr = z.string().min(1).describe('an expression (see README "Rule expressions")');

export const parserBlock = z.discriminatedUnion(
  'type',
  PARSERS.map((p) => p.options.extend({ type: z.literal(p.type) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
).describe('how the feed is framed and parsed');

const fieldSpec = z.union([
  expr,
  z.object({
    value: expr,
    required: z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]).optional(),
    'reject-as': z.enum(REJECT_REASONS).optional().describe('reason code when the value is missing (default MISSING_FIELD)'),
  }).strict(),
]);

const count = z.coerce.number().int().min(0);
const fieldCount = z.union([
  count.describe('at least this many fields'),
  z.object({ min: count.optional(), max: count.optional() }).strict().refine((c) => c.min !== undefined || c.max !== undefined, 'give min, max or both'),
]);

export const UDR_CORE_FIELDS = ['id', 'account', 'service', 'ratingKey', 'usageClass', 'startTime', 'quantity', 'unit', 'origin', 'destination'] as const;
/** every field a UDR has (core/types.ts Udr): what rule tests and catalog tests may name */
export const UDR_FIELDS = [...UDR_CORE_FIELDS, 'feed', 'attrs', 'source', 'rulesVersion'] as const;

export const mediationSchema = z
  .object({
    kind: z.literal('mediation'),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
    description: z.string().optional(),
    parser: parserBlock,
    reference: z
      .record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.object({
        file: z.string().describe('CSV with a header line, relative to this file'),
        key: z.string().describe('the key column'),
      }).strict())
      .optional()
      .describe('reference tables for lookup()/prefix_lookup() enrichment'),
    'field-counts': z.object({
      by: expr.describe('the record type, e.g. "$1" or "$record_type"'),
      types: z.record(z.string(), fieldCount).describe('record type → its field count: a minimum (`11`) or { min, max }'),
      other: fieldCount.optional().describe('records of any type not listed (omitted: not checked)'),
    }).strict().optional()
      .describe('delimited feeds: field counts per record type, checked before the filters; a record of a listed type with too few or too many fields is a PARSE_ERROR (headers and trailers with fewer fields are not)'),
    filters: z
      .array(z.object({
        name: z.string(),
        keep: expr.optional().describe('process the record only when true; otherwise it is ignored (counted)'),
        ignore: expr.optional().describe('ignore (count, do not reject) the record when true'),
        reject: expr.optional().describe('reject the record with `reason` when true'),
        reason: z.enum(REJECT_REASONS).optional().describe('reject: the reason code'),
        message: z.string().optional().describe('reject: the message (default: "rejected by filter <name>")'),
      }).strict()
        .refine((f) => (f.keep ? 1 : 0) + (f.ignore ? 1 : 0) + (f.reject ? 1 : 0) === 1, 'a filter needs exactly one of keep / ignore / reject')
        .refine((f) => !f.reject === !f.reason, { message: 'a reject filter needs a `reason` (and only a reject filter has one)', path: ['reason'] })
        .refine((f) => f.reject || f.message === undefined, { message: '`message` belongs to a reject filter', path: ['message'] }))
      .default([])
      .describe('in order, before usage classes: the first filter that fires ignores (keep false / ignore true) or rejects (reject true) the record'),
    libraries: z.array(z.string()).default([])
      .describe('usage-class libraries (`kind: usage-classes` files, relative to this file) whose classes `use:` can name'),
    'usage-classes': z
      .array(z.union([
        z.object({ name: z.string(), when: expr, description: z.string().optional() }).strict(),
        z.object({ use: z.string().describe('name of a class in one of the libraries'), as: z.string().optional().describe('usageClass to set (default: the class name)') }).strict(),
      ]))
      .default([])
      .describe('named, reusable usage-class rules (on the record or meta.source/meta.file); the first that matches sets usageClass'),
    pairing: z.object({
      key: expr.describe('the key both halves share, e.g. "$4 & \'|\' & $2 & \'|\' & $3" (Call-ID, from tag, to tag)'),
      start: expr.describe('the record is a start half (e.g. an answered INVITE)'),
      stop: expr.describe('the record is a stop half (e.g. BYE)'),
      update: expr.optional().describe('the record updates a pending pair (e.g. ACK carrying the answer time); read with update($N)'),
      time: expr.optional().describe('event time (epoch ms) of a half, for `window`'),
      window: z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration such as 90s, 30m, 2h').optional()
        .describe('pending halves older than this (event time, against the newest half seen) become UNPAIRED rejects'),
      'max-pending': z.coerce.number().int().positive().default(1_000_000)
        .describe('when more halves are pending, the oldest becomes an UNPAIRED reject'),
    }).strict().optional()
      .describe('start/stop pairing: both halves become one UDR, mapped from the start record with stop($N) / update($N) for the others; records that are neither pass through (e.g. missed calls); unpaired halves become UNPAIRED rejects at end of input'),
    mappings: z
      .array(z.object({
        name: z.string(),
        when: expr.optional().describe('condition on the raw record ($…) or usageClass; omitted = always'),
        fields: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), fieldSpec),
        'keep-fields': z.string().regex(/^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$/, 'ordinals and ranges, e.g. "1-6, 10, 14, 19"').optional()
          .describe('ordinal feeds: copy these source fields into the UDR attrs (named by column, else f<N>); the rest are dropped'),
      }).strict())
      .min(1)
      .describe('conditional mappings: the first whose `when` holds maps the record'),
    defaults: z.record(z.string(), fieldSpec).default({}).describe('fields every mapping gets unless it sets them'),
    dedup: z.object({
      window: z.coerce.number().int().positive().default(1_000_000).describe('how many recent record ids are remembered in a run'),
    }).strict().optional(),
  })
  .strict();

export type MediationConfig = z.output<typeof mediationSchema>;

/** `kind: usage-classes`: a library of named usage-class rules that mediation files `use:`. */
export const usageClassLibrarySchema = z
  .object({
    kind: z.literal('usage-classes'),
    name: z.string(),
    description: z.string().optional(),
    classes: z.array(z.object({ name: z.string(), when: expr, description: z.string().optional() }).strict()).min(1),
  })
  .strict();

/** "1-6, 10, 14" → [1,2,3,4,5,6,10,14] */
export function parseOrdinalList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map((x) => Number(x.trim()));
    for (let i = a!; i <= (b ?? a)!; i++) out.push(i);
  }
  return out;
}
