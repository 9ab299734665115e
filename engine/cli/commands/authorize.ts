/**
 * `ratestream authorize -c catalog.yaml --account A --destination D --start ISO [--state FILE]`: the maximum usage of
 * a session about to start, per usage class, that the account's money balances (and credit limit), its bundles/pools
 * and a max-cost with strategy disconnect allow, rounded down to the billing increment (engine/rating/authorize.ts).
 * `--state` is a rating state (JSON: what the Rater's snapshot writes); `--from-store` reads the one the last embedded
 * run (`ratestream run`) left for the catalog in the store; without either, the catalog's opening balances.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { authorize } from '../../rating/authorize.ts';
import { loadCatalogFile } from '../../rating/catalog.ts';
import { parseDate } from '../../rating/durations.ts';
import { emptyState, type RatingState, restoreState } from '../../rating/state.ts';
import { parseQuantity } from '../../rating/units.ts';
import { latestRatingState } from '../../store/checkpoints.ts';
import { addStoreOptions, openExistingStore, type StoreFlags } from '../store-options.ts';

export function register(program: Command): void {
  addStoreOptions(program
    .command('authorize')
    .description('the maximum usage per usage class a session may have (money balances, credit limit, bundles/pools, max-cost disconnect), rounded down to the billing increment')
    .requiredOption('-c, --catalog <file>', 'catalog YAML')
    .requiredOption('--account <id>', 'the account of the session')
    .option('--destination <number>', 'the destination (longest prefix selects the rate)', '')
    .requiredOption('--start <time>', 'session start: ISO time (catalog zone when no offset is given)')
    .option('--service <id>', 'the service used (default: the account\'s first service in the catalog)')
    .option('--usage-class <class>', 'only this usage class (default: every class the plan prices)')
    .option('--state <file>', 'rating state JSON (a Rater snapshot) with the balances and pools used so far')
    .option('--max <quantity...>', 'the most to authorize per unit, e.g. 1h 5GB (default 3h of time, 10GB of data, 1000000 of other units)')
    .option('--from-store', 'the rating state the last `ratestream run` left for this catalog in the store (--db / --home / --clickhouse-url)')
    .option('--json', 'print the result as JSON'))
    .action(async (flags: StoreFlags & { catalog: string; account: string; destination: string; start: string; service?: string; usageClass?: string; state?: string; fromStore?: boolean; max?: string[]; json?: boolean }) => {
      const cat = loadCatalogFile(flags.catalog);
      let start: number;
      try { start = parseDate(flags.start, cat.timezone); } catch (e) { throw new Error(`--start ${JSON.stringify(flags.start)}: ${(e as Error).message}`); }
      if (flags.state && flags.fromStore) throw new Error('--state and --from-store: give one of them');
      let state: RatingState | undefined;
      try { state = flags.state ? restoreState(readFileSync(flags.state, 'utf8')) : undefined; } catch (e) { throw new Error(`--state ${flags.state}: not a rating state (${(e as Error).message})`); }
      if (flags.fromStore) {
        const store = await openExistingStore(flags, [flags.catalog]);
        try {
          const text = await latestRatingState(store, cat.name);
          if (text) state = restoreState(text);
          else process.stderr.write(`no rating state for catalog ${cat.name} in the store (no file rated with it yet): the opening balances\n`);
        } finally {
          await store.close();
        }
      }
      const caps: Record<string, number> = {};
      for (const m of flags.max ?? []) {
        const unit = /[0-9.]\s*(ms|s|min|m|h)\s*$/.test(m) ? 'ms' : /[0-9.]\s*[kKMG]?i?B\s*$/.test(m) ? 'byte' : 'event';
        caps[unit] = parseQuantity(m, unit);
      }
      const r = authorize(cat, state ?? emptyState(), { account: flags.account, destination: flags.destination, start, service: flags.service, usageClass: flags.usageClass, caps });
      if (flags.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.stdout.write(`account ${r.account}${r.service ? ` (service ${r.service})` : ''} → ${r.destination || '(no destination)'} at ${r.start}\n`);
      for (const b of r.balances) process.stdout.write(`  balance ${b.balance}: ${b.amount}, may still debit ${b.available ?? 'unlimited (allow-negative)'}\n`);
      if (!r.balances.length) process.stdout.write('  no money balance: not limited by a balance\n');
      for (const c of r.classes) {
        const shown = c.unit === 'ms' ? `${c.seconds} s` : `${c.maxUsage} ${c.unit}`;
        process.stdout.write(`  ${c.usageClass}\t${shown}\tlimited by ${c.limit}${c.note ? ` (${c.note})` : ''}\tcost ${c.cost}\n`);
      }
    });
}
