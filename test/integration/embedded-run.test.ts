/** The embedded path for real: CSV file → mediation → rating → the in-process ClickHouse engine (chDB). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMoney } from '../../engine/core/money.ts';
import { loadPipeline } from '../../engine/pipeline/load.ts';
import { EmbeddedRunner } from '../../engine/runtime/embedded-runner.ts';
import { listInputs } from '../../engine/runtime/sources/file.ts';
import { openStore, queryRows, type StoreClient } from '../../engine/store/client.ts';
import { migrate } from '../../engine/store/migrate.ts';

const HEADER = 'record_type,record_id,event_type,calling,called,sms_peer,start_time,duration_s,bytes_up,bytes_down,cell_id';
// ACME's first subscriber (rules/demo/msisdn.csv): +31638782185, plan mobile-business
const LINES = [
  HEADER,
  '6,T1,VOICE,06 3878 2185,+31201234567,,2026-10-05 10:00:00,95,,,c1', // 30s/6s: 96 s × 0.09/60 + 0.02 = 0.1640
  '6,T2,VOICE,+31638782185,+442071234567,,2026-10-05 11:00:00,61,,,c1', // 60s/60s: 120 s × 0.35/60 = 0.7000
  '6,T3,SMS-MO,+31638782185,+31201234567,,2026-10-05 12:00:00,,,,c1', // 0.0750
  '6,T4,DATA,+31638782185,,,2026-10-05 13:00:00,60,500000,1000000,c1', // 1.5 MB × 0.012 = 0.0180
  '1,T5,SWITCH-EVENT,,,,2026-10-05 13:00:00,,,,c1', // ignored by the record-type filter
  '6,T6,VOICE,+31699999999,+31201234567,,2026-10-05 14:00:00,10,,,c1', // unknown subscriber
  '6,T7,VOICE,broken', // malformed
  '6,T1,VOICE,06 3878 2185,+31201234567,,2026-10-05 10:00:00,95,,,c1', // duplicate of T1
];

describe('embedded run on the in-process ClickHouse engine', () => {
  let dir: string;
  let store: StoreClient;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-embedded-'));
    writeFileSync(join(dir, 'cdrs.csv'), `${LINES.join('\n')}\n`);
    store = await openStore({ dbDir: join(dir, 'ch') });
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('rates exact amounts, accounts for every record, and is idempotent', async () => {
    const pipeline = loadPipeline('pipelines/demo-carrier.yaml');
    const runner = new EmbeddedRunner(pipeline, store);
    const [input] = listInputs(join(dir, 'cdrs.csv'));
    const first = await runner.runFile(input!);
    const c = first.counters;
    expect(first.skipped).toBe(false);
    expect(c.records).toBe(9);
    expect(c.udrs).toBe(4);
    expect(c.ignored).toEqual({ header: 1, 'only-record-type-6': 1, duplicate: 1 });
    expect(c.rejected).toEqual({ UNKNOWN_ACCOUNT: 1, PARSE_ERROR: 1 });
    expect(c.records).toBe(c.udrs + 3 + 2); // in = UDRs + ignored + rejected
    expect(formatMoney(c.amounts.EUR!, 4)).toBe('0.9570');

    const rows = await queryRows<{ udr_id: string; amount: string; rate_id: string }>(store,
      `SELECT udr_id, toString(amount) AS amount, rate_id FROM charges FINAL WHERE source LIKE '%cdrs.csv%' ORDER BY udr_id`);
    expect(rows).toEqual([
      { udr_id: 'T1', amount: '0.164', rate_id: 'voice-nl' },
      { udr_id: 'T2', amount: '0.7', rate_id: 'voice-intl' },
      { udr_id: 'T3', amount: '0.075', rate_id: 'sms' },
      { udr_id: 'T4', amount: '0.018', rate_id: 'data' },
    ]);
    const rejects = await queryRows<{ reason: string; source: string }>(store, `SELECT reason, source FROM rejects ORDER BY source`);
    expect(rejects.map((r) => [r.reason, r.source.replace(/^.*cdrs/, 'cdrs')])).toEqual([
      ['UNKNOWN_ACCOUNT', 'cdrs.csv:7'],
      ['PARSE_ERROR', 'cdrs.csv:8'],
    ]);

    // second run of the same content: skipped by checkpoint, same counters, no new rows
    const again = await new EmbeddedRunner(pipeline, store).runFile(input!);
    expect(again.skipped).toBe(true);
    expect(again.counters.amounts).toEqual(c.amounts);
    const [n] = await queryRows<{ n: string }>(store, `SELECT count() AS n FROM charges WHERE source LIKE '%cdrs.csv%'`);
    expect(Number(n!.n)).toBe(4);
  });

  it('reads stdin and dedups a replayed batch at the store', async () => {
    const pipeline = loadPipeline('pipelines/demo-carrier.yaml');
    const text = `${HEADER}\n6,S1,SMS-MT,+31638782185,,+4930123456,2026-10-06 09:00:00,,,,c9\n`;
    for (let i = 0; i < 2; i++) {
      const r = await new EmbeddedRunner(pipeline, store).runFile({ name: 'stdin', path: '-', bytes: 0 }, Readable.from([text]));
      expect(r.counters.udrs).toBe(1);
    }
    const [n] = await queryRows<{ n: string }>(store, `SELECT count() AS n FROM charges WHERE udr_id = 'S1'`);
    expect(Number(n!.n)).toBe(1);
  });
});
