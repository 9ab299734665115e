/** Parser behaviour beyond the rule tests: trailer warn mode, Avro from Kafka bytes / local schema, JSON records path, chunked XML. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { CodedError } from '../../../engine/core/errors.ts';
import { encodeWire, staticSchemaResolver } from '../../../engine/mediation/parsers/avro.ts';
import { registryError } from '../../../engine/runtime/kafka/schema-registry.ts';
import { FileMediation } from '../../helpers/file-mediation.ts';
import { Mediator } from '../../../engine/mediation/mediator.ts';
import { compileText, tempDir, writeRules } from './helpers.ts';

const root = resolve(import.meta.dirname, '../../..');
const sample = readFileSync(join(root, 'rules/cgrates/fixtures/carrier-sample-bad-count.fwv'), 'utf8');

describe('fixed-width trailer', () => {
  it('on-trailer-mismatch: warn mediates the records and reports the failed check', async () => {
    const yaml = readFileSync(join(root, 'rules/cgrates/carrier-fwv.mediation.yaml'), 'utf8')
      .replace('on-trailer-mismatch: reject-file', 'on-trailer-mismatch: warn')
      .replace('../tables/nl-prefixes.csv', join(root, 'rules/tables/nl-prefixes.csv'));
    const fm = new FileMediation(compileText(yaml), 'fwv');
    await fm.text('bad.fwv', sample);
    const t = fm.finish();
    expect(t.udrs).toBe(5);
    expect(t.checks).toHaveLength(1);
    expect(t.checks[0]!.check.ok).toBe(false);
    expect(t.checks[0]!.check.message).toMatch(/warn only.*trailer count 6 != 5 records/);
  });
});

describe('avro', () => {
  const schema = JSON.parse(readFileSync(join(root, 'schemas/feeds/iot-session.avsc'), 'utf8'));
  const type = avro.Type.forSchema(schema);
  const value = { sessionId: 's-9', imsi: '204081234567890', iccid: null, mac: null, startMs: 1, uplinkBytes: 10, downlinkBytes: 20, apn: 'a', location: { mccMnc: '20408', cell: 1 } };
  const RULES = (parser: string) => `kind: mediation
name: a
parser: ${parser}
usage-classes: [{ name: iot, when: "true" }]
mappings:
  - name: m
    fields: { id: "$sessionId", account: "$location.mccMnc", startTime: "$startMs", quantity: "sum($uplinkBytes, $downlinkBytes)", unit: "'byte'" }
`;
  it('Kafka messages: bytes in RawRecord.binary, schema fetched once per id through the injected resolver', async () => {
    let calls = 0;
    const base = staticSchemaResolver({ 3: schema });
    const rules = compileText(RULES('{ type: avro }'), { schemaResolver: { typeById: (id) => { calls++; return base.typeById(id); } } });
    const batch = [1, 2, 3].map((i) => ({ feed: 'iot', source: `raw.iot/0/${i}`, text: '', binary: encodeWire(3, type.toBuffer({ ...value, sessionId: `s-${i}` })) }));
    batch.push({ feed: 'iot', source: 'raw.iot/0/4', text: '', binary: Buffer.from([1, 2, 3, 4, 5, 6]) });
    await rules.parser.prepare!(batch);
    const r = new Mediator(rules).mediate(batch);
    expect(calls).toBe(1);
    expect(r.udrs.map((u) => [u.id, u.quantity, u.account])).toEqual([['s-1', 30, '20408'], ['s-2', 30, '20408'], ['s-3', 30, '20408']]);
    expect(r.rejects[0]!.reason).toBe('PARSE_ERROR');
    expect(r.rejects[0]!.message).toMatch(/magic byte/);
    expect(r.rejects[0]!.raw).toBe(`base64:${Buffer.from([1, 2, 3, 4, 5, 6]).toString('base64')}`); // replayable bytes
  });
  it('registry down: prepare throws a retriable error (nothing rejected, nothing remembered) and the retried batch mediates; an unknown id is a reject', async () => {
    const base = staticSchemaResolver({ 3: schema });
    let down = true;
    const rules = compileText(RULES('{ type: avro }'), {
      schemaResolver: {
        typeById: async (id) => {
          if (down) throw new CodedError('SCHEMA_REGISTRY_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:1', true);
          if (id === 5) throw registryError(5, Object.assign(new Error('Schema not found'), { status: 404 }));
          return base.typeById(id);
        },
      },
    });
    const batch = [{ feed: 'iot', source: 'raw.iot/0/1', text: '', binary: encodeWire(3, type.toBuffer(value)) }, { feed: 'iot', source: 'raw.iot/0/2', text: '', binary: encodeWire(5, type.toBuffer(value)) }];
    const err = await rules.parser.prepare!(batch).then(() => undefined, (e: unknown) => e as CodedError);
    expect([err?.code, err?.retriable]).toEqual(['SCHEMA_REGISTRY_UNAVAILABLE', true]);
    expect(err?.message).toMatch(/ECONNREFUSED.*raw\.iot\/0\/1.*nothing was rejected/);
    down = false;
    await rules.parser.prepare!(batch);
    const r = new Mediator(rules).mediate(batch);
    expect(r.udrs.map((u) => u.id)).toEqual(['s-9']);
    expect(r.rejects.map((j) => [j.source, j.reason])).toEqual([['raw.iot/0/2', 'PARSE_ERROR']]);
    expect(r.rejects[0]!.message).toMatch(/schema id 5 could not be resolved: schema id 5 is not in the schema registry \(HTTP 404/);
  });
  it('registry errors: no answer, a timeout or 5xx is retriable, 404 is not', () => {
    const cases: [unknown, string, boolean][] = [
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8081'), { code: 'ECONNREFUSED', isAxiosError: true }), 'SCHEMA_REGISTRY_UNAVAILABLE', true],
      [Object.assign(new Error('timeout of 10000ms exceeded'), { code: 'ECONNABORTED' }), 'SCHEMA_REGISTRY_UNAVAILABLE', true],
      [Object.assign(new Error('Service Unavailable'), { status: 503 }), 'SCHEMA_REGISTRY_UNAVAILABLE', true],
      [Object.assign(new Error('Too many'), { status: 429 }), 'SCHEMA_REGISTRY_UNAVAILABLE', true],
      [Object.assign(new Error('Schema 9 not found'), { status: 404 }), 'UNKNOWN_SCHEMA_ID', false],
    ];
    for (const [e, code, retriable] of cases) expect([registryError(9, e).code, registryError(9, e).retriable]).toEqual([code, retriable]);
  });
  it('a local .avsc works without a registry', () => {
    const dir = tempDir();
    const f = writeRules(RULES(`{ type: avro, registry: false, schema: ${join(root, 'schemas/feeds/iot-session.avsc')} }`), dir);
    const rules = compileText(readFileSync(f, 'utf8'));
    const r = new Mediator(rules).mediate([{ feed: 'iot', source: 'f:1', text: encodeWire(42, type.toBuffer(value)).toString('base64') }]);
    expect(r.udrs[0]!.quantity).toBe(30);
  });
});

describe('json and xml framing', () => {
  it('JSON document with a records path gives one record per element with a JSON pointer', async () => {
    const rules = compileText(`kind: mediation
name: j
parser: { type: json, framing: document, records: data.cdrs }
usage-classes: [{ name: x, when: "true" }]
mappings:
  - name: m
    fields: { id: "$id", account: "$who.account", startTime: "0", quantity: "$n", unit: "'event'" }
`);
    const udrs: { id: string; source: string }[] = [];
    const fm = new FileMediation(rules, 'j', { udr: (u) => udrs.push(u) });
    await fm.text('doc.json', JSON.stringify({ data: { cdrs: [{ id: 'a', who: { account: 'A' }, n: 1 }, { id: 'b', who: { account: 'B' }, n: 2 }] } }));
    expect(udrs.map((u) => [u.id, u.source])).toEqual([['a', 'doc.json#/data/cdrs/0'], ['b', 'doc.json#/data/cdrs/1']]);
    const fm2 = new FileMediation(rules, 'j');
    await fm2.text('doc.json', '{"data": {}}');
    expect(fm2.finish().rejectsBy).toEqual({ PARSE_ERROR: 1 });
  });

  it('XML records split across chunks keep their start line; an oversize element is rejected, not buffered forever', async () => {
    const rules = compileText(`kind: mediation
name: x
parser: { type: xml, element: r, max-record-bytes: 200 }
usage-classes: [{ name: x, when: "true" }]
mappings:
  - name: m
    fields: { id: "$@id", account: "$a", startTime: "0", quantity: "$q", unit: "'event'" }
`);
    const doc = `<root>\n<r id="1"><a>A</a><q>1</q></r>\n<r id="2">\n<a>B</a><q>2</q>\n</r>\n<r id="3"><a>${'x'.repeat(500)}</a></r>\n<r id="4"><a>D</a><q>4</q></r></root>`;
    const udrs: { id: string; source: string }[] = [];
    const rejects: { reason: string; source: string }[] = [];
    const fm = new FileMediation(rules, 'x', { udr: (u) => udrs.push(u), reject: (r) => rejects.push(r) });
    const framer = rules.parser.createFramer('d.xml', 'x');
    const outs = [];
    for (let i = 0; i < doc.length; i += 7) outs.push(framer.push(doc.slice(i, i + 7)));
    outs.push(framer.end());
    for (const o of outs) await fm.records(o.records);
    fm.finish();
    expect(udrs.map((u) => [u.id, u.source])).toEqual([['1', 'd.xml:2'], ['2', 'd.xml:3'], ['4', 'd.xml:7']]);
    expect(rejects).toMatchObject([{ reason: 'OVERSIZE', source: 'd.xml:6' }]);
  });
});
