/**
 * The platformatic adapter's own record-batch encoder and murmur2 (engine/runtime/kafka/record-batch.ts) against
 * @platformatic/kafka's decoder, CRC32C and BigInt murmur2: the bytes must read back as the same records, the CRC must
 * match the batch, and keys must land on the same partitions as the library (and so Java and kafkajs) place them.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Reader, crc32c, murmur2 as libraryMurmur2, readRecordsBatch } from '@platformatic/kafka';
import { encodeRecordBatch, murmur2, partitionOfKey } from '../../../engine/runtime/kafka/record-batch.ts';
import type { ProducerRecord } from '../../../engine/runtime/kafka/port.ts';

const records: ProducerRecord[] = [
  { topic: 't', key: 'subscriber-1', value: Buffer.from('{"a":1}'), headers: { feed: 'bench', seq: Buffer.from([0, 1, 2]) }, timestamp: '1796400000000' },
  { topic: 't', key: null, value: Buffer.alloc(300, 7), timestamp: '1796400000123' }, // 2-byte varint length
  { topic: 't', key: Buffer.from([0xff, 0x00]), value: null, headers: { 'ключ': 'значение' }, timestamp: '1796399999000' }, // tombstone, negative delta
];
const options = { producerId: 4711n, producerEpoch: 3, baseSequence: 42, transactional: true, now: 1796400000000, crc32c: (b: Buffer) => crc32c(b) };

describe('record batch encoder', () => {
  it('reads back with the library decoder: header fields, every record, and a matching CRC32C', () => {
    const buf = encodeRecordBatch(records, options);
    const batch = readRecordsBatch(Reader.from(buf));
    expect(batch.length).toBe(buf.length - 12);
    expect(batch.magic).toBe(2);
    expect(batch.crc).toBe(crc32c(buf.subarray(21)));
    expect(batch.attributes).toBe(1 << 4);
    expect([batch.lastOffsetDelta, batch.producerId, batch.producerEpoch, batch.firstSequence]).toEqual([2, 4711n, 3, 42]);
    expect([batch.firstTimestamp, batch.maxTimestamp]).toEqual([1796400000000n, 1796400000123n]);
    expect(batch.records.map((r) => [r.offsetDelta, r.timestampDelta, r.key?.toString('hex') ?? null, r.value?.toString('hex') ?? null])).toEqual([
      [0, 0n, Buffer.from('subscriber-1').toString('hex'), Buffer.from('{"a":1}').toString('hex')],
      [1, 123n, null, Buffer.alloc(300, 7).toString('hex')],
      [2, -1000n, 'ff00', null],
    ]);
    expect(batch.records.map((r) => r.headers.map(([k, v]) => [k!.toString(), v!.toString('hex')]))).toEqual([
      [['feed', Buffer.from('bench').toString('hex')], ['seq', '000102']],
      [],
      [['ключ', Buffer.from('значение').toString('hex')]],
    ]);
  });

  it('non-transactional without a producer id: attributes 0, sequence -1; records without a timestamp get `now`', () => {
    const buf = encodeRecordBatch([{ topic: 't', key: 'k', value: Buffer.from('v') }], { ...options, producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false });
    const batch = readRecordsBatch(Reader.from(buf));
    expect([batch.attributes, batch.producerId, batch.producerEpoch, batch.firstSequence, batch.firstTimestamp]).toEqual([0, -1n, -1, -1, 1796400000000n]);
  });

  it('gzip: the records section is compressed, the header says so and the CRC covers the compressed bytes', () => {
    const buf = encodeRecordBatch(records, { ...options, compression: 'gzip' });
    const batch = readRecordsBatch(Reader.from(buf));
    expect(batch.attributes).toBe((1 << 4) | 1);
    expect(batch.crc).toBe(crc32c(buf.subarray(21)));
    expect(gunzipSync(buf.subarray(61)).length).toBeGreaterThan(300);
    expect(batch.records.map((r) => r.value?.length ?? null)).toEqual([7, 300, null]);
  });
});

describe('murmur2 partitioner', () => {
  it('equals the library\'s BigInt murmur2 for keys of every length mod 4, and the Java partition formula', () => {
    const keys: Buffer[] = [Buffer.alloc(0)];
    for (let i = 0; i < 2000; i++) keys.push(Buffer.from(`subscriber-${String(i * 7919).padStart(i % 23, '0')}${'é'.repeat(i % 3)}`));
    for (let i = 0; i < 200; i++) keys.push(Buffer.from(Array.from({ length: i % 37 }, (_, j) => (i * 31 + j * 17) & 0xff)));
    for (const k of keys) {
      expect(murmur2(k)).toBe(libraryMurmur2(k));
      expect(partitionOfKey(k, 12)).toBe((libraryMurmur2(k) & 0x7fffffff) % 12);
    }
  });
});
