/**
 * `ratestream rate --catalog C [--udrs F.jsonl] [--udr JSON ...] [--explain]`: rate UDRs against a catalog (no
 * mediation, nothing stored). A UDR may be partial: missing fields get defaults; `usage` accepts "90s"/"1m30s".
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatMoney } from '../../core/money.ts';
import { loadCatalogFile } from '../../rating/catalog.ts';
import { describeCharge } from '../../rating/explain.ts';
import { Rater } from '../../rating/rater.ts';
import { toUdr } from '../../rating/udr-input.ts';

export function register(program: Command): void {
  program
    .command('rate')
    .description('rate UDRs (JSON lines or --udr JSON) against a catalog and print the charges')
    .requiredOption('-c, --catalog <file>', 'catalog YAML')
    .option('--udrs <file>', 'UDRs as JSON lines')
    .option('--udr <json...>', 'UDR(s) as JSON on the command line')
    .option('--explain', 'print the computation steps of every charge')
    .action((flags: { catalog: string; udrs?: string; udr?: string[]; explain?: boolean }) => {
      const cat = loadCatalogFile(flags.catalog);
      const objs: Record<string, unknown>[] = [];
      if (flags.udrs) for (const l of readFileSync(flags.udrs, 'utf8').split('\n')) if (l.trim()) objs.push(JSON.parse(l));
      for (const j of flags.udr ?? []) objs.push(JSON.parse(j));
      const rater = new Rater(cat, undefined, { trace: !!flags.explain });
      const res = rater.rate(objs.map(toUdr));
      for (const c of res.charges) {
        if (flags.explain) process.stdout.write(`${describeCharge(c).join('\n')}\n`);
        else process.stdout.write(`${c.udrId}\t${c.rateId}\t${c.quantity}\t${formatMoney(c.amount)}\t${c.matched}\n`);
      }
      for (const r of res.rejects) process.stdout.write(`REJECT ${r.source} ${r.reason}: ${r.message}\n`);
    });
}
