/** `ratestream import-cgrates <dir> --out DIR`: a CGRateS tariff plan (TP CSVs, with account data and chargers) → a ratestream catalog + IMPORT.md. */
import type { Command } from 'commander';
import { importCgrates } from '../../rating/cgrates-import.ts';
import { loadCatalogFile } from '../../rating/catalog.ts';

export function register(program: Command): void {
  program
    .command('import-cgrates')
    .description('turn a CGRateS tariff plan (Timings, Destinations, Rates, DestinationRates, RatingPlans, RatingProfiles CSVs; Actions, ActionPlans, AccountActions, SharedGroups → balances and bundles; Chargers, Attributes → charging runs) into a catalog')
    .argument('<dir>', 'folder with the CGRateS CSV files')
    .requiredOption('-o, --out <dir>', 'output folder (catalog.yaml + IMPORT.md)')
    .option('--currency <code>', 'ISO 4217 currency of the amounts (CGRateS CSVs carry none)', 'XXX')
    .option('--timezone <zone>', 'time zone of the Timings (CGRateS DefaultTimezone)', 'UTC')
    .option('--rounding-decimals <n>', 'CGRateS general rounding_decimals of the engine to reproduce (timespan and increment costs)', '5')
    .action((dir: string, flags: { out: string; currency: string; timezone: string; roundingDecimals: string }) => {
      const r = importCgrates(dir, flags.out, { currency: flags.currency, timezone: flags.timezone, roundingDecimals: Number(flags.roundingDecimals) });
      const cat = loadCatalogFile(r.catalogFile);
      process.stdout.write(`wrote ${r.catalogFile} (catalog ${cat.name}@${cat.version}: ${cat.plans.size} plans, ${[...cat.plans.values()].reduce((n, p) => n + [...p.rates.values()].reduce((m, l) => m + l.length, 0), 0)} rates) and ${r.reportFile}\n`);
      process.stdout.write(`${Object.entries(r.stats).map(([k, v]) => `${k}: ${v}`).join(', ')}\n`);
      for (const n of r.notes) process.stdout.write(`note: ${n}\n`);
    });
}
