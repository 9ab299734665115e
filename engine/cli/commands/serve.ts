/** `ratestream serve --config FILE`: run the streaming roles (mediate / rate / sink) as Kafka consumer-group members. */
import type { Command } from 'commander';
import { applyHeapGrowth } from '../../runtime/heap-growth.ts';
import { loadServeConfig, ROLES, type Role } from '../../runtime/streaming/config.ts';
import { StreamServer } from '../../runtime/streaming/serve.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('stream raw.<feed> → udr → rated → ClickHouse exactly once as Kafka consumer-group members (roles mediate, rate, sink); /healthz /readyz /metrics, HTTP ingest, drop directories')
    .requiredOption('--config <file>', 'serve config YAML (kind: serve)')
    .option('-r, --roles <list>', `comma-separated subset of ${ROLES.join(',')} (default: the config's roles, all three)`)
    .option('--http-port <port>', 'HTTP port (overrides http.port; 0 = any free port)')
    .action(async (flags: { config: string; roles?: string; httpPort?: string }) => {
      const loaded = loadServeConfig(flags.config);
      const roles = flags.roles?.split(',').map((s) => s.trim()).filter(Boolean);
      for (const r of roles ?? []) if (!(ROLES as readonly string[]).includes(r)) throw new Error(`--roles: unknown role ${r} (${ROLES.join(', ')})`);
      const server = new StreamServer(loaded, { roles: roles as Role[] | undefined, httpPort: flags.httpPort === undefined ? undefined : Number(flags.httpPort) });
      // a process-wide setting: the serve process's entry point owns it (tests run several servers in one process)
      const heap = applyHeapGrowth(loaded.config.memory['heap-growing-percent']);
      server.log.info({ heapGrowingPercent: heap.percent, from: heap.source }, 'V8 heap growth');
      let exiting = false;
      const shutdown = (signal: string) => {
        if (exiting) return;
        exiting = true;
        server.log.info({ signal }, 'signal received');
        server.stop().then(() => process.exit(0), (err: unknown) => {
          server.log.error({ err }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      try {
        await server.start();
      } catch (err) {
        server.log.fatal({ err }, 'start failed');
        await server.stop().catch(() => undefined);
        throw err;
      }
      // stays up until a signal
      await new Promise<never>(() => undefined);
    });
}
