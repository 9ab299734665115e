/** `ratestream` command line (commander). Errors print as one clear message; stack traces only with DEBUG=1. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { COMMANDS } from './commands/index.ts';
import { ConfigError } from '../config/yaml-loader.ts';

/** The package version (package.json two folders up, from the sources and from dist/ alike). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The command the arguments name: the first word (program options take no value), or the one after `help`. */
export function commandOf(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program with every command listed; only `selected` (default: the one in argv) is loaded and registered in
 * full, the others are names with their summary. `selected: 'all'` loads every command.
 */
export async function buildProgram(argv: readonly string[] = process.argv, selected: string | undefined = commandOf(argv.slice(2))): Promise<Command> {
  const program = new Command();
  program
    .name('ratestream')
    .description('Streaming mediation and rating engine: raw usage → UDRs → rated charges in ClickHouse')
    .version(version(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)');
  for (const entry of COMMANDS) {
    if (selected === 'all' || entry.name === selected) (await entry.load()).register(program);
    else program.command(entry.name);
    program.commands.at(-1)!.summary(entry.summary);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
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
