import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - unit: everything under engine/ and test/ except the integration suites; needs nothing but Node.
 * - integration: real Kafka + schema registry (+ ClickHouse engine) through test/setup/global-setup.ts, which runs
 *   only when an integration file is selected. Files: test/integration/, test/reliability/, and *.int.test.ts anywhere.
 * `npm test` runs both. 2-core machines: at most 2 forked workers. Both put every temporary folder of the run under
 * one folder that is removed at the end (test/setup/temp-root.ts).
 */
const integrationFiles = ['test/integration/**/*.test.ts', 'test/reliability/**/*.test.ts', '{engine,test}/**/*.int.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    // the global teardown may stop Kafka (controlled shutdown takes a few seconds)
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          globalSetup: ['test/setup/temp-root.ts'],
          include: ['engine/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...integrationFiles],
          // property tests with many runs take seconds; on a loaded 2-core machine several times that
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integrationFiles,
          globalSetup: ['test/setup/temp-root.ts', 'test/setup/global-setup.ts'],
          // generous: the streaming and reliability suites run long child processes on 2 shared cores
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
