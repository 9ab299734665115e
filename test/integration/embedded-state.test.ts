/**
 * Embedded mode keeps the rating state between runs: a pooled SMS share plan rated file by file (separate runner
 * instances, as separate `ratestream run` invocations would be) gives exactly the charges of one run over both files.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMoney } from '../../engine/core/money.ts';
import { loadPipeline } from '../../engine/pipeline/load.ts';
import { EmbeddedRunner } from '../../engine/runtime/embedded-runner.ts';
import { listInputs } from '../../engine/runtime/sources/file.ts';
import { openStore, queryRows, type StoreClient } from '../../engine/store/client.ts';
import { migrate } from '../../engine/store/migrate.ts';

const RULES = `kind: mediation
name: sms-csv
parser: { type: csv, columns: [id, account, service, time, qty] }
mappings:
  - name: sms
    fields:
      id: "$id"
      account: "$account"
      service: "$service"
      startTime: "time($time, 'iso')"
      quantity: "number($qty)"
      unit: "'event'"
      usageClass: "'sms'"
`;

const A = ['a1,dept-a,a-sms-1,2025-03-02T09:00:00Z,200', 'a2,corp,corp-sms-1,2025-03-03T09:00:00Z,150'];
const B = ['b1,dept-b,b-sms-1,2025-03-04T09:00:00Z,120', 'b2,dept-a,a-sms-1,2025-03-05T09:00:00Z,5'];

async function runAll(dir: string, files: string[][]): Promise<{ store: StoreClient; total: string; rows: { udr_id: string; amount: string }[] }> {
  const store = await openStore({ dbDir: join(dir, 'ch') });
  await migrate(store);
  const pipeline = loadPipeline(join(dir, 'pipeline.yaml'));
  let i = 0;
  for (const lines of files) {
    const f = join(dir, `part-${i++}.csv`);
    writeFileSync(f, `${lines.join('\n')}\n`);
    const [input] = listInputs(f);
    // a new runner per file: the state must come from the store, not from memory
    await new EmbeddedRunner(pipeline, store).runFile(input!);
  }
  const rows = await queryRows<{ udr_id: string; amount: string }>(store, `SELECT udr_id, toString(sum(amount)) AS amount FROM charges FINAL GROUP BY udr_id ORDER BY udr_id`);
  const [t] = await queryRows<{ t: string }>(store, `SELECT toString(sum(amount)) AS t FROM charges FINAL`);
  return { store, total: t!.t, rows };
}

function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rs-state-'));
  writeFileSync(join(dir, 'sms.mediation.yaml'), RULES);
  copyFileSync(resolve('rules/rating/scenarios/sms-pool.catalog.yaml'), join(dir, 'catalog.yaml'));
  writeFileSync(join(dir, 'pipeline.yaml'), `kind: pipeline\nname: sms-pool\nfeed: sms\nmediation: sms.mediation.yaml\ncatalog: catalog.yaml\n`);
  return dir;
}

describe('embedded rating state across runs', () => {
  let open: StoreClient | undefined;
  afterAll(async () => {
    await open?.close();
  });

  it('file by file equals one run: the pool is not reset between runs', async () => {
    const one = await runAll(setup(), [[...A, ...B]]);
    await one.store.close();
    const split = await runAll(setup(), [A, B]);
    open = split.store;
    expect(split.rows).toEqual(one.rows);
    expect(split.total).toBe(one.total);
    // pool = 250 + 100 + 100 = 450 SMS; 475 sent → 25 over the pool at 0.05
    expect(parseMoney(split.total)).toBe(parseMoney('1.25'));
    // the pool balance reaches the finance tables (invoices, bucket.threshold_reached events read them)
    const pools = await queryRows<{ owner: string; period: string; size: string; used: string }>(split.store,
      `SELECT owner, period, toString(size) AS size, toString(used) AS used FROM pool_balances FINAL ORDER BY owner`);
    expect(pools).toEqual([{ owner: 'corp', period: '2025-03', size: '450', used: '450' }]);
  });
});
