/** Explicit registry of CLI commands: one file per command, each exporting `register(program)`. */
import type { Command } from 'commander';

export type CommandModule = { register(program: Command): void };

/** Lazy imports keep `ratestream --help` fast and avoid loading chDB for commands that do not need it. */
export const COMMANDS: readonly (() => Promise<CommandModule>)[] = [
  () => import('./run.ts'),
  () => import('./query.ts'),
  () => import('./demo.ts'),
  () => import('./invoice.ts'),
  () => import('./gl.ts'),
  () => import('./rerate.ts'),
  () => import('./reconcile.ts'),
  () => import('./events.ts'),
  () => import('./finance-role.ts'),
  () => import('./lint.ts'),
  () => import('./test.ts'),
  () => import('./dry-run.ts'),
  () => import('./replay-dlq.ts'),
  () => import('./list.ts'),
  () => import('./schemas.ts'),
  () => import('./rate.ts'),
  () => import('./explain.ts'),
  () => import('./import-cgrates.ts'),
  () => import('./what-if.ts'),
  () => import('./rating-golden.ts'),
  () => import('./serve.ts'),
];
