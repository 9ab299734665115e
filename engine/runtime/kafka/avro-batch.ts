/**
 * Avro values of one batch encoded into ONE growing Buffer, each with the Confluent wire header (magic 0, 4-byte schema
 * id), written straight by avsc at the current position (`Type.encode(value, buf, pos)`): no Buffer allocated and no
 * bytes copied per record (`Type.toBuffer` + `Buffer.concat` were two allocations and two copies per record). The
 * records come back as views into that Buffer, ready to be a Kafka record's value; the Buffer grows by doubling (rare:
 * it starts at the size the last batch needed per record).
 */
import type { Type } from 'avsc';

/** the Confluent wire format: magic byte 0, then the schema id (4 bytes, big-endian), then the Avro body */
export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

/**
 * A hand-written encoder/decoder of one exact schema's Avro body (e.g. engine/runtime/streaming/udr-wire.ts), used
 * instead of avsc when the codec's schema is the one it was written for: the same bytes both ways.
 */
export interface AvroBody<T> {
  /** an upper bound of the body's size */
  maxSize(value: T): number;
  /** writes the body at `pos` (room for maxSize bytes); returns the end; throws on an invalid value */
  write(value: T, buf: Buffer, pos: number): number;
  /** reads a body spanning buf[pos, end) exactly; throws `truncated buffer` / `trailing data` as avsc does */
  read(buf: Buffer, pos: number, end: number): T;
}

export class AvroBatchEncoder<T> {
  /** bytes per record the last batch needed (the next batch's first guess) */
  private perRecord = 128;

  constructor(
    private readonly type: Type,
    private readonly schemaId: number,
    private readonly body?: AvroBody<T>,
  ) {}

  /** one view per value (header + Avro body), all in one Buffer */
  encode(values: readonly T[]): Buffer[] {
    const n = values.length;
    const out: Buffer[] = new Array(n);
    if (n === 0) return out;
    let buf: Buffer = Buffer.allocUnsafe(Math.max(1024, Math.ceil(n * this.perRecord * 1.25)));
    const ends = new Uint32Array(n);
    let pos = 0;
    const body = this.body;
    for (let i = 0; i < n; i++) {
      if (body) {
        const need = pos + WIRE_HEADER_BYTES + body.maxSize(values[i]!);
        if (need > buf.length) buf = grow(buf, pos, need);
        buf[pos] = MAGIC_BYTE;
        buf.writeUInt32BE(this.schemaId, pos + 1);
        ends[i] = pos = body.write(values[i]!, buf, pos + WIRE_HEADER_BYTES);
        continue;
      }
      for (;;) {
        if (pos + WIRE_HEADER_BYTES <= buf.length) {
          buf[pos] = MAGIC_BYTE;
          buf.writeUInt32BE(this.schemaId, pos + 1);
          // the new position, or (buffer too small) minus the bytes missing
          const end = this.type.encode(values[i], buf, pos + WIRE_HEADER_BYTES);
          if (end >= 0) {
            pos = end;
            break;
          }
          buf = grow(buf, pos, buf.length - end);
        } else buf = grow(buf, pos, pos + WIRE_HEADER_BYTES);
      }
      ends[i] = pos;
    }
    this.perRecord = Math.ceil(pos / n);
    for (let i = 0, start = 0; i < n; start = ends[i]!, i++) out[i] = buf.subarray(start, ends[i]);
    return out;
  }
}

/** a bigger Buffer holding the first `used` bytes of `buf`, at least `need` bytes long */
function grow(buf: Buffer, used: number, need: number): Buffer {
  const next = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
  buf.copy(next, 0, 0, used);
  return next;
}
