/**
 * Hand-written Avro binary encode/decode of a UDR, for exactly the schema it was written for (schemas/udr.avsc: the
 * canonical fingerprint below plus the field defaults), byte-for-byte what avsc writes and reads for it
 * (test/unit/streaming/udr-wire.test.ts checks both ways). `udrWireFor(type)` answers undefined for any other schema, and
 * the codec then stays on avsc (codecs.ts): a changed udr.avsc keeps working, only slower until this file follows it.
 *
 * Why: on the serve hot path a UDR is encoded once (mediate) and decoded twice (rate, sink). avsc's generic path builds
 * a Tap per call, a record-class instance, a native utf8Slice per string field and validates through per-type
 * methods; here it is one straight-line function per direction, with short ASCII strings (almost every field) written
 * in JS, and the values that repeat from record to record (feed, usage class, account, unit, rules version, attrs
 * keys, ...) read from a tiny intern table instead of allocating a fresh string each time.
 *
 * Same semantics as avsc: `undefined` in a field with a default (service, origin, destination, attrs) writes the
 * default; a missing required field or a value of the wrong type throws; a long must be an integer within ±(2^53 - 2) (avsc's range); strings with
 * lone surrogates are written as avsc writes them (its short-string loop: 3-byte sequences; longer: U+FFFD); decoding
 * throws `truncated buffer` / `trailing data` as avsc's fromBuffer does.
 */
import type { Type } from 'avsc';
import type { Udr } from '../../core/types.ts';

/** sha256 of avsc's canonical schema (`Type#fingerprint('sha256')`) of schemas/udr.avsc */
export const UDR_WIRE_FINGERPRINT = '01a270e87138eadf99d363c3f4fb0326c401b00ee532882e3d5d04d3d5fa2777';
/** the defaults the encoder writes for an undefined field (not part of the canonical form, so checked apart) */
const DEFAULTS: Record<string, string> = { service: '""', origin: '""', destination: '""', attrs: '{}' };

/** the hand codec when `type` is exactly the UDR schema it was written for, else undefined */
export function udrWireFor(type: Type): UdrWire | undefined {
  if (type.fingerprint('sha256').toString('hex') !== UDR_WIRE_FINGERPRINT) return undefined;
  const fields = (type as unknown as { fields: { name: string; defaultValue(): unknown }[] }).fields;
  for (const f of fields) {
    const d = f.defaultValue();
    if ((d === undefined ? undefined : JSON.stringify(d)) !== DEFAULTS[f.name]) return undefined;
  }
  return new UdrWire();
}

/** Buffer's string methods without argument checks (avsc uses them the same way) */
type RawBuffer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string; utf8Write(s: string, offset: number, length: number): number };

const invalid = (field: string, v: unknown): never => {
  throw new Error(`invalid "${field}": ${JSON.stringify(v)}`);
};

/** interned short ASCII strings: slot by (length, first, middle, last byte); the bytes are compared in full */
const INTERN_MAX = 24;
const INTERN_SLOTS = 1024;

export class UdrWire {
  private readonly internStr: (string | undefined)[] = new Array(INTERN_SLOTS);
  /** the interned strings' bytes, INTERN_MAX per slot */
  private readonly internBytes = new Uint8Array(INTERN_SLOTS * INTERN_MAX);

  /** an upper bound of the encoded body's size (UTF-8 ≤ 3 bytes per UTF-16 unit, a length ≤ 5 bytes, a long ≤ 10) */
  maxSize(u: Udr): number {
    let n = 20 + 14 * 5 + slen(u.id) + slen(u.feed) + slen(u.usageClass) + slen(u.account) + slen(u.service) + slen(u.ratingKey) + slen(u.unit)
      + slen(u.origin) + slen(u.destination) + slen(u.source) + slen(u.rulesVersion) + 10;
    const a = u.attrs;
    if (a !== undefined && a !== null && typeof a === 'object') for (const k in a) n += slen(k) + slen(a[k]) + 10;
    return n;
  }

