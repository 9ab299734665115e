/** `ratestream` command line (commander). Errors print as one clear message; stack traces only with DEBUG=1. */
import { Command } from 'commander';
import { COMMANDS } from './commands/index.ts';
import { ConfigError } from '../config/yaml-loader.ts';

export async function buildProgram(): Promise<Command> {
  const program = new Command();
  program
    .name('ratestream')
    .description('Streaming mediation and rating engine: raw usage → UDRs → rated charges in ClickHouse')
    .showHelpAfterError('(run with --help for usage)');
  for (const load of COMMANDS) (await load()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n${e.problems.length} problem(s) found.\n`);
    } else {
      process.stderr.write(`ratestream: ${(e as Error).message}\n`);
      if (process.env.DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    }
    process.exitCode = process.exitCode || 1;
  }
}
