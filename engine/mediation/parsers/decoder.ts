/**
 * Bytes → text in front of every text framer (csv, fixed-width, json, xml; avro's base64 lines without the binary
 * check). Sources hand the framer the file's bytes as they come (`Framer.push(Uint8Array)`); this layer
 *  - decodes them in the feed's declared `encoding` (utf-8 by default), chunk by chunk, with a fast path that
 *    validates a whole chunk at once (buffer.isUtf8 / a fatal TextDecoder) and decodes byte by byte only a chunk
 *    that failed;
 *  - drops a byte-order mark at the start of the input (the first field would otherwise start with U+FEFF);
 *  - turns every record holding bytes invalid in the encoding into an INVALID_ENCODING reject that keeps the
 *    record's original bytes (never U+FFFD, never a character that silently vanishes from a phone number);
 *  - looks at the first block of the input and rejects a binary file (NUL bytes, mostly control or invalid bytes)
 *    as one BINARY_INPUT reject instead of framing it into hundreds of garbage records.
 * Invalid bytes travel through the text framer as lone surrogates U+DC00+byte ("surrogate escapes": valid decoded
 * text never holds a lone surrogate), so any framer finds its records and line numbers as usual and the records
 * that carry an escape are mapped back to their exact bytes here.
 * Text pushed as strings (rule tests, `FileMediation.text`) is already decoded: only the BOM and binary checks apply.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { z } from 'zod';
import type { RawRecord } from '../../core/types.ts';
import { type FileCheck, type Framer, type FramerOutput } from './types.ts';

export const ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'latin1', 'windows-1252', 'iso-8859-15', 'ascii'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** the `encoding` option every text parser has */
export const encodingOption = z.enum(ENCODINGS).default('utf-8')
  .describe('character encoding of the input bytes (a byte-order mark is dropped); bytes invalid in it make the record an INVALID_ENCODING reject that keeps the original bytes');

/** A framer over decoded text (what the format-specific framers implement). */
export interface TextFramer {
  push(text: string): FramerOutput;
  end(): FramerOutput & { check?: FileCheck };
}

/** bytes (or characters, for text pushed as strings) looked at before deciding whether the input is binary */
export const BINARY_SAMPLE = 8000;

const ESC = 0xdc00;
const escapeOf = (b: number) => String.fromCharCode(ESC + b);
/** a lone low surrogate (with the u flag a pair is one code point and does not match) */
const LONE = /[\uDC00-\uDCFF]/u;
/** JSON.stringify writes a lone surrogate as \udcXX (json document framing re-serializes its elements) */
const LONE_JSON = /\\udc[0-9a-f]{2}/i;

const WIN1252_80_9F = [0x20ac, -1, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, -1, 0x17d, -1,
  -1, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, -1, 0x17e, 0x178];
const ISO8859_15: Record<number, number> = { 0xa4: 0x20ac, 0xa6: 0x160, 0xa8: 0x161, 0xb4: 0x17d, 0xb8: 0x17e, 0xbc: 0x152, 0xbd: 0x153, 0xbe: 0x178 };

/** byte → code point (-1: invalid) for the single-byte encodings */
function singleByteTable(enc: Encoding): Int32Array {
  const t = new Int32Array(256);
  for (let b = 0; b < 256; b++) t[b] = b;
  if (enc === 'ascii') for (let b = 0x80; b < 256; b++) t[b] = -1;
  if (enc === 'windows-1252') for (let b = 0x80; b < 0xa0; b++) t[b] = WIN1252_80_9F[b - 0x80]!;
  if (enc === 'iso-8859-15') for (const [b, c] of Object.entries(ISO8859_15)) t[Number(b)] = c;
  return t;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** UTF-8 with surrogate escapes for every byte that is not part of a well-formed sequence */
function utf8Escaped(d: Buffer): string {
  let out = '';
  let run = 0;
  let i = 0;
  const n = d.length;
  while (i < n) {
    const b = d[i]!;
    if (b < 0x80) { i++; continue; }
    let len = 0, lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) { len = 3; if (b === 0xe0) lo = 0xa0; if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { len = 4; if (b === 0xf0) lo = 0x90; if (b === 0xf4) hi = 0x8f; }
    let ok = len > 0 && i + len <= n;
    for (let k = 1; ok && k < len; k++) {
      const c = d[i + k]!;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) ok = false;
    }
    if (ok) { i += len; continue; }
    out += d.toString('utf8', run, i) + escapeOf(b);
    i++;
    run = i;
  }
  return out + d.toString('utf8', run, n);
}

