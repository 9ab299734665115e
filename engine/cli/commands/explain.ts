/** `ratestream explain --pipeline P --input F <udr-id | file:line>`: why did this record get this price. */
import type { Command } from 'commander';
import { explainFromPipeline } from '../../rating/explain.ts';

export function register(program: Command): void {
  program
    .command('explain')
    .description('re-mediate and re-rate an input up to one record and print its computation step by step')
    .argument('<ref>', 'a UDR id or source coordinates file:line')
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML (mediation rules + catalog)')
    .option('-i, --input <path>', 'input file or folder (default: the pipeline\'s input)')
    .action(async (ref: string, flags: { pipeline: string; input?: string }) => {
      process.stdout.write(`${(await explainFromPipeline(flags.pipeline, flags.input, ref)).join('\n')}\n`);
    });
}
