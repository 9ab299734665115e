/** `ratestream explain` on a record that made no UDR says why: ignored by which filter, rejected with which reason. */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.ts';

const root = resolve(import.meta.dirname, '../../..');
const dir = tempDir('rs-explain-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'p.yaml'), `kind: pipeline
name: p
feed: carrier-cdr
mediation: ${resolve(root, 'rules/demo/carrier-cdr.mediation.yaml')}
catalog: ${resolve(root, 'rules/demo/catalog.yaml')}
`);
writeFileSync(join(dir, 'cdr.csv'), [
  'record_type,record_id,event_type,calling,called,sms_peer,start_time,duration_s,bytes_up,bytes_down,cell_id',
  '1,e1,SWITCH-EVENT,,,,2026-10-01 10:00:00,,,,c1',
  '6,v1,VOICE,0638782185,0201234567,,2026-10-01 10:00:00,60,,,c1',
  '6,v2,VOICE,0638782185,0201234567,,not-a-time,60,,,c1',
  '6,v1,VOICE,0638782185,0201234567,,2026-10-01 10:00:00,60,,,c1',
  '',
].join('\n'));

const explain = (ref: string) => {
  const r = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'explain', '-p', 'p.yaml', '-i', 'cdr.csv', ref], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
};

describe('explain on a record without a UDR', () => {
  it('ignored by a filter, rejected, a duplicate, a header line', () => {
    expect(explain('cdr.csv:2')).toEqual({ status: 0, out: 'record cdr.csv:2 was ignored by filter only-record-type-6', err: '' });
    const rej = explain('cdr.csv:4');
    expect(rej.out).toMatch(/^record cdr\.csv:4 was rejected: INVALID_FIELD: .*not-a-time/);
    expect(explain('cdr.csv:5').out).toBe('record cdr.csv:5 was ignored as a duplicate (its record id was seen earlier in the input)');
    expect(explain('cdr.csv:1').out).toMatch(/^record cdr\.csv:1 is not a record of the feed: the framer consumed line 1 .*header=1/);
    const ok = explain('cdr.csv:3');
    expect(ok.status).toBe(0);
    expect(ok.out).toMatch(/^UDR v1 \(cdr\.csv:3\)/);
  }, 120_000);
});