/** Stateful decoder of one input: chunks may split a character anywhere. */
export class ByteDecoder {
  private carry: Buffer | null = null;
  /** bytes escaped so far (invalid in the encoding) */
  invalid = 0;
  private readonly table?: Int32Array;
  private readonly fatal?: TextDecoder;

  constructor(readonly encoding: Encoding) {
    if (encoding === 'windows-1252' || encoding === 'iso-8859-15' || encoding === 'ascii') this.table = singleByteTable(encoding);
    if (encoding === 'utf-16le' || encoding === 'utf-16be') this.fatal = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  }

  /** decode the next chunk; `last` flushes an incomplete character (as escapes) */
  decode(chunk: Uint8Array, last = false): string {
    let d = asBuffer(chunk);
    if (this.carry) { d = Buffer.concat([this.carry, d]); this.carry = null; }
    const cut = last ? d.length : this.cutPoint(d);
    // copy what is kept: the caller may reuse its read buffer
    if (cut < d.length) this.carry = Buffer.from(d.subarray(cut));
    const part = cut < d.length ? d.subarray(0, cut) : d;
    return part.length ? this.decodePart(part) : '';
  }

  /** end of a chunk that can be decoded now (the rest waits for the next chunk) */
  private cutPoint(d: Buffer): number {
    const n = d.length;
    switch (this.encoding) {
      case 'utf-8': {
        for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
          const b = d[i]!;
          if ((b & 0xc0) === 0x80) continue; // continuation byte
          const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
          return n - i < need ? i : n;
        }
        return n;
      }
      case 'utf-16le':
      case 'utf-16be': {
        let cut = n - (n % 2);
        if (cut >= 2) {
          const u = this.encoding === 'utf-16le' ? d[cut - 2]! | (d[cut - 1]! << 8) : (d[cut - 2]! << 8) | d[cut - 1]!;
          if (u >= 0xd800 && u <= 0xdbff) cut -= 2; // high surrogate: its pair is in the next chunk
        }
        return cut;
      }
      default:
        return n;
    }
  }

  private decodePart(d: Buffer): string {
    switch (this.encoding) {
      case 'utf-8':
        if (isUtf8(d)) return d.toString('utf8');
        return this.counted(utf8Escaped(d));
      case 'latin1':
        return d.toString('latin1');
      case 'utf-16le':
      case 'utf-16be':
        try {
          return this.fatal!.decode(d);
        } catch {
          return this.counted(this.utf16Escaped(d));
        }
      default: {
        if (isAscii(d)) return d.toString('latin1');
        const t = this.table!;
        let out = '';
        for (let i = 0; i < d.length; i++) {
          const c = t[d[i]!]!;
          out += c < 0 ? escapeOf(d[i]!) : String.fromCharCode(c);
        }
        return this.counted(out);
      }
    }
  }

  private utf16Escaped(d: Buffer): string {
    const le = this.encoding === 'utf-16le';
    const unit = (i: number) => (le ? d[i]! | (d[i + 1]! << 8) : (d[i]! << 8) | d[i + 1]!);
    let out = '';
    let i = 0;
    for (; i + 1 < d.length; i += 2) {
      const u = unit(i);
      if (u >= 0xd800 && u <= 0xdbff && i + 3 < d.length) {
        const v = unit(i + 2);
        if (v >= 0xdc00 && v <= 0xdfff) { out += String.fromCharCode(u, v); i += 2; continue; }
      }
      if (u >= 0xd800 && u <= 0xdfff) out += escapeOf(d[i]!) + escapeOf(d[i + 1]!);
      else out += String.fromCharCode(u);
    }
    if (i < d.length) out += escapeOf(d[i]!); // an odd last byte
    return out;
  }

  private counted(s: string): string {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= ESC && c <= ESC + 0xff && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) this.invalid++;
    }
    return s;
  }

  /** the original bytes of decoded text (escapes back to their bytes) */
  encode(text: string): Buffer {
    const parts: Buffer[] = [];
    let run = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < ESC || c > ESC + 0xff || (i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) continue;
      if (i > run) parts.push(this.encodeValid(text.slice(run, i)));
      parts.push(Buffer.of(c - ESC));
      run = i + 1;
    }
    if (run < text.length) parts.push(this.encodeValid(text.slice(run)));
    return Buffer.concat(parts);
  }

  private encodeValid(s: string): Buffer {
    switch (this.encoding) {
      case 'utf-8': return Buffer.from(s, 'utf8');
      case 'utf-16le': return Buffer.from(s, 'utf16le');
      case 'utf-16be': return Buffer.from(s, 'utf16le').swap16();
      case 'latin1': return Buffer.from(s, 'latin1');
      default: {
        const t = this.table!;
        const back = new Map<number, number>();
        for (let b = 0; b < 256; b++) if (t[b]! >= 0) back.set(t[b]!, b);
        return Buffer.from(Array.from(s, (ch) => back.get(ch.charCodeAt(0)) ?? 0x3f));
      }
    }
  }
}

