/**
 * Kafka record batches (magic v2) encoded straight from port records into ONE Buffer, and the Java-compatible murmur2
 * partitioner on 32-bit integer arithmetic. Used by the platformatic adapter's produce path (issue 10, Kafka-client
 * per-record costs): @platformatic/kafka 1.35 builds every record as a chain of small Buffers (one per varint), copies
 * them together twice (for the CRC and for the request) and hashes keys with BigInt arithmetic; here a batch is one
 * allocation sized in a first pass, key/value/header bytes are copied once, and the CRC32C runs over that buffer.
 *
 * Layout (https://kafka.apache.org/documentation/#recordbatch): baseOffset int64, batchLength int32,
 * partitionLeaderEpoch int32, magic int8 = 2, crc uint32 (CRC32C of attributes … end), attributes int16,
 * lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
 * baseSequence int32, records count int32, records. A record: length varint, attributes int8, timestampDelta varlong,
 * offsetDelta varint, key (varint length or -1, bytes), value (same), header count varint, headers (key: varint
 * length + UTF-8, value: varint length or -1 + bytes). Varints are zigzag-encoded.
 */
import { gzipSync } from 'node:zlib';
import type { ConsumedMessage, KafkaHeadersIn, KafkaHeadersOut, ProducerRecord } from './port.ts';

/** bytes before the CRC-covered part: baseOffset, batchLength, partitionLeaderEpoch, magic, crc */
const PRE_CRC = 8 + 4 + 4 + 1 + 4;
/** attributes … records count */
const HEADER_AFTER_CRC = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
export const RECORD_BATCH_OVERHEAD = PRE_CRC + HEADER_AFTER_CRC;

const ATTR_GZIP = 1;
const ATTR_TRANSACTIONAL = 1 << 4;
const IS_TRANSACTIONAL_ATTR = ATTR_TRANSACTIONAL;

export interface RecordBatchOptions {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
  compression?: 'none' | 'gzip';
  /** default timestamp of records without one (epoch ms) */
  now: number;
  /** CRC32C over a contiguous buffer */
  crc32c: (data: Buffer) => number;
}

const zigzag32 = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0;

function varUintSize(v: number): number {
  // v < 2^53, non-negative
  let size = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

const varIntSize = (n: number) => varUintSize(zigzag32(n));
/** zigzag for a safe integer (64-bit varlong) without BigInt */
const zigzag64 = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);

