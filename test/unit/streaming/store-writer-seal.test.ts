import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Charge } from '../../../engine/core/types.ts';
import { generateDemoFeeds } from '../../../engine/demo/generate.ts';
import { Mediator } from '../../../engine/mediation/mediator.ts';
import { loadPipeline } from '../../../engine/pipeline/load.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { emptyRows, rowsByTable, sealRows, type StreamRows, writeStreamRows } from '../../../engine/runtime/streaming/store-writer.ts';
import type { StoreClient } from '../../../engine/store/client.ts';

const dir = mkdtempSync(join(tmpdir(), 'rs-seal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** an in-process store stand-in: every insert as (token, query without the file name, the Native file's bytes) */
function fakeStore(mode: 'embedded' | 'server' = 'embedded') {
  const inserts: { token: string; query: string; bytes: string }[] = [];
  const where = join(dir, `store-${Math.random().toString(36).slice(2)}`);
  const store = {
    mode, where, database: 'ratestream',
    client: {
      command: async ({ query, clickhouse_settings }: { query: string; clickhouse_settings: { insert_deduplication_token: string } }) => {
        const file = /file\('([^']+)'/.exec(query)?.[1];
        inserts.push({ token: clickhouse_settings.insert_deduplication_token, query: query.replace(/file\('[^']+'/, "file('…'"), bytes: file ? readFileSync(file).toString('base64') : '' });
      },
    },
    close: async () => undefined,
  } as unknown as StoreClient;
  return { store, inserts, where };
}

function demoRows(feeds: string[]): StreamRows {
  const p = loadPipeline(join(import.meta.dirname, '..', '..', '..', 'pipelines', 'demo-carrier.yaml'));
  const { carrierFiles } = generateDemoFeeds(join(dir, 'in'), { days: 1, perDay: 300 });
  const lines = readFileSync(carrierFiles[0]!, 'utf8').split('\n').slice(1).filter(Boolean);
  const udrs = new Mediator(p.mediation).mediate(lines.map((text, i) => ({ feed: p.config.feed, source: `raw/0/${i}`, text }))).udrs;
  const charges = new Rater(p.catalog!).rate(udrs).charges;
  const rows = emptyRows();
  rows.udrs = udrs;
  charges.forEach((c, i) => {
    const f = feeds[i % feeds.length]!;
    const l = rows.charges.get(f);
    if (l) l.push(c);
    else rows.charges.set(f, [c as Charge]);
  });
  return rows;
}

describe('sealRows: UDRs and charges as Native blocks ahead of the insert', () => {
  for (const feeds of [['carrier-cdr'], ['carrier-cdr', 'other-feed']]) {
    it(`the same inserts (bytes, dedup tokens, counts) as the object lists, also when retried (${feeds.length} feed(s))`, async () => {
      const plain = demoRows(feeds);
      const sealed = demoRows(feeds);
      expect(plain.udrs.length).toBeGreaterThan(100);
      const a = fakeStore();
      const b = fakeStore();
      const counts = rowsByTable(plain);
      sealRows(b.store, sealed);
      expect(sealed.udrs).toEqual([]);
      expect(sealed.charges.size).toBe(0);
      expect(rowsByTable(sealed)).toEqual(counts);
      await writeStreamRows(a.store, plain, 'rate:t:0:1-9');
      await writeStreamRows(b.store, sealed, 'rate:t:0:1-9');
      await writeStreamRows(b.store, sealed, 'rate:t:0:1-9'); // a retry: the same blocks again
      const key = (x: { token: string }) => x.token;
      const sorted = (l: typeof a.inserts) => [...l].sort((x, y) => key(x).localeCompare(key(y)));
      expect(a.inserts.length).toBe(feeds.length + 1);
      expect(sorted(b.inserts.slice(0, a.inserts.length))).toEqual(sorted(a.inserts));
      expect(sorted(b.inserts.slice(a.inserts.length))).toEqual(sorted(a.inserts));
      expect(readdirSync(join(b.where, 'user_files', 'ratestream-inserts'))).toEqual([]);
    });
  }

  it('leaves the rows as they are for a server (TSV inserts)', () => {
    const rows = demoRows(['carrier-cdr']);
    const n = rows.udrs.length;
    sealRows(fakeStore('server').store, rows);
    expect(rows.blocks).toBeUndefined();
    expect(rows.udrs.length).toBe(n);
  });
});