/**
 * One whole message (a Kafka value, an HTTP record) in `encoding`: its text (without a BOM), or undefined when it holds bytes
 * invalid in the encoding (the Mediator then rejects it as INVALID_ENCODING with the bytes kept).
 */
export function decodeMessage(bytes: Uint8Array, encoding: Encoding): string | undefined {
  const d = new ByteDecoder(encoding);
  const text = d.decode(bytes, true);
  if (d.invalid > 0) return undefined;
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Why the start of an input looks binary, or undefined for text. `text` is the decoded first block. */
export function binaryReason(text: string, encoding: Encoding, bytes?: Uint8Array): string | undefined {
  if (!text.length) return undefined;
  if (bytes && bytes.length >= 2 && encoding !== 'utf-16le' && encoding !== 'utf-16be') {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'it starts with a UTF-16LE byte-order mark (set `encoding: utf-16le`)';
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'it starts with a UTF-16BE byte-order mark (set `encoding: utf-16be`)';
  }
  let nul = -1, control = 0, invalid = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 && nul < 0) nul = i;
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 11 && c !== 0x1a) || c === 0x7f) control++;
    else if (c >= ESC && c <= ESC + 0xff) invalid++;
  }
  if (nul >= 0) {
    if (bytes && encoding === 'utf-8') {
      let odd = 0;
      for (let i = 1; i < Math.min(bytes.length, 512); i += 2) if (bytes[i] === 0) odd++;
      if (odd > Math.min(bytes.length, 512) / 4) return 'NUL bytes after every character: it looks like UTF-16LE text (set `encoding: utf-16le`)';
    }
    return `a NUL character at character ${nul + 1}`;
  }
  const share = (control + invalid) / text.length;
  if (share > 0.1) {
    return `${Math.round(share * 100)} % of its first ${text.length} characters are control characters or bytes invalid in ${encoding}`;
  }
  return undefined;
}

export interface DecodingOptions {
  encoding: Encoding;
  /** reject binary input as a whole (text formats); false for formats whose lines are base64 anyway */
  detectBinary: boolean;
}

