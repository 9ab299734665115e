/**
 * The first 12 bytes of SHA-1 (FIPS 180-4) of `a + b`, as 24 lowercase hex digits: the same text as
 * `crypto.hash('sha1', a + b).slice(0, 24)`. Computed here for ASCII input of one block (≤ 55 characters: the UTF-8
 * bytes are the char codes), so a charge id needs no joined input string, no native call and no 40-digit text it is
 * sliced from (one 24-char string is made); longer input or any other character goes to node:crypto.
 */
import { hash } from 'node:crypto';

const W = new Int32Array(80);
const HEX_CODE = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

export function sha1Hex24(a: string, b: string): string {
  const la = a.length;
  const len = la + b.length;
  // one 64-byte block: message, 0x80, zeros, the bit length in the last word
  if (len > 55) return hash('sha1', a + b).slice(0, 24);
  const w = W;
  for (let t = 0; t < 16; t++) w[t] = 0;
  for (let i = 0; i < la; i++) {
    const c = a.charCodeAt(i);
    if (c > 127) return hash('sha1', a + b).slice(0, 24);
    w[i >> 2] |= c << (24 - ((i & 3) << 3));
  }
  for (let i = la; i < len; i++) {
    const c = b.charCodeAt(i - la);
    if (c > 127) return hash('sha1', a + b).slice(0, 24);
    w[i >> 2] |= c << (24 - ((i & 3) << 3));
  }
  w[len >> 2] |= 0x80 << (24 - ((len & 3) << 3));
  w[15] = len * 8;
  let h0 = 0x67452301, h1 = 0xefcdab89 | 0, h2 = 0x98badcfe | 0, h3 = 0x10325476, h4 = 0xc3d2e1f0 | 0;
  {
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    let A = h0, B = h1, C = h2, D = h3, E = h4;
    for (let t = 0; t < 20; t++) {
      const T = (((A << 5) | (A >>> 27)) + ((B & C) | (~B & D)) + E + w[t]! + 0x5a827999) | 0;
      E = D; D = C; C = (B << 30) | (B >>> 2); B = A; A = T;
    }
    for (let t = 20; t < 40; t++) {
      const T = (((A << 5) | (A >>> 27)) + (B ^ C ^ D) + E + w[t]! + 0x6ed9eba1) | 0;
      E = D; D = C; C = (B << 30) | (B >>> 2); B = A; A = T;
    }
    for (let t = 40; t < 60; t++) {
      const T = (((A << 5) | (A >>> 27)) + ((B & C) | (B & D) | (C & D)) + E + w[t]! + (0x8f1bbcdc | 0)) | 0;
      E = D; D = C; C = (B << 30) | (B >>> 2); B = A; A = T;
    }
    for (let t = 60; t < 80; t++) {
      const T = (((A << 5) | (A >>> 27)) + (B ^ C ^ D) + E + w[t]! + (0xca62c1d6 | 0)) | 0;
      E = D; D = C; C = (B << 30) | (B >>> 2); B = A; A = T;
    }
    h0 = (h0 + A) | 0; h1 = (h1 + B) | 0; h2 = (h2 + C) | 0; h3 = (h3 + D) | 0; h4 = (h4 + E) | 0;
  }
  const x = HEX_CODE;
  // 24 hex digits of h0, h1, h2 (96 bits) as one flat string
  return String.fromCharCode(
    x[(h0 >>> 28) & 15]!, x[(h0 >>> 24) & 15]!, x[(h0 >>> 20) & 15]!, x[(h0 >>> 16) & 15]!, x[(h0 >>> 12) & 15]!, x[(h0 >>> 8) & 15]!, x[(h0 >>> 4) & 15]!, x[h0 & 15]!,
    x[(h1 >>> 28) & 15]!, x[(h1 >>> 24) & 15]!, x[(h1 >>> 20) & 15]!, x[(h1 >>> 16) & 15]!, x[(h1 >>> 12) & 15]!, x[(h1 >>> 8) & 15]!, x[(h1 >>> 4) & 15]!, x[h1 & 15]!,
    x[(h2 >>> 28) & 15]!, x[(h2 >>> 24) & 15]!, x[(h2 >>> 20) & 15]!, x[(h2 >>> 16) & 15]!, x[(h2 >>> 12) & 15]!, x[(h2 >>> 8) & 15]!, x[(h2 >>> 4) & 15]!, x[h2 & 15]!,
  );
}
