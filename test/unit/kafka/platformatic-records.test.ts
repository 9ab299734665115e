/**
 * read_committed filtering of the platformatic adapter's fetch decoder (record-batch.ts decodeRecordBatches, fed the
 * raw record bytes of a Fetch response): records of aborted transactions are dropped (also when one producer aborted
 * several transactions in one fetch, which @platformatic/kafka 1.35's own filter misses), control batches are skipped
 * but still move the next fetch offset, records before the fetch offset are not repeated, and a batch cut off at the
 * end of the response is left for the next fetch.
 */
import { describe, expect, it } from 'vitest';
import { crc32c } from '@platformatic/kafka';
import { decodeRecordBatches, encodeRecordBatch } from '../../../engine/runtime/kafka/record-batch.ts';

const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
const decode = { decompress: (): Buffer => { throw new Error('no compression in these tests'); } };

function batch(firstOffset: number, producerId: number, values: string[], attributes = IS_TRANSACTIONAL): Buffer {
  const b = encodeRecordBatch(
    values.map((v, i) => ({ topic: 't', key: `k${v}`, value: Buffer.from(v), headers: { h: `h${v}` }, timestamp: String(1000 + i) })),
    { producerId: BigInt(producerId), producerEpoch: 0, baseSequence: 0, transactional: (attributes & IS_TRANSACTIONAL) !== 0, now: 1000, crc32c: (x) => crc32c(x) },
  );
  b.writeBigInt64BE(BigInt(firstOffset), 0);
  b.writeInt16BE(b.readInt16BE(21) | (attributes & IS_CONTROL), 21);
  return b;
}

function marker(offset: number, producerId: number, commit: boolean): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  const b = encodeRecordBatch([{ topic: 't', key, value: Buffer.alloc(6) }], { producerId: BigInt(producerId), producerEpoch: 0, baseSequence: -1, transactional: true, now: 1000, crc32c: (x) => crc32c(x) });
  b.writeBigInt64BE(BigInt(offset), 0);
  b.writeInt16BE(b.readInt16BE(21) | IS_CONTROL, 21);
  return b;
}

const decodePartition = (batches: Buffer[], aborted: Array<{ producerId: bigint; firstOffset: bigint }>, from: bigint, readCommitted: boolean) =>
  decodeRecordBatches(Buffer.concat(batches), aborted, from, readCommitted, decode);

describe('platformatic adapter: record batches to messages', () => {
  const log = [
    batch(0, 7, ['a1', 'a2']), marker(2, 7, false), // aborted
    batch(3, 7, ['c1']), marker(4, 7, true), // committed
    batch(5, 8, ['x1']), // another producer, committed below
    batch(6, 7, ['a3']), marker(7, 7, false), // aborted again, same producer
    marker(8, 8, true),
    batch(9, 9, ['plain'], 0), // not transactional
  ];
  const aborted = [{ producerId: 7n, firstOffset: 0n }, { producerId: 7n, firstOffset: 6n }];

  it('drops every aborted transaction of a producer and keeps committed and plain records', () => {
    const { messages, next } = decodePartition(log, aborted, 0n, true);
    expect(messages.map((m) => [m.offset, m.value?.toString(), m.key?.toString(), m.headers.h?.toString()])).toEqual([
      ['3', 'c1', 'kc1', 'hc1'],
      ['5', 'x1', 'kx1', 'hx1'],
      ['9', 'plain', 'kplain', 'hplain'],
    ]);
    expect(next).toBe(10n);
  });

  it('read_uncommitted keeps aborted records; control batches are never messages', () => {
    const { messages } = decodePartition(log, [], 0n, false);
    expect(messages.map((m) => m.value?.toString())).toEqual(['a1', 'a2', 'c1', 'x1', 'a3', 'plain']);
  });

  it('skips records of a batch that start before the fetch offset', () => {
    const { messages, next } = decodePartition([batch(10, 1, ['p', 'q', 'r'], 0)], [], 11n, true);
    expect(messages.map((m) => [m.offset, m.timestamp])).toEqual([['11', '1001'], ['12', '1002']]);
    expect(next).toBe(13n);
  });

  it('leaves a batch cut off at the end of the response for the next fetch', () => {
    const whole = Buffer.concat([batch(0, 1, ['a', 'b'], 0), batch(2, 1, ['c'], 0)]);
    const { messages, next } = decodeRecordBatches(whole.subarray(0, whole.length - 5), [], 0n, true, decode);
    expect(messages.map((m) => m.value?.toString())).toEqual(['a', 'b']);
    expect(next).toBe(2n);
  });
});
