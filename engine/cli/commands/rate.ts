/**
 * `ratestream rate --catalog C [--udrs F.jsonl] [--udr JSON ...] [--explain]`: rate UDRs against a catalog (no
 * mediation, nothing stored). A UDR may be partial: missing fields get defaults; `usage` is read in the record's unit
 * (the catalog's unit for the usage class when not given, else the usual unit of the class). Rejects are labelled by
 * record id — also a record that cannot be read (not JSON, a bad usage or time: INVALID_RECORD); the others are rated.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatMoney } from '../../core/money.ts';
import type { Udr } from '../../core/types.ts';
import { loadCatalogFile } from '../../rating/catalog.ts';
import { describeCharge } from '../../rating/explain.ts';
import { Rater } from '../../rating/rater.ts';
import { catalogUnitOf, toUdr, UDR_INPUT_FIELDS } from '../../rating/udr-input.ts';

export function register(program: Command): void {
  program
    .command('rate')
    .description('rate UDRs (JSON lines or --udr JSON) against a catalog and print the charges')
    .requiredOption('-c, --catalog <file>', 'catalog YAML')
    .option('--udrs <file>', 'UDRs as JSON lines')
    .option('--udr <json...>', 'UDR(s) as JSON on the command line')
    .option('--explain', 'print the computation steps of every charge')
    .addHelpText('after', `
UDR fields (JSON; all optional):
${UDR_INPUT_FIELDS.map(([f, d]) => `  ${f.padEnd(38)} ${d}`).join('\n')}

Examples:
  ratestream rate -c catalog.yaml --udr '{"id":"c1","account":"acme","class":"voice","destination":"+31201234567","start":"2025-03-03T10:00:00Z","usage":"90s"}'
  ratestream rate -c catalog.yaml --udr '{"id":"d1","account":"acme","class":"data","usage":"2MB"}'   # unit byte from the catalog's data rates`)
    .action((flags: { catalog: string; udrs?: string; udr?: string[]; explain?: boolean }) => {
      const cat = loadCatalogFile(flags.catalog);
      // a record that cannot be read is a reject labelled by its id (or its place), the others are rated
      const bad: string[] = [];
      const texts: [string, string][] = [];
      if (flags.udrs) readFileSync(flags.udrs, 'utf8').split('\n').forEach((l, i) => { if (l.trim()) texts.push([l, `${flags.udrs}:${i + 1}`]); });
      (flags.udr ?? []).forEach((j, i) => texts.push([j, `--udr #${i + 1}`]));
      const rater = new Rater(cat, undefined, { trace: !!flags.explain });
      const unitOf = catalogUnitOf(cat);
      const udrs: Udr[] = [];
      texts.forEach(([text, where], i) => {
        let o: Record<string, unknown>;
        try { o = JSON.parse(text) as Record<string, unknown>; } catch (e) { bad.push(`REJECT ${where} INVALID_RECORD: not JSON (${(e as Error).message})`); return; }
        try { udrs.push(toUdr(o, i, unitOf)); } catch (e) { bad.push(`REJECT ${String(o.id ?? where)} INVALID_RECORD: ${(e as Error).message}`); }
      });
      const res = rater.rate(udrs);
      for (const c of res.charges) {
        if (flags.explain) process.stdout.write(`${describeCharge(c).join('\n')}\n`);
        // charging runs: the run (and "not billable") after the record id; a catalog without runs prints as before
        else process.stdout.write(`${c.udrId}\t${c.run ? `${c.run}${c.billable === false ? ' (not billable)' : ''}\t` : ''}${c.rateId}\t${c.quantity}\t${formatMoney(c.amount)}\t${c.matched}\n`);
      }
      // a reject carries the UDR as JSON (raw): label it with the record id
      const idOf = (raw: string) => { try { return String((JSON.parse(raw) as { id?: unknown }).id ?? ''); } catch { return ''; } };
      for (const r of res.rejects) process.stdout.write(`REJECT ${idOf(r.raw) || r.source} ${r.reason}: ${r.message}\n`);
      for (const b of bad) process.stdout.write(`${b}\n`);
    });
}
