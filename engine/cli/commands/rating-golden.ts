/** `ratestream rating-golden [paths...] [--update]`: run rating scenarios and compare with their golden files. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { checkGolden } from '../../rating/scenario.ts';

function scenarios(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f));
    else if (/\.scenario\.ya?ml$/.test(p)) out.push(p);
  };
  paths.forEach(walk);
  return out;
}

export function register(program: Command): void {
  program
    .command('rating-golden')
    .description('run rating scenarios (*.scenario.yaml) and compare their rated output with the golden files')
    .argument('[paths...]', 'files or folders', ['rules/rating'])
    .option('--update', 'rewrite the golden files from the current output')
    .action((paths: string[], flags: { update?: boolean }) => {
      let failed = 0;
      for (const f of scenarios(paths)) {
        const diff = checkGolden(f, !!flags.update);
        if (diff) { failed++; process.stdout.write(`FAIL ${f}\n  ${diff}\n`); }
        else process.stdout.write(`${flags.update ? 'updated' : 'ok'} ${f}\n`);
      }
      if (failed) process.exitCode = 1;
    });
}
