/** TxnRole's skip of records below the committed offset (a batch delivered again after its commit). */
import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from '../../../engine/runtime/kafka/port.ts';
import { uncommitted } from '../../../engine/runtime/streaming/txn-role.ts';

const msgs = (from: number, n: number): ConsumedMessage[] =>
  Array.from({ length: n }, (_, i) => ({ offset: String(from + i), key: null, value: Buffer.from(`v${from + i}`), headers: {}, timestamp: '0' }));

describe('uncommitted', () => {
  it('keeps the whole batch (same array) when nothing is committed or the batch starts at the committed offset', () => {
    const b = msgs(10, 5);
    expect(uncommitted(b, -1n)).toBe(b);
    expect(uncommitted(b, 10n)).toBe(b);
    expect(uncommitted(b, 3n)).toBe(b);
  });

  it('drops exactly the records below the committed offset, including offsets past 2^53 and gaps (aborted records)', () => {
    expect(uncommitted(msgs(10, 5), 12n).map((m) => m.offset)).toEqual(['12', '13', '14']);
    expect(uncommitted(msgs(10, 5), 15n)).toEqual([]);
    expect(uncommitted(msgs(10, 5), 99n)).toEqual([]);
    const big = ['9007199254740993', '9007199254740995', '9007199254740999'].map((offset) => ({ ...msgs(0, 1)[0]!, offset }));
    expect(uncommitted(big, 9007199254740994n).map((m) => m.offset)).toEqual(['9007199254740995', '9007199254740999']);
  });
});
