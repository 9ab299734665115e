/**
 * JSON text pieces written by hand for the per-charge lineage, byte for byte what JSON.stringify writes (a test
 * compares them). JSON.stringify of the usage lineage object was the largest single cost of a charge (≈ 1.8 µs: the
 * object, its undefined fields, the nested segment array); concatenating known fields is a fraction of that.
 */

import type { TextPiece, TextSink } from '../core/types.ts';

/** a TextSink joining the pieces into one string (a lineage's text(), a cost's text) */
export class StringSink implements TextSink {
  s = '';
  text(s: string): void {
    this.s += s;
  }
  piece(p: TextPiece): void {
    this.s += p.s;
  }
  int(n: number): void {
    this.s += n;
  }
}

/** a TextPiece of `s` (its UTF-8 bytes encoded now, once) */
export function textPiece(s: string): TextPiece {
  return { s, b: Buffer.from(s, 'utf8') };
}

/** text that JSON writes as is between quotes (no quote, backslash, control char or surrogate) */
function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** JSON string literal of s (JSON.stringify(s)); plain text is copied as is */
export function jsonString(s: string): string {
  return plain(s) ? `"${s}"` : JSON.stringify(s);
}

/** JSON string literal of s without its quotes (to write between quotes of a constant piece): s itself when plain */
export function jsonInner(s: string): string {
  return plain(s) ? s : JSON.stringify(s).slice(1, -1);
}

/** JSON number text (JSON.stringify(n)): non-finite numbers are null */
export function jsonNumber(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}

/**
 * A string built by concatenation is a tree of pieces in V8 until something reads it; reading one character turns it
 * into one flat string, so a text kept for long (a charge's lineage, with the batch) holds its bytes only.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}
