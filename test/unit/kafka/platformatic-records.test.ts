/**
 * read_committed filtering of the platformatic adapter: records of aborted transactions are dropped (also when one
 * producer aborted several transactions in one fetch, which @platformatic/kafka 1.35's own filter misses), control
 * batches are skipped but still move the next fetch offset, and records before the fetch offset are not repeated.
 */
import { describe, expect, it } from 'vitest';
import { IS_CONTROL, IS_TRANSACTIONAL } from '@platformatic/kafka';
import type { RecordsBatch } from '@platformatic/kafka';
import { decodePartition } from '../../../engine/runtime/kafka/platformatic-adapter.ts';

function batch(firstOffset: number, producerId: number, values: string[], attributes = IS_TRANSACTIONAL): RecordsBatch {
  return {
    firstOffset: BigInt(firstOffset), length: 0, partitionLeaderEpoch: 0, magic: 2, crc: 0, attributes,
    lastOffsetDelta: values.length - 1, firstTimestamp: 1000n, maxTimestamp: 1000n, producerId: BigInt(producerId),
    producerEpoch: 0, firstSequence: 0,
    records: values.map((v, i) => ({
      length: 0, attributes: 0, timestampDelta: BigInt(i), offsetDelta: i, key: Buffer.from(`k${v}`), value: Buffer.from(v),
      headers: [[Buffer.from('h'), Buffer.from(`h${v}`)]],
    })),
  };
}

function marker(offset: number, producerId: number, commit: boolean): RecordsBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  const b = batch(offset, producerId, ['m'], IS_TRANSACTIONAL | IS_CONTROL);
  b.records[0]!.key = key;
  return b;
}

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
});
