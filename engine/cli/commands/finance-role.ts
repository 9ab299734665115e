/** `ratestream finance-role [--apply]`: the DDL of a read-only finance role; --apply runs it on a ClickHouse server. */
import type { Command } from 'commander';
import { openStore } from '../../store/client.ts';
import { financeRoleDdl } from '../../store/finance-role.ts';

export function register(program: Command): void {
  program
    .command('finance-role')
    .description('print (or --apply on a ClickHouse server) the DDL of a read-only finance role: SELECT on the ratestream database and its finance views')
    .option('--role <name>', 'role name', 'ratestream_finance')
    .option('--database <name>', 'database', 'ratestream')
    .option('--user <name>', 'also create this user with the role (password SHA-256 hex from RATESTREAM_FINANCE_PASSWORD_SHA256)')
    .option('--apply', 'run the statements on the server in --clickhouse-url / CLICKHOUSE_URL (as a user allowed to manage access)')
    .option('--clickhouse-url <url>', 'ClickHouse server (also CLICKHOUSE_URL)')
    .action(async (flags: { role: string; database: string; user?: string; apply?: boolean; clickhouseUrl?: string }) => {
      const hash = process.env.RATESTREAM_FINANCE_PASSWORD_SHA256 ?? '';
      if (flags.user && !hash) throw new Error('--user needs RATESTREAM_FINANCE_PASSWORD_SHA256 (e.g. echo -n "$PW" | sha256sum)');
      const stmts = financeRoleDdl({ role: flags.role, database: flags.database, user: flags.user ? { name: flags.user, passwordSha256Hex: hash } : undefined });
      if (!flags.apply) {
        process.stdout.write(`${stmts.map((s) => `${s};`).join('\n')}\n`);
        return;
      }
      const url = flags.clickhouseUrl ?? process.env.CLICKHOUSE_URL;
      if (!url) throw new Error('--apply needs a ClickHouse server: --clickhouse-url or CLICKHOUSE_URL (the in-process engine has no access control)');
      const store = await openStore({ url, database: flags.database, create: false }); // grants on an existing store only
      try {
        for (const s of stmts) await store.client.command({ query: s });
        process.stdout.write(`applied ${stmts.length} statements on ${store.where}\n`);
      } finally {
        await store.close();
      }
    });
}
