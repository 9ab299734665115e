/**
 * Explicit registry of CLI commands: one file per command, each exporting `register(program)`. The name and a
 * one-line summary live here, so `ratestream --help` lists every command without loading any of them; only the
 * command being run is imported (with its dependencies: chDB, Kafka, PDF, HTTP server…).
 */
import type { Command } from 'commander';

export type CommandModule = { register(program: Command): void };

export interface CommandEntry {
  name: string;
  /** one line for the command list (the command's own --help has the full description) */
  summary: string;
  load(): Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', summary: 'mediate and rate a file, folder or stdin into ClickHouse', load: () => import('./run.ts') },
  { name: 'query', summary: 'run SQL queries against the store', load: () => import('./query.ts') },
  { name: 'demo', summary: 'generate sample feeds, run the demo pipelines, show totals', load: () => import('./demo.ts') },
  { name: 'invoice', summary: 'issue (or re-render) the invoices of a period', load: () => import('./invoice.ts') },
  { name: 'gl', summary: 'export the journal entries of a period\'s invoices', load: () => import('./gl.ts') },
  { name: 'rerate', summary: 're-rate a period\'s UDRs and report what changed', load: () => import('./rerate.ts') },
  { name: 'margin', summary: 'margin per account, destination and period (charging runs)', load: () => import('./margin.ts') },
  { name: 'reconcile', summary: 'records in = UDRs + ignored + rejected; UDRs = rated', load: () => import('./reconcile.ts') },
  { name: 'events', summary: 'collect and deliver a period\'s billing events', load: () => import('./events.ts') },
  { name: 'finance-role', summary: 'DDL of a read-only finance role (or apply it)', load: () => import('./finance-role.ts') },
  { name: 'lint', summary: 'check YAML files: every problem as file:line:col', load: () => import('./lint.ts') },
  { name: 'test', summary: 'run the *.test.yaml rule tests', load: () => import('./test.ts') },
  { name: 'dry-run', summary: 'mediate a sample input, print UDRs and rejects, store nothing', load: () => import('./dry-run.ts') },
  { name: 'replay-dlq', summary: 're-run DLQ rejects through the current rules', load: () => import('./replay-dlq.ts') },
  { name: 'list', summary: 'list parsers, rule functions and YAML kinds', load: () => import('./list.ts') },
  { name: 'schemas', summary: 'generate the JSON Schemas of every YAML kind', load: () => import('./schemas.ts') },
  { name: 'authorize', summary: 'maximum usage a session may have (balances, bundles, max cost)', load: () => import('./authorize.ts') },
  { name: 'rate', summary: 'rate UDRs against a catalog and print the charges', load: () => import('./rate.ts') },
  { name: 'explain', summary: 'how one record was mediated and priced, step by step', load: () => import('./explain.ts') },
  { name: 'import-cgrates', summary: 'turn a CGRateS tariff plan into a catalog', load: () => import('./import-cgrates.ts') },
  { name: 'what-if', summary: 'what-if calculations on contracts', load: () => import('./what-if.ts') },
  { name: 'rating-golden', summary: 'run rating scenarios against their golden output', load: () => import('./rating-golden.ts') },
  { name: 'serve', summary: 'run the streaming roles (Kafka consumer group), HTTP ingest', load: () => import('./serve.ts') },
];