  /**
   * Writes the body at `pos` (room for `maxSize(u)` bytes assumed); returns the end. Throws on an invalid value
   * (the bytes written so far are garbage then).
   */
  write(u: Udr, buf: Uint8Array, pos: number): number {
    pos = str(buf, pos, u.id, 'id');
    pos = str(buf, pos, u.feed, 'feed');
    pos = str(buf, pos, u.usageClass, 'usageClass');
    pos = str(buf, pos, u.account, 'account');
    pos = str(buf, pos, u.service === undefined ? '' : u.service, 'service');
    pos = str(buf, pos, u.ratingKey, 'ratingKey');
    pos = long(buf, pos, u.startTime, 'startTime');
    pos = long(buf, pos, u.quantity, 'quantity');
    pos = str(buf, pos, u.unit, 'unit');
    pos = str(buf, pos, u.origin === undefined ? '' : u.origin, 'origin');
    pos = str(buf, pos, u.destination === undefined ? '' : u.destination, 'destination');
    const a = u.attrs;
    if (a !== undefined) {
      if (!a || typeof a !== 'object' || Array.isArray(a)) invalid('attrs', a);
      const keys = Object.keys(a);
      if (keys.length) {
        pos = writeLong(buf, pos, keys.length);
        for (const k of keys) {
          pos = str(buf, pos, k, 'attrs');
          pos = str(buf, pos, a[k]!, 'attrs');
        }
      }
    }
    buf[pos++] = 0; // end of the map's blocks (an empty map: just this)
    pos = str(buf, pos, u.source, 'source');
    return str(buf, pos, u.rulesVersion, 'rulesVersion');
  }

  /** the body as one Buffer (what avsc's `toBuffer` gives) */
  toBuffer(u: Udr): Buffer {
    const b = Buffer.allocUnsafe(this.maxSize(u));
    return b.subarray(0, this.write(u, b, 0));
  }

  /** reads a body spanning buf[pos, end) exactly (avsc's `fromBuffer` on that slice) */
  read(buf: Buffer, pos: number, end: number): Udr {
    const r = new Reader(buf, pos, end, this);
    const u: Udr = {
      id: r.str(false),
      feed: r.str(true),
      usageClass: r.str(true),
      account: r.str(true),
      service: r.str(true),
      ratingKey: r.str(true),
      startTime: r.long(),
      quantity: r.long(),
      unit: r.str(true) as Udr['unit'],
      origin: r.str(false),
      destination: r.str(false),
      attrs: r.map(),
      source: r.str(false) as Udr['source'],
      rulesVersion: r.str(true),
    };
    if (r.pos > end) throw new Error('truncated buffer');
    if (r.pos < end) throw new Error('trailing data');
    return u;
  }

  /** a short ASCII string of buf[pos, pos + n) (n ≤ INTERN_MAX), from the intern table when it is there */
  interned(buf: Buffer, pos: number, n: number): string {
    const slot = (n * 31 + buf[pos]! * 7 + buf[pos + (n >> 1)]! * 131 + buf[pos + n - 1]! * 17) & (INTERN_SLOTS - 1);
    const s = this.internStr[slot];
    const ib = this.internBytes;
    const o = slot * INTERN_MAX;
    if (s !== undefined && s.length === n) {
      let i = 0;
      while (i < n && ib[o + i] === buf[pos + i]) i++;
      if (i === n) return s;
    }
    const t = (buf as RawBuffer).latin1Slice(pos, pos + n);
    this.internStr[slot] = t;
    for (let i = 0; i < n; i++) ib[o + i] = buf[pos + i]!;
    return t;
  }
}

const slen = (s: unknown): number => (typeof s === 'string' ? s.length * 3 + 5 : 0);