function writeVarUint(buf: Buffer, o: number, v: number): number {
  while (v >= 128) {
    buf[o++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[o++] = v;
  return o;
}

interface Encoded {
  key: Buffer | null;
  /** header keys and values as bytes (strings encoded once) */
  headers: Array<[Buffer, Buffer]> | null;
  timestamp: number;
  bodySize: number;
}

const toBytes = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

function headerList(h: KafkaHeadersIn | undefined): Array<[Buffer, Buffer]> | null {
  if (!h) return null;
  const out: Array<[Buffer, Buffer]> = [];
  for (const k in h) out.push([Buffer.from(k), toBytes(h[k]!)]);
  return out.length ? out : null;
}

/**
 * One record batch holding `records` (all of one topic-partition), offsets 0…n-1 relative to the batch, as one Buffer.
 * Record timestamps are epoch-ms decimal strings (default `options.now`).
 */
export function encodeRecordBatch(records: readonly ProducerRecord[], options: RecordBatchOptions): Buffer {
  const n = records.length;
  if (n === 0) throw new Error('kafka: a record batch needs at least one record');
  const enc: Encoded[] = new Array(n);
  let baseTs = 0;
  let maxTs = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const ts = r.timestamp === undefined ? options.now : Number(r.timestamp);
    if (i === 0) baseTs = maxTs = ts;
    else if (ts > maxTs) maxTs = ts;
    enc[i] = { key: r.key === null ? null : toBytes(r.key), headers: headerList(r.headers), timestamp: ts, bodySize: 0 };
  }
  let recordsSize = 0;
  for (let i = 0; i < n; i++) {
    const e = enc[i]!;
    const value = records[i]!.value;
    let size = 1 + varUintSize(zigzag64(e.timestamp - baseTs)) + varIntSize(i);
    size += e.key === null ? 1 : varIntSize(e.key.length) + e.key.length;
    size += value === null ? 1 : varIntSize(value.length) + value.length;
    const hs = e.headers;
    size += varIntSize(hs ? hs.length : 0);
    if (hs) for (const [k, v] of hs) size += varIntSize(k.length) + k.length + varIntSize(v.length) + v.length;
    e.bodySize = size;
    recordsSize += varIntSize(size) + size;
  }
  const gzip = options.compression === 'gzip';
  let recordsBuf: Buffer;
  let out: Buffer;
  let o: number;
  if (gzip) {
    recordsBuf = Buffer.allocUnsafe(recordsSize);
    o = 0;
  } else {
    out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + recordsSize);
    recordsBuf = out;
    o = RECORD_BATCH_OVERHEAD;
  }
  const buf = recordsBuf;
  for (let i = 0; i < n; i++) {
    const e = enc[i]!;
    const value = records[i]!.value;
    o = writeVarUint(buf, o, zigzag32(e.bodySize));
    buf[o++] = 0; // attributes
    o = writeVarUint(buf, o, zigzag64(e.timestamp - baseTs));
    o = writeVarUint(buf, o, zigzag32(i));
    if (e.key === null) buf[o++] = 1; // zigzag(-1)
    else {
      o = writeVarUint(buf, o, zigzag32(e.key.length));
      o += e.key.copy(buf, o);
    }
    if (value === null) buf[o++] = 1;
    else {
      o = writeVarUint(buf, o, zigzag32(value.length));
      o += value.copy(buf, o);
    }
    const hs = e.headers;
    o = writeVarUint(buf, o, zigzag32(hs ? hs.length : 0));
    if (hs) {
      for (const [k, v] of hs) {
        o = writeVarUint(buf, o, zigzag32(k.length));
        o += k.copy(buf, o);
        o = writeVarUint(buf, o, zigzag32(v.length));
        o += v.copy(buf, o);
      }
    }
  }
  let attributes = options.transactional ? ATTR_TRANSACTIONAL : 0;
  if (gzip) {
    const compressed = gzipSync(recordsBuf);
    attributes |= ATTR_GZIP;
    out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + compressed.length);
    compressed.copy(out, RECORD_BATCH_OVERHEAD);
  }
  out = out!;
  let h = 0;
  h = out.writeBigInt64BE(0n, h); // baseOffset
  h = out.writeInt32BE(out.length - 12, h); // batchLength: from partitionLeaderEpoch on
  h = out.writeInt32BE(0, h); // partitionLeaderEpoch (as @platformatic/kafka sends it)
  h = out.writeInt8(2, h); // magic
  const crcAt = h;
  h += 4;
  h = out.writeInt16BE(attributes, h);
  h = out.writeInt32BE(n - 1, h); // lastOffsetDelta
  h = out.writeBigInt64BE(BigInt(baseTs), h);
  h = out.writeBigInt64BE(BigInt(maxTs), h);
  h = out.writeBigInt64BE(options.producerId, h);
  h = out.writeInt16BE(options.producerEpoch, h);
  h = out.writeInt32BE(options.baseSequence, h);
  out.writeInt32BE(n, h); // records count
  out.writeUInt32BE(options.crc32c(out.subarray(crcAt + 4)), crcAt);
  return out;
}

// ------------------------------------------------------------------------------------------------------------------
// partitioner

/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) on 32-bit arithmetic (Math.imul), as a signed int32.
 * Same result as @platformatic/kafka's BigInt version and kafkajs' DefaultPartitioner.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The Java client's default partition of a key: positive murmur2 modulo the partition count. */
export function partitionOfKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

// ------------------------------------------------------------------------------------------------------------------
// fetched record batches → port messages

/** read position of the varint readers below (module-level: no object per read) */
let at = 0;

function readVarUint(buf: Buffer): number {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = buf[at++]!;
    v += (b & 127) * mul;
    if (b < 128) return v;
    mul *= 128;
  }
}

