/**
 * `ratestream rate --catalog C [--udrs F.jsonl] [--udr JSON ...] [--explain]`: rate UDRs against a catalog (no
 * mediation, nothing stored). A UDR may be partial: missing fields get defaults; `usage` accepts "90s"/"1m30s".
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Udr } from '../../core/types.ts';
import { formatMoney } from '../../core/money.ts';
import { loadCatalogFile } from '../../rating/catalog.ts';
import { describeCharge } from '../../rating/explain.ts';
import { Rater } from '../../rating/rater.ts';
import { parseDuration } from '../../mediation/functions/units.ts';

export function toUdr(o: Record<string, unknown>, n: number): Udr {
  const start = typeof o.startTime === 'number' ? o.startTime : Date.parse(String(o.startTime ?? o.start ?? '1970-01-01T00:00:00Z'));
  const quantity = o.quantity !== undefined ? Number(o.quantity) : o.usage !== undefined ? parseDuration(String(o.usage), 's') : 0;
  const account = String(o.account ?? '');
  return {
    id: String(o.id ?? `udr-${n}`), feed: String(o.feed ?? 'cli'), usageClass: String(o.usageClass ?? o.class ?? 'call'), account,
    service: String(o.service ?? ''), ratingKey: String(o.ratingKey ?? account), startTime: start, quantity, unit: String(o.unit ?? 'ms'),
    origin: String(o.origin ?? ''), destination: String(o.destination ?? ''), attrs: (o.attrs as Record<string, string>) ?? {},
    source: String(o.source ?? `cli:${n}`), rulesVersion: String(o.rulesVersion ?? ''),
  };
}

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
