/** ByteWriter: ClickHouse String/VarUInt and fixed-width integers, byte for byte. */
import { describe, expect, it } from 'vitest';
import { ByteWriter, varLen } from '../../../engine/store/bytes.ts';

/** reference VarUInt (LEB128) */
function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return out;
}

describe('ByteWriter', () => {
  it('writes VarUInts as LEB128', () => {
    for (const v of [0, 1, 127, 128, 16_383, 16_384, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      const w = new ByteWriter(16);
      w.varUInt(v);
      expect([...w.take()]).toEqual(leb(v));
      expect(varLen(v)).toBe(leb(v).length);
    }
  });

  it('writes Strings as byte length + UTF-8, also when the UTF-8 length needs a longer VarUInt than the char count', () => {
    // 'é' × 100: 100 chars (a 1-byte length) but 200 bytes (a 2-byte length); 'ab' × 8191 + '€': 16,383 chars, 16,385 bytes
    for (const s of ['', 'abc', 'x'.repeat(127), 'x'.repeat(128), 'é'.repeat(100), `${'ab'.repeat(8191)}€`, 'tab\t\n\\\'"\0', '日本語🙂']) {
      const w = new ByteWriter(4);
      w.string('first');
      w.string(s);
      const utf8 = Buffer.from(s, 'utf8');
      expect(w.take()).toEqual(Buffer.from([5, ...Buffer.from('first'), ...leb(utf8.length), ...utf8]));
    }
  });

  it('writes 64- and 128-bit two\'s complement integers little-endian', () => {
    const w = new ByteWriter(4);
    for (const v of [0, 1, -1, 2 ** 32, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) w.i64(v);
    const r = w.take();
    const back = [0, 1, 2, 3, 4, 5, 6].map((i) => r.readBigInt64LE(i * 8));
    expect(back).toEqual([0n, 1n, -1n, 2n ** 32n, -(2n ** 32n) - 1n, BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MIN_SAFE_INTEGER)]);
    // both paths of i128: |v| < 2^53 (two 32-bit halves of a number) and the bigint path, at and around the bound
    const S = BigInt(Number.MAX_SAFE_INTEGER);
    const big = [0n, 1n, -1n, 123_456_789_012n, -123_456_789_012n, 2n ** 32n, -(2n ** 32n), S, -S, S + 1n, -S - 1n, S + 2n, -S - 2n,
      2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 10n ** 37n, -(10n ** 37n) + 7n];
    const w2 = new ByteWriter(4);
    for (const v of big) w2.i128(v);
    const b = w2.take();
    expect(big.map((_, i) => BigInt.asIntN(128, b.readBigUInt64LE(i * 16) + (b.readBigUInt64LE(i * 16 + 8) << 64n)))).toEqual(big);
  });
});