/** zigzag varint / varlong as a Number (exact below 2^53) */
function readVarInt(buf: Buffer): number {
  const z = readVarUint(buf);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

function readBytes(buf: Buffer): Buffer | null {
  const n = readVarInt(buf);
  if (n < 0) return null;
  const b = buf.subarray(at, at + n);
  at += n;
  return b;
}

const ATTR_COMPRESSION = 0b111;
const ATTR_CONTROL = 1 << 5;
const CONTROL_ABORT = 0;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const EMPTY = Buffer.alloc(0);
/** shared by every record without headers: frozen, so a consumer cannot add to another record's headers */
const NO_HEADERS: KafkaHeadersOut = Object.freeze({}) as KafkaHeadersOut;

export interface DecodeOptions {
  /** decompresses a compressed records section (attributes & 7 = codec: 1 gzip, 2 snappy, 3 lz4, 4 zstd) */
  decompress: (codec: number, data: Buffer) => Buffer;
}

/**
 * Messages of one partition's fetched bytes (record batches as the broker sent them) at or after `from`, and the next
 * offset to fetch. Straight from the bytes into port messages: keys, values and header values are views of the
 * response (no copy), offsets and timestamps Numbers where exact. A batch cut off at the end of the response (the
 * broker fills up to the size limit) is left for the next fetch. Under read_committed, records of aborted transactions
 * are dropped: an aborted transaction listed by the broker (producer id, first offset) covers that producer's
 * transactional batches from its first offset up to its abort marker (Java client algorithm).
 */
export function decodeRecordBatches(
  buf: Buffer,
  aborted: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }>,
  from: bigint,
  readCommitted: boolean,
  options: DecodeOptions,
): { messages: ConsumedMessage[]; next: bigint } {
  const pending = readCommitted ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : [];
  const abortedProducers = new Set<bigint>();
  const messages: ConsumedMessage[] = [];
  let next = from;
  let o = 0;
  while (buf.length - o >= 12) {
    const firstOffset = buf.readBigInt64BE(o);
    const end = o + 12 + buf.readInt32BE(o + 8);
    if (end > buf.length) break; // partial batch at the end of the response
    const magic = buf[o + 16];
    if (magic !== 2) throw new Error(`kafka: record batch magic ${magic} at offset ${firstOffset} is not supported (v2 only)`);
    const attributes = buf.readInt16BE(o + 21);
    const lastOffsetDelta = buf.readInt32BE(o + 23);
    const firstTimestamp = buf.readBigInt64BE(o + 27);
    const maxTimestamp = buf.readBigInt64BE(o + 35);
    const producerId = buf.readBigInt64BE(o + 43);
    const count = buf.readInt32BE(o + 57);
    const batchStart = o;
    o = end;
    const last = firstOffset + BigInt(lastOffsetDelta);
    if (last + 1n > next) next = last + 1n;
    if (readCommitted) {
      while (pending.length > 0 && pending[0]!.firstOffset <= last) abortedProducers.add(pending.shift()!.producerId);
    }
    const codec = attributes & ATTR_COMPRESSION;
    let rec = buf;
    at = batchStart + 61;
    if (codec !== 0) {
      rec = options.decompress(codec, buf.subarray(batchStart + 61, end));
      at = 0;
    }
    if (attributes & ATTR_CONTROL) {
      // one record whose key is version int16 + type int16 (0 abort, 1 commit)
      if (count > 0) {
        readVarInt(rec); // length
        at++; // attributes
        readVarInt(rec); // timestamp delta
        readVarInt(rec); // offset delta
        const key = readBytes(rec);
        if (key && key.length >= 4 && key.readInt16BE(2) === CONTROL_ABORT) abortedProducers.delete(producerId);
      }
      continue;
    }
    if (readCommitted && attributes & IS_TRANSACTIONAL_ATTR && abortedProducers.has(producerId)) continue;
    const exact = last <= MAX_SAFE && maxTimestamp <= MAX_SAFE && firstTimestamp >= -MAX_SAFE;
    const base = Number(firstOffset);
    const baseTs = Number(firstTimestamp);
    const skipBefore = firstOffset < from;
    for (let i = 0; i < count; i++) {
      const length = readVarInt(rec);
      const recordEnd = at + length;
      at++; // attributes
      const tsDelta = readVarInt(rec);
      const offsetDelta = readVarInt(rec);
      if (skipBefore && firstOffset + BigInt(offsetDelta) < from) {
        at = recordEnd;
        continue;
      }
      const key = readBytes(rec);
      const value = readBytes(rec);
      const headerCount = readVarInt(rec);
      let headers = NO_HEADERS;
      if (headerCount > 0) {
        headers = {};
        for (let h = 0; h < headerCount; h++) {
          const k = readBytes(rec);
          const v = readBytes(rec);
          if (k) headers[k.toString()] = v ?? EMPTY;
        }
      }
      at = recordEnd;
      messages.push({
        offset: exact ? String(base + offsetDelta) : (firstOffset + BigInt(offsetDelta)).toString(),
        key,
        value,
        headers,
        timestamp: exact ? String(baseTs + tsDelta) : (firstTimestamp + BigInt(tsDelta)).toString(),
      });
    }
  }
  return { messages, next };
}
