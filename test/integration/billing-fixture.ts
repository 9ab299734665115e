/** Shared by the billing integration suites: the demo world mediated and rated into a fresh in-process store. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DEMO_PIPELINES } from '../../engine/cli/commands/demo.ts';
import { runPipeline } from '../../engine/cli/commands/run.ts';
import { generateDemoFeeds } from '../../engine/demo/generate.ts';
import { openStore, type StoreClient } from '../../engine/store/client.ts';
import { migrate } from '../../engine/store/migrate.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface DemoStore {
  dir: string;
  feeds: string;
  store: StoreClient;
}

/** Generate the demo feeds and run every demo pipeline (as `npm start` does) into a store under a temp folder. */
export async function demoStore(prefix: string): Promise<DemoStore> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const feeds = join(dir, 'feeds');
  generateDemoFeeds(feeds);
  const store = await openStore({ dbDir: join(dir, 'ch') });
  await migrate(store);
  for (const p of DEMO_PIPELINES) {
    const file = join(ROOT, p);
    if (!existsSync(file)) continue;
    await runPipeline(file, { input: join(feeds, p.includes('iot') ? 'iot' : 'carrier'), progress: false, db: dir }, store, () => {});
  }
  return { dir, feeds, store };
}

/**
 * Compare `actual` with the golden file; UPDATE_GOLDEN=1 rewrites it instead. Returns the golden text (or null when
 * it differs), so the test can assert with a readable diff.
 */
export function golden(file: string, actual: string): string {
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1' && process.env.CI) throw new Error(`golden file ${file} is missing: run UPDATE_GOLDEN=1 npx vitest run test/integration/billing-invoice.test.ts`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  return readFileSync(file, 'utf8');
}
