/**
 * The Sink contract: where the batch driver's output goes (UDRs, charges, rejects). A sink component is one file with
 * a spec (zod options, description, example) and one line in the registry (sinks/index.ts), shown by
 * `ratestream list sinks`.
 */
import type { z } from 'zod';

export interface SinkSpec<S extends z.ZodObject = z.ZodObject> {
  type: string;
  description: string;
  /** zod schema of the sink's options */
  options: S;
  /** example option blocks */
  examples: Record<string, unknown>[];
}