/** zigzag varint, as avsc's Tap#writeLong */
function writeLong(buf: Uint8Array, pos: number, n: number): number {
  if (n >= -1073741824 && n < 1073741824) {
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    while (m > 0x7f) {
      buf[pos++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    buf[pos++] = m;
    return pos;
  }
  let f = n >= 0 ? n * 2 : -n * 2 - 1;
  while (f >= 128) {
    buf[pos++] = (f % 128) | 0x80;
    f = Math.floor(f / 128);
  }
  buf[pos++] = f;
  return pos;
}

/** avsc's safe long range (its isSafeLong) */
const MAX_LONG = 9007199254740990;

function long(buf: Uint8Array, pos: number, n: unknown, field: string): number {
  if (typeof n !== 'number' || n % 1 || !(n >= -MAX_LONG && n <= MAX_LONG)) invalid(field, n);
  return writeLong(buf, pos, n as number);
}

/** a string: length (zigzag varint of its UTF-8 byte count), then the bytes; as avsc's Tap#writeString */
function str(buf: Uint8Array, pos: number, s: unknown, field: string): number {
  if (typeof s !== 'string') return invalid(field, s);
  const n = s.length;
  if (n < 64) {
    // the common case: ASCII, one length byte
    let p = pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (i === n) {
      buf[pos] = n << 1;
      return p;
    }
  }
  const len = Buffer.byteLength(s);
  pos = writeLong(buf, pos, len);
  if (len > 64) return pos + (buf as RawBuffer).utf8Write(s, pos, len);
  // avsc's short-string loop (same bytes for lone surrogates)
  for (let i = 0; i < n; i++) {
    let c1 = s.charCodeAt(i);
    let c2: number;
    if (c1 < 0x80) buf[pos++] = c1;
    else if (c1 < 0x800) {
      buf[pos++] = (c1 >> 6) | 0xc0;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    } else if ((c1 & 0xfc00) === 0xd800 && ((c2 = s.charCodeAt(i + 1)) & 0xfc00) === 0xdc00) {
      c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
      i++;
      buf[pos++] = (c1 >> 18) | 0xf0;
      buf[pos++] = ((c1 >> 12) & 0x3f) | 0x80;
      buf[pos++] = ((c1 >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    } else {
      buf[pos++] = (c1 >> 12) | 0xe0;
      buf[pos++] = ((c1 >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    }
  }
  return pos;
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
    private readonly wire: UdrWire,
  ) {}

  /** zigzag varint, as avsc's Tap#readLong (past the end: NaN, caught by the callers' bounds checks) */
  long(): number {
    const buf = this.buf;
    let b = buf[this.pos++]!;
    if (b < 0x80) return (b >> 1) ^ -(b & 1);
    let n = b & 0x7f;
    let k = 7;
    let h: number;
    do {
      b = buf[this.pos++]!;
      h = b & 0x80;
      n |= (b & 0x7f) << k;
      k += 7;
    } while (h && k < 28);
    if (h) {
      let f = n;
      let fk = 268435456;
      do {
        b = buf[this.pos++]!;
        f += (b & 0x7f) * fk;
        fk *= 128;
      } while (b & 0x80);
      return (f % 2 ? -(f + 1) : f) / 2;
    }
    return (n >> 1) ^ -(n & 1);
  }

  /** `intern`: a field whose values repeat from record to record (feed, unit, account, attrs keys, ...) */
  str(intern: boolean): string {
    const len = this.long();
    const pos = this.pos;
    if (!(len >= 0) || pos + len > this.end) throw new Error('truncated buffer');
    this.pos = pos + len;
    const buf = this.buf;
    if (len === 0) return '';
    if (intern && len <= INTERN_MAX) {
      let i = pos;
      const e = pos + len;
      while (i < e && buf[i]! < 0x80) i++;
      if (i === e) return this.wire.interned(buf, pos, len);
    }
    return (buf as RawBuffer).utf8Slice(pos, pos + len);
  }

  map(): Record<string, string> {
    const val: Record<string, string> = {};
    for (;;) {
      let n = this.long();
      if (n === 0) return val;
      if (!(n === n)) throw new Error('truncated buffer');
      if (n < 0) {
        n = -n;
        this.long(); // the block's byte size
      }
      while (n--) {
        const key = this.str(true);
        val[key] = this.str(false);
      }
    }
  }
}
