/** zod schema of a pipeline file (`kind: pipeline`): which rules mediate a feed and which catalog rates it. */
import { z } from 'zod';

export const pipelineSchema = z
  .object({
    kind: z.literal('pipeline'),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
    description: z.string().optional(),
    feed: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).describe('feed name: raw topic raw.<feed>, DLQ dlq.<feed>, reconciliation key'),
    mediation: z.string().describe('mediation rule file, relative to this file'),
    catalog: z.string().optional().describe('rating catalog file, relative to this file; omitted = mediation only'),
    input: z.string().optional().describe('default input file or folder, relative to this file'),
    'batch-size': z.coerce.number().int().min(1).max(1_000_000).default(8192),
  })
  .strict();

export type PipelineConfig = z.output<typeof pipelineSchema>;
