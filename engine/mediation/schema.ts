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

export const UDR_CORE_FIELDS = ['id', 'account', 'service', 'ratingKey', 'usageClass', 'startTime', 'quantity', 'unit', 'origin', 'destination'] as const;

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
    filters: z
      .array(z.object({
        name: z.string(),
        keep: expr.optional().describe('process the record only when true; otherwise it is ignored (counted)'),
        ignore: expr.optional().describe('ignore (count, do not reject) the record when true'),
      }).strict().refine((f) => (f.keep ? 1 : 0) + (f.ignore ? 1 : 0) === 1, 'a filter needs exactly one of keep / ignore'))
      .default([]),
    'usage-classes': z
      .array(z.object({ name: z.string(), when: expr, description: z.string().optional() }).strict())
      .default([])
      .describe('named, reusable usage-class rules; the first that matches sets usageClass'),
    mappings: z
      .array(z.object({
        name: z.string(),
        when: expr.optional().describe('condition on the raw record ($…) or usageClass; omitted = always'),
        fields: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), fieldSpec),
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
