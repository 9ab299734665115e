/** What a user meets with real files: `ratestream dry-run` on a BOM file, bytes invalid in the encoding, a binary file. */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../engine/core/types.ts';
import { FileSource } from '../../../engine/runtime/sources/file.ts';
import { compileText, tempDir } from './helpers.ts';

const root = resolve(import.meta.dirname, '../../..');
const dir = tempDir('rs-input-cli-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RULES = `kind: mediation
name: feed
parser: { type: csv, min-fields: 4, columns: [record_type, id, account, seconds] }
filters:
  - { name: only-type-6, keep: "$record_type == 6" }
usage-classes: [{ name: voice, when: "true" }]
mappings:
  - name: call
    fields: { id: "$id", account: "$account", startTime: "0", quantity: "duration($seconds, 's')", unit: "'ms'" }
`;
writeFileSync(join(dir, 'feed.mediation.yaml'), RULES);
writeFileSync(join(dir, 'p.yaml'), 'kind: pipeline\nname: p\nfeed: f\nmediation: feed.mediation.yaml\n');

// the same feed with header/trailer record types: field counts per record type instead of min-fields
writeFileSync(join(dir, 'typed.mediation.yaml'), RULES.replace('min-fields: 4, ', '').replace('filters:', `field-counts:
  by: "$record_type"
  types: { "6": 4, HDR: 2 }
filters:
  - { name: test-account, reject: "$account == 'TEST'", reason: UNKNOWN_ACCOUNT, message: "test traffic" }`));
writeFileSync(join(dir, 'typed.yaml'), 'kind: pipeline\nname: typed\nfeed: f\nmediation: typed.mediation.yaml\n');

function dryRun(file: string, bytes: Buffer, pipeline = 'p.yaml') {
  writeFileSync(join(dir, file), bytes);
  const r = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'dry-run', '-p', join(dir, pipeline), '-i', join(dir, file)], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { udr?: { id: string; account: string }; reject?: { reason: string; source: string; raw: string; message: string } }) };
}

describe('input files at the CLI', () => {
  it('a UTF-8 BOM does not make the first billable record vanish', () => {
    const r = dryRun('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('6,c1,ACME,60\n6,c2,ACME,30\n')]));
    expect(r.stderr).toMatch(/in=2 udrs=2 ignored=0 rejects=0/);
    expect(r.lines.map((l) => l.udr?.id)).toEqual(['c1', 'c2']);
  }, 60_000);

  it('bytes invalid in UTF-8 are an INVALID_ENCODING reject with the original bytes, not a vanished character', () => {
    const bad = Buffer.from([...Buffer.from('6,c2,+3161'), 0xff, ...Buffer.from('2345678,30')]);
    const r = dryRun('bad.csv', Buffer.concat([Buffer.from('6,c1,ACME,60\n'), bad, Buffer.from('\n')]));
    expect(r.stderr).toMatch(/in=2 udrs=1 ignored=0 rejects=1 \(INVALID_ENCODING=1\)/);
    const rej = r.lines.find((l) => l.reject)!.reject!;
    expect(rej.source).toMatch(/bad\.csv:2$/);
    expect(Buffer.from(rej.raw.replace(/^base64:/, ''), 'base64').equals(bad)).toBe(true);
  }, 60_000);

  it('a binary file is rejected whole with one clear reason', () => {
    const exe = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(3000, 0x0a), Buffer.alloc(3000, 0x2c), Buffer.alloc(3000, 0)]);
    const r = dryRun('a.out', exe);
    expect(r.stderr).toMatch(/in=1 udrs=0 ignored=0 rejects=1 \(BINARY_INPUT=1\)/);
    expect(r.lines[0]!.reject!.message).toMatch(/a\.out is not text \(a NUL character/);
  }, 60_000);
});

describe('replaying an INVALID_ENCODING reject after fixing the encoding', () => {
  it('recovers the record from the bytes the reject kept', () => {
    const bad = Buffer.from('6,c9,ACM\xC9,60', 'latin1');
    const r = dryRun('latin.csv', Buffer.concat([bad, Buffer.from('\n')]));
    const rej = r.lines.find((l) => l.reject)!.reject!;
    expect(rej.reason).toBe('INVALID_ENCODING');
    writeFileSync(join(dir, 'dlq.jsonl'), `${JSON.stringify({ ...rej, stage: 'mediation' })}\n`);
    writeFileSync(join(dir, 'latin.mediation.yaml'), RULES.replace('type: csv,', 'type: csv, encoding: latin1,'));
    writeFileSync(join(dir, 'latin.yaml'), 'kind: pipeline\nname: latin\nfeed: f\nmediation: latin.mediation.yaml\n');
    const replay = spawnSync(process.execPath, [resolve(root, 'engine/cli/bin.mjs'), 'replay-dlq', '-p', join(dir, 'latin.yaml'), '--dlq', join(dir, 'dlq.jsonl')], { cwd: dir, encoding: 'utf8' });
    expect(replay.stderr).toMatch(/recovered 1 UDR\(s\), 0 still rejected/);
    expect(JSON.parse(replay.stdout.trim()).udr.account).toBe('ACMÉ');
  }, 60_000);
});

describe('record types at the CLI', () => {
  it('min-fields rejects header and trailer; field-counts per type rejects only the truncated CDR; reject filters', () => {
    const file = Buffer.from('HDR,20261001\n6,c1,ACME,60\n6,c2\n6,c3,TEST,5\nTRL\n');
    const before = dryRun('typed.csv', file);
    expect(before.stderr).toMatch(/in=5 udrs=2 ignored=0 rejects=3 \(PARSE_ERROR=3\)/);
    const after = dryRun('typed.csv', file, 'typed.yaml');
    expect(after.stderr).toMatch(/in=5 udrs=1 ignored=2 \(only-type-6=2\) rejects=2 \(PARSE_ERROR=1,UNKNOWN_ACCOUNT=1\)/);
    expect(after.lines.filter((l) => l.reject).map((l) => l.reject!.message)).toEqual(['record type "6" needs at least 4 fields, found 2 (field-counts)', 'test traffic']);
  }, 60_000);
});

describe('the embedded source hands the framer bytes', () => {
  it('stdin with a BOM and a record split mid-character', async () => {
    const rules = compileText(RULES);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('6,c1,ACMÉ,60\n')]);
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 12), bytes.subarray(12)];
    const got: RawRecord[] = [];
    for await (const b of new FileSource([{ name: 'stdin', path: '-', bytes: 0 }], rules.parser, 'f', 100, undefined, Readable.from(chunks)).batches()) got.push(...b.records);
    expect(got.map((r) => r.text)).toEqual(['6,c1,ACMÉ,60']);
  });
});
