/** `ratestream gl --period YYYY-MM [--level transaction|summary]`: balanced journal entries of the period's invoices (CSV). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { humanMoney } from '../../core/money.ts';
import { loadBillingConfig } from '../../billing/config.ts';
import { balance, buildJournal, journalCsv, type GlLevel } from '../../billing/gl.ts';
import { loadGlMapping } from '../../billing/gl-mapping.ts';
import { parsePeriod } from '../../billing/period.ts';
import { invoiceLinesOfPeriod } from '../../store/finance.ts';
import { billingFile, resolveProject } from '../project-root.ts';
import { addStoreOptions, existingDataDir, openExistingStore, type StoreFlags } from '../store-options.ts';

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('gl')
      .description('export the journal entries of a period\'s issued invoices as CSV (transaction-level or summary), checked to balance')
      .requiredOption('--period <YYYY-MM>', 'billing period')
      .option('-l, --level <level>', 'transaction | summary', 'transaction')
      .option('--mapping <file>', 'GL account mapping (kind: gl-mapping); default: the one named by the billing settings')
      .option('--billing <file>', 'billing settings (kind: billing) (default: <project>/rules/billing/billing.yaml)')
      .option('-o, --out <file>', 'CSV file (default: <db>/gl/<period>-<level>.csv; - for stdout)'),
  ).action(async (flags: StoreFlags & { period: string; level: string; mapping?: string; billing?: string; out?: string }) => {
    if (flags.level !== 'transaction' && flags.level !== 'summary') throw new Error(`--level must be transaction or summary (got ${flags.level})`);
    const anchors = [flags.billing, flags.db];
    const cfg = loadBillingConfig(billingFile(flags, resolveProject(flags, anchors)));
    parsePeriod(flags.period, cfg.timezone);
    const mapping = flags.mapping ? loadGlMapping(resolve(flags.mapping)) : cfg.gl;
    if (!mapping) throw new Error(`no GL mapping: pass --mapping FILE or set "gl:" in ${cfg.file}`);
    const store = await openExistingStore(flags, anchors);
    try {
      const lines = await invoiceLinesOfPeriod(store, flags.period);
      if (!lines.length) throw new Error(`no issued invoices for ${flags.period}: run \`ratestream invoice --period ${flags.period}\` first`);
      const journal = buildJournal(lines, mapping, flags.level as GlLevel, flags.period);
      const text = journalCsv(journal, cfg.decimals);
      const b = balance(journal);
      const msg = `GL ${flags.period} (${flags.level}, mapping ${mapping.name}): ${b.journals} journals, ${journal.length} lines, debit ${humanMoney(b.debit, cfg.decimals)} = credit ${humanMoney(b.credit, cfg.decimals)}, balance ${humanMoney(b.debit - b.credit, cfg.decimals)}`;
      if (flags.out === '-') {
        process.stdout.write(text);
        process.stderr.write(`${msg}\n`);
      } else {
        const out = resolve(flags.out ?? join(existingDataDir(flags, anchors), 'gl', `${flags.period}-${flags.level}.csv`));
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, text);
        process.stdout.write(`${msg}\n→ ${out}\n`);
      }
    } finally {
      await store.close();
    }
  });
}
