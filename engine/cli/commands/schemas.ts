/** `ratestream schemas [--check]`: (re)generate schemas/json/<kind>.schema.json from the zod schemas. */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { SCHEMA_DIR, staleSchemas, writeSchemas } from '../../config/json-schema.ts';
import { KINDS } from '../kinds.ts';

export function register(program: Command): void {
  program
    .command('schemas')
    .description('generate the JSON Schemas (draft-07) of every YAML kind into schemas/json/ for editor autocompletion')
    .option('--check', 'only report stale or missing files (exit 1 if any)')
    .action((flags: { check?: boolean }) => {
      if (flags.check) {
        const stale = staleSchemas(KINDS);
        if (stale.length) {
          process.stderr.write(`stale JSON Schemas in ${relative(process.cwd(), SCHEMA_DIR)}: ${stale.join(', ')} (run \`ratestream schemas\`)\n`);
          process.exitCode = 1;
        } else process.stdout.write('JSON Schemas are up to date\n');
        return;
      }
      for (const p of writeSchemas(KINDS)) process.stdout.write(`wrote ${relative(process.cwd(), p)}\n`);
    });
}
