/**
 * Source `stdin`: `--input -`. Read through the same framer as a file (sources/file.ts, path '-'), named by
 * `--source-name` (default stdin-<UTC time>, unique per run) in coordinates and in the ledger.
 */
import { z } from 'zod';
import type { SourceSpec } from './source.ts';

const options = z.object({
  'source-name': z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+=-]*$/).optional().describe('the name of the input in source coordinates (default stdin-<UTC time>)'),
}).strict();

export const spec: SourceSpec<typeof options> = {
  type: 'stdin',
  description: 'Standard input (--input -), framed like a file and named by --source-name.',
  options,
  examples: [{}, { 'source-name': 'switch-a-2026-10-05' }],
};

/** The source name of a stdin run: the user's, else unique per run, so two stdin runs never share a name. */
export function stdinSourceName(given?: string, now = new Date()): string {
  if (given !== undefined) {
    if (!options.shape['source-name'].safeParse(given).success) throw new Error(`--source-name must be letters, digits and . _ @ + = - (got ${JSON.stringify(given)})`);
    return given;
  }
  return `stdin-${now.toISOString().replace(/[-:]/g, '').replace('.', '-')}`;
}
