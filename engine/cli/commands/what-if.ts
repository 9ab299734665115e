/** `ratestream what-if terminate --contract C --date D --catalog F`: the early-termination charge, step by step. */
import type { Command } from 'commander';
import { humanMoney } from '../../core/money.ts';
import { loadCatalogFile } from '../../rating/catalog.ts';
import { whatIfTerminate, type TerminationQuote } from '../../rating/contracts.ts';
import { parseDate } from '../../rating/durations.ts';

function print(q: TerminationQuote, indent = ''): string[] {
  const out = [`${indent}${q.contract}: terminate at ${q.date} (contract month ${q.month} of ${q.termMonths}) → early-termination charge ${humanMoney(q.charge)}`];
  for (const s of q.steps) out.push(`${indent}  - ${s}`);
  for (const c of q.coTerminated) out.push(`${indent}  co-terminated:`, ...print(c, `${indent}    `));
  return out;
}

export function register(program: Command): void {
  const wi = program.command('what-if').description('what-if calculations on contracts');
  wi.command('terminate')
    .description('what would terminating a contract at a date cost (tiered early-termination charges)')
    .requiredOption('--contract <id>', 'contract id')
    .requiredOption('--date <date>', 'termination date (ISO)')
    .requiredOption('-c, --catalog <file>', 'catalog YAML with the contract')
    .option('--json', 'print JSON')
    .action((flags: { contract: string; date: string; catalog: string; json?: boolean }) => {
      const cat = loadCatalogFile(flags.catalog);
      const q = whatIfTerminate(cat, flags.contract, parseDate(flags.date, cat.timezone));
      process.stdout.write(flags.json ? `${JSON.stringify(q, null, 2)}\n` : `${print(q).join('\n')}\n`);
    });
}
