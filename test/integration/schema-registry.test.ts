/**
 * Avro + Confluent wire format through the registry the global setup provides (Apicurio's ccompat API locally).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, readWireHeader } from '../../engine/runtime/kafka/schema-registry.ts';
import { schemaRegistryUrl, uniqueName } from '../setup/env.ts';

const udrV1 = {
  type: 'record',
  name: 'Udr',
  namespace: 'dev.ratestream.test',
  fields: [
    { name: 'recordId', type: 'string' },
    { name: 'account', type: 'string' },
    { name: 'quantity', type: 'long' },
    { name: 'startedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'amount', type: 'string' },
    { name: 'tags', type: { type: 'map', values: 'string' } },
    { name: 'parent', type: ['null', 'string'], default: null },
  ],
};
const udrV2 = { ...udrV1, fields: [...udrV1.fields, { name: 'unit', type: 'string', default: 'second' }] };

interface UdrV1 {
  recordId: string;
  account: string;
  quantity: number;
  startedAt: number;
  amount: string;
  tags: Record<string, string>;
  parent: string | null;
}

const sample: UdrV1 = {
  recordId: 'r-1',
  account: 'ACC-42',
  quantity: 125,
  startedAt: Date.parse('2025-01-02T03:04:05.678Z'),
  amount: '0.1250000000',
  tags: { cell: 'A17', roaming: 'no' },
  parent: null,
};

let registry: SchemaRegistry;

beforeAll(() => {
  registry = new SchemaRegistry({ url: schemaRegistryUrl() });
});

afterAll(async () => {
  await registry?.close();
});

describe('schema registry (Confluent wire format)', () => {
  it('registers, serializes to magic 0 + schema id + Avro, deserializes equal', async () => {
    const topic = uniqueName('sr-udr');
    const codec = await registry.codec<UdrV1>(topic, udrV1);
    expect(codec.subject).toBe(`${topic}-value`);
    expect(codec.schemaId).toBeGreaterThan(0);
    // registering the same schema again finds the same id
    expect(await registry.register(codec.subject, JSON.stringify(udrV1))).toBe(codec.schemaId);

    const bytes = await codec.serialize(sample);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(codec.schemaId);
    expect(readWireHeader(bytes).schemaId).toBe(codec.schemaId);
    expect({ ...(await codec.deserialize(bytes)) }).toEqual(sample);

    // the avsc hot path writes the same bytes and reads the library's
    expect(codec.encode(sample).equals(bytes)).toBe(true);
    expect({ ...(await codec.decode(bytes)) }).toEqual(sample);
    codec.close();
  });

  it('reads data written with an older schema version (v1 bytes, v2 reader fills the default)', async () => {
    const topic = uniqueName('sr-evolve');
    const v1 = await registry.codec<UdrV1>(topic, udrV1);
    const v2 = await registry.codec<UdrV1 & { unit: string }>(topic, udrV2);
    expect(v2.schemaId).not.toBe(v1.schemaId);
    const old = v1.encode(sample);
    expect({ ...(await v2.decode(old)) }).toEqual({ ...sample, unit: 'second' });
    // a fresh client finds the writer schema by id alone
    const other = new SchemaRegistry({ url: schemaRegistryUrl() });
    expect((await other.typeById(v1.schemaId)).name).toBe('dev.ratestream.test.Udr');
    await other.close();
    v1.close();
    v2.close();
  });

  it('rejects bytes that are not Confluent-framed', () => {
    expect(() => readWireHeader(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(/not Confluent wire format/);
    expect(() => readWireHeader(Buffer.from([0, 0]))).toThrow(/not Confluent wire format/);
  });
});

describe('charge codec with charging runs (schemas/charge.avsc)', () => {
  it('a run charge round-trips with run and billable; a charge written before runs reads as the default run', async () => {
    const { readFileSync } = await import('node:fs');
    const { CHARGE_SCHEMA_FILE, createCodecs } = await import('../../engine/runtime/streaming/codecs.ts');
    const { parseMoney } = await import('../../engine/core/money.ts');
    const topic = uniqueName('sr-rated-runs');
    const current = JSON.parse(readFileSync(CHARGE_SCHEMA_FILE, 'utf8')) as { fields: { name: string }[] };
    const before = { ...current, fields: current.fields.filter((f) => f.name !== 'run' && f.name !== 'billable') };
    const base = { id: 'c1', udrId: 'u1', feed: 'f', account: 'kpn', ratingKey: 'acme', service: '', usageClass: 'voice', kind: 'usage' as const,
      product: 'p', plan: 'wholesale-kpn', rateId: 'kpn-nl-mob', matched: '', quantity: 150000, unit: 'ms', currency: 'EUR', eventTime: 1, source: 's',
      rulesVersion: '', catalogVersion: '', lineage: '{}' };
    const old = await registry.codec<Record<string, unknown>>(topic, before);
    const oldBytes = old.encode({ ...base, amount: '0.0775' });
    const codecs = await createCodecs(registry, { udr: uniqueName('sr-udr-runs'), rated: topic });
    const wholesale = { ...base, amount: parseMoney('0.0775'), run: 'wholesale', billable: false };
    expect(await codecs.charge.decode(codecs.charge.encode(wholesale))).toEqual(wholesale);
    const legacy = await codecs.charge.decode(oldBytes);
    expect(legacy.amount).toBe(parseMoney('0.0775'));
    expect([legacy.run, legacy.billable]).toEqual([undefined, undefined]);
  });
});
