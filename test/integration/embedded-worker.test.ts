/** The worker-thread path of the embedded mode gives exactly the in-process results (counters, charges, state). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDemoFeeds } from '../../engine/demo/generate.ts';
import { loadPipeline } from '../../engine/pipeline/load.ts';
import { EmbeddedRunner } from '../../engine/runtime/embedded-runner.ts';
import { listInputs } from '../../engine/runtime/sources/file.ts';
import { openStore, queryRows } from '../../engine/store/client.ts';
import { migrate } from '../../engine/store/migrate.ts';

async function run(dir: string, files: string[], worker: boolean) {
  const store = await openStore({ dbDir: join(dir, worker ? 'ch-worker' : 'ch-main') });
  try {
    await migrate(store);
    const runner = new EmbeddedRunner(loadPipeline('pipelines/demo-carrier-pooled.yaml'), store, undefined, {}, { worker });
    const counters = [];
    for (const f of files) counters.push((await runner.runFile(listInputs(f)[0]!)).counters);
    await runner.close();
    const charges = await queryRows<{ h: string; n: string; t: string }>(store,
      `SELECT toString(sum(cityHash64(charge_id, toString(amount)))) AS h, count() AS n, toString(sum(amount)) AS t FROM charges FINAL`);
    const pools = await queryRows(store, `SELECT owner, pool_id, period, toString(used) AS used FROM pool_balances FINAL ORDER BY owner, pool_id, period`);
    const rejects = await queryRows(store, `SELECT source, reason FROM rejects ORDER BY source`);
    return { counters: counters.map(({ file, ...c }) => ({ ...c, file: file.replace(/^.*\//, '') })), charges, pools, rejects };
  } finally {
    await store.close();
  }
}

describe('embedded worker thread', () => {
  it('produces the same counters, charges, pool balances and rejects as the main thread, file after file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-worker-'));
    const gen = generateDemoFeeds(join(dir, 'feeds'), { days: 2, perDay: 3000 });
    const a = await run(dir, gen.carrierFiles, false);
    const b = await run(dir, gen.carrierFiles, true);
    expect(a.counters[0]!.udrs).toBeGreaterThan(2000);
    expect(Number(a.charges[0]!.n)).toBeGreaterThan(4000);
    expect(a.pools.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });
});