function merge(into: FramerOutput, out: FramerOutput): void {
  for (const r of out.records) into.records.push(r);
  for (const [k, v] of out.ignored) into.ignored.set(k, (into.ignored.get(k) ?? 0) + v);
}

/**
 * The framer sources use: accepts the input's bytes (or decoded text) and hands decoded text to `inner`.
 * See the file comment for what it adds.
 */
export function decodingFramer(inner: TextFramer, file: string, feed: string, o: DecodingOptions): Framer {
  const dec = new ByteDecoder(o.encoding);
  let decided = false; // the first block was looked at (BOM, binary)
  let binary = false;
  let sampleBytes: Buffer[] = [];
  let sampleText = '';
  let sampleLen = 0;

  /** records that carry escapes become INVALID_ENCODING rejects with their original bytes */
  const checked = <T extends FramerOutput>(out: T): T => {
    if (dec.invalid === 0) return out;
    for (let i = 0; i < out.records.length; i++) {
      const r = out.records[i]!;
      if (r.binary || r.fault !== undefined) continue;
      if (LONE.test(r.text)) {
        const bytes = dec.encode(r.text);
        const at = [...r.text].findIndex((ch) => ch.length === 1 && LONE.test(ch));
        const rec: RawRecord = { feed: r.feed, source: r.source, text: '', binary: bytes };
        rec.fault = { reason: 'INVALID_ENCODING', message: `bytes invalid in ${o.encoding} (first at character ${at + 1}); the record keeps its original bytes (base64)` };
        out.records[i] = rec;
      } else if (LONE_JSON.test(r.text)) {
        r.fault = { reason: 'INVALID_ENCODING', message: `bytes invalid in ${o.encoding} inside the record (shown as \\udcXX escapes: XX is the byte)` };
      }
    }
    return out;
  };

  const feedText = (text: string, out: FramerOutput) => {
    if (text) merge(out, checked(inner.push(text)));
  };

  /** decide on the sample (BOM, binary), then frame it */
  const decide = (last: boolean, out: FramerOutput) => {
    decided = true;
    let text: string;
    let bytes: Buffer | undefined;
    if (sampleBytes.length) {
      bytes = Buffer.concat(sampleBytes);
      text = dec.decode(bytes, last);
    } else text = sampleText;
    sampleBytes = [];
    sampleText = '';
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
    const why = o.detectBinary ? binaryReason(text.slice(0, BINARY_SAMPLE), o.encoding, bytes) : undefined;
    if (why) {
      binary = true;
      const kept = bytes ? bytes.subarray(0, BINARY_SAMPLE) : Buffer.from(text.slice(0, BINARY_SAMPLE), 'utf8');
      const rec: RawRecord = { feed, source: `${file}:1`, text: '', binary: kept };
      rec.fault = { reason: 'BINARY_INPUT', message: `${file} is not text (${why}); the file was not parsed (its first ${kept.length} bytes are kept)` };
      out.records.push(rec);
      return;
    }
    feedText(text, out);
  };

  return {
    push(chunk) {
      const out: FramerOutput = { records: [], ignored: new Map() };
      if (binary) return out;
      if (!decided) {
        if (typeof chunk === 'string') sampleText += chunk;
        else sampleBytes.push(Buffer.from(chunk)); // a copy: the caller may reuse its buffer
        sampleLen += chunk.length;
        if (sampleLen >= BINARY_SAMPLE) decide(false, out);
        return out;
      }
      feedText(typeof chunk === 'string' ? chunk : dec.decode(chunk), out);
      return out;
    },
    end() {
      const out: FramerOutput & { check?: FileCheck } = { records: [], ignored: new Map() };
      if (!decided) decide(true, out);
      if (binary) return out;
      feedText(dec.decode(new Uint8Array(0), true), out);
      const e = checked(inner.end());
      merge(out, e);
      if (e.check) out.check = e.check;
      return out;
    },
  };
}
