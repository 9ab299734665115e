/** DLQ sinks and replay through the current rules; the UDR Avro schema matches the TS type and round-trips. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { Udr } from '../../../engine/core/types.ts';
import { dlqLine, rawFromReject, readDlq } from '../../../engine/runtime/sinks/dlq-codec.ts';
import { TopicDlq } from '../../../engine/runtime/sinks/dlq-topic.ts';
import { Mediator } from '../../../engine/mediation/mediator.ts';
import { CSV_RULES, compileText, tempDir } from './helpers.ts';

const root = resolve(import.meta.dirname, '../../..');

describe('DLQ', () => {
  it('Kafka sink: one message per reject on dlq.<feed>, key = source, reason/stage/feed/rules version/source headers', async () => {
    const sent: unknown[] = [];
    const sink = new TopicDlq({ connect: async () => {}, disconnect: async () => {}, send: async (recs) => { sent.push(...recs); return []; } });
    const r = new Mediator(compileText(CSV_RULES)).mediate([{ feed: 'cdr', source: 'f:1', text: 'a,V,acc,notanumber' }]);
    await sink.write(r.rejects);
    expect(sent).toMatchObject([{ topic: 'dlq.cdr', key: 'f:1', headers: { reason: 'INVALID_FIELD', stage: 'mediation', feed: 'cdr', rulesVersion: r.rejects[0]!.rulesVersion, source: 'f:1' } }]);
    const back = readDlq((sent[0] as { value: Buffer }).value.toString());
    expect(back.entries[0]!.raw).toBe('a,V,acc,notanumber');
  });

  it('replay-dlq re-runs rejects through the current rules and keeps what still fails', () => {
    const dir = tempDir();
    const rulesFile = join(dir, 'r.mediation.yaml');
    writeFileSync(rulesFile, CSV_RULES);
    writeFileSync(join(dir, 'p.yaml'), 'kind: pipeline\nname: p\nfeed: cdr\nmediation: r.mediation.yaml\n');
    const rejects = new Mediator(compileText(CSV_RULES)).mediate([
      { feed: 'cdr', source: 'f:1', text: 'a,V,acc,1.5' },
      { feed: 'cdr', source: 'f:2', text: 'b,V,acc,oops' },
    ]).rejects;
    expect(rejects.map((r) => r.reason)).toEqual(['INVALID_FIELD', 'INVALID_FIELD']);
    mkdirSync(join(dir, 'dlq'));
    const dlq = join(dir, 'dlq', 'cdr.jsonl');
    writeFileSync(dlq, `${rejects.map((r) => dlqLine(r)).join('\n')}\n`);
    // the fix: round fractional quantities
    writeFileSync(rulesFile, CSV_RULES.replace('number($qty)', "round(number($qty), 0, 'up')"));
    const r = spawnSync(process.execPath, [join(root, 'engine/cli/bin.mjs'), 'replay-dlq', '-p', join(dir, 'p.yaml'), '--dlq', dlq, '--write-back'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const udrs = r.stdout.trim().split('\n').map((l) => JSON.parse(l).udr as Udr);
    expect(udrs.map((u) => [u.id, u.quantity, u.source])).toEqual([['a', 2, 'f:1']]);
    expect(r.stderr).toMatch(/recovered 1 UDR\(s\), 1 still rejected/);
    const left = readDlq(readFileSync(dlq, 'utf8')).entries;
    expect(left.map((e) => [e.source, e.reason])).toEqual([['f:2', 'INVALID_FIELD']]);
    expect(rawFromReject(left[0]!).text).toBe('b,V,acc,oops');
  }, 30_000);
});

describe('UDR Avro schema', () => {
  it('schemas/udr.avsc has exactly the fields of the Udr type, and mediated UDRs round-trip through it', () => {
    const type = avro.Type.forSchema(JSON.parse(readFileSync(join(root, 'schemas/udr.avsc'), 'utf8')));
    const u = new Mediator(compileText(CSV_RULES)).mediate([{ feed: 'cdr', source: 'f:1', text: 'a,V,acc,7' }]).udrs[0]!;
    const keys: (keyof Udr)[] = ['id', 'feed', 'usageClass', 'account', 'service', 'ratingKey', 'startTime', 'quantity', 'unit', 'origin', 'destination', 'attrs', 'source', 'rulesVersion'];
    expect(Object.keys(u).sort()).toEqual([...keys].sort());
    expect((type as unknown as { fields: { name: string }[] }).fields.map((f) => f.name).sort()).toEqual([...keys].sort());
    expect(type.fromBuffer(type.toBuffer(u))).toEqual(u);
    expect(u.rulesVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(u.source).toBe('f:1');
  });
});
