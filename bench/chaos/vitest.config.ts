import { defineConfig } from 'vitest/config';

/**
 * The long chaos scenarios of bench/chaos.sh (not part of `npm test`): vitest files under bench/chaos/, with the
 * integration project's global setup (Kafka + schema registry) and no time limits beyond the scenarios' own.
 */
export default defineConfig({
  test: {
    include: ['bench/chaos/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    teardownTimeout: 60_000,
  },
});
