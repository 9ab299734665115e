/**
 * A growable byte writer over one off-heap Buffer: little-endian integers, ClickHouse varints and UTF-8 text written
 * in place (no intermediate strings or arrays). Reused between batches with reset(): the buffer is kept.
 */
import type { TextPiece, TextSink } from '../core/types.ts';

const TWO32 = 2 ** 32;

/**
 * UTF-8 bytes of `s` at `at` (room checked by the caller): Buffer's own utf8Write, without the argument checks and
 * encoding lookup of `Buffer#write` (its JS wrapper cost more than the encoding itself for short strings)
 */
const utf8 = (b: Buffer, s: string, at: number): number => (b as Buffer & { utf8Write(s: string, at: number, max: number): number }).utf8Write(s, at, b.length - at);

export class ByteWriter implements TextSink {
  buf: Buffer;
  pos = 0;

  constructor(initialBytes = 1 << 12) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  /** make room for `n` more bytes; returns the (possibly new) buffer */
  room(n: number): Buffer {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    return this.buf;
  }

  u8(v: number): void {
    this.room(1)[this.pos++] = v;
  }

  /** unsigned LEB128 (ClickHouse VarUInt), v < 2^53 */
  varUInt(v: number): void {
    const b = this.room(8);
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  u32(v: number): void {
    const b = this.room(4);
    put32(b, this.pos, v);
    this.pos += 4;
  }

  /** a 64-bit integer from a safe JS integer (|v| < 2^53), two's complement for negatives */
  i64(v: number): void {
    const b = this.room(8);
    const hi = Math.floor(v / TWO32);
    const p = this.pos;
    put32(b, p, v - hi * TWO32);
    put32(b, p + 4, hi);
    this.pos = p + 8;
  }

  /** a 128-bit two's complement integer */
  i128(v: bigint): void {
    const n = Number(v);
    // |v| < 2^53 (every everyday amount at 10 decimals up to ≈ 900,000): two 32-bit halves of a number, no bigint
    // arithmetic (writeBigInt64LE shifts and masks bigints: garbage per value)
    if (Number.isSafeInteger(n)) {
      this.room(16);
      this.i64(n);
      const b = this.buf;
      const fill = n < 0 ? 0xff : 0;
      const p = this.pos;
      for (let i = 0; i < 8; i++) b[p + i] = fill;
      this.pos = p + 8;
      return;
    }
    const b = this.room(16);
    if (v >= -0x8000000000000000n && v < 0x8000000000000000n) {
      b.writeBigInt64LE(v, this.pos);
      b.fill(v < 0n ? 0xff : 0, this.pos + 8, this.pos + 16);
    } else {
      b.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
      b.writeBigUInt64LE(BigInt.asUintN(64, v >> 64n), this.pos + 8);
    }
    this.pos += 16;
  }

  /** a ClickHouse String: VarUInt byte length, then the UTF-8 bytes */
  string(s: string): void {
    const n = s.length;
    if (n <= 24) {
      // short ASCII text: a loop beats a call into the UTF-8 encoder; the length is the char count (one byte)
      const b = this.room(n + 1);
      let p = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        b[this.pos] = n;
        this.pos = p;
        return;
      }
    }
    this.longString(s);
  }

  private longString(s: string): void {
    // the byte length lies in [n, 3n]: write the text after a length of the width n needs, move it if the real length needs another
    const n = s.length;
    const b = this.room(n * 3 + 8);
    const k = varLen(n);
    const start = this.pos + k;
    const len = utf8(b, s, start);
    const kk = varLen(len);
    if (kk !== k) b.copyWithin(this.pos + kk, start, start + len);
    this.varUInt(len);
    this.pos += len;
  }

  /**
   * a ClickHouse String written in pieces by `src` (text() / int() into this writer): no string of the whole value
   * is built. Room for a 2-byte length (values under 16 KiB) is left before the text; the text moves if its length
   * takes another width.
   */
  stringFrom(src: { writeTo(out: TextSink): void }): void {
    this.room(2);
    const start = this.pos;
    this.pos = start + 2;
    src.writeTo(this);
    const len = this.pos - start - 2;
    const k = varLen(len);
    if (k !== 2) {
      this.room(k);
      this.buf.copyWithin(start + k, start + 2, start + 2 + len);
    }
    this.pos = start;
    this.varUInt(len);
    this.pos = start + k + len;
  }

  /** UTF-8 bytes of `s`, no length (a piece of a stringFrom value) */
  text(s: string): void {
    const n = s.length;
    const b = this.room(n * 3);
    const start = this.pos;
    if (n <= 24) {
      // short text: a loop beats a call into the UTF-8 encoder while it is ASCII (else the encoder writes it all)
      let p = start;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          this.pos = start + utf8(b, s, start);
          return;
        }
        b[p++] = c;
      }
      this.pos = p;
      return;
    }
    this.pos = start + utf8(b, s, start);
  }

  /** the bytes of a constant piece, no length (a piece of a stringFrom value): a copy, no UTF-8 encoding */
  piece(p: TextPiece): void {
    const b = p.b;
    this.room(b.length).set(b, this.pos);
    this.pos += b.length;
  }

  /** the decimal text of a safe integer (`${n}`), no length (a piece of a stringFrom value) */
  int(n: number): void {
    this.pos = putDigits(this.room(17), this.pos, n);
  }

  /** the bytes written so far (a view: write no more into this writer while it is read) */
  take(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}

/**
 * the low 32 bits of integer `v` (unsigned or signed 32-bit range) little-endian at `p`, byte by byte: plain
 * element stores the JIT inlines (no call into the Buffer method with its checks)
 */
function put32(b: Buffer, p: number, v: number): void {
  b[p] = v & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
  b[p + 2] = (v >>> 16) & 0xff;
  b[p + 3] = v >>> 24;
}

/** `${n}` of a safe integer `n` into `b` at `p` (room for 17 bytes); returns the position after it */
export function putDigits(b: Uint8Array, p: number, n: number): number {
  if (n < 0) {
    b[p++] = 0x2d;
    n = -n;
  }
  if (n < 10) {
    b[p] = 0x30 + n;
    return p + 1;
  }
  let k = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) k++;
  const end = p + k;
  for (let q = end; q > p;) {
    const d = Math.floor(n / 10);
    b[--q] = 0x30 + (n - d * 10);
    n = d;
  }
  return end;
}

/** bytes a VarUInt of `v` takes */
export function varLen(v: number): number {
  let k = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    k++;
  }
  return k;
}
