/**
 * Avro records in the Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body.
 * The writer schema comes from a schema registry by id (a SchemaResolver injected by the runtime — the runtime's
 * SchemaRegistry from engine/runtime/kafka/schema-registry.ts fits as is; schemas are
 * fetched once per id in the async `prepare` hook, so the synchronous parse never waits) or from a local .avsc
 * file. Kafka messages carry the bytes in RawRecord.binary; files carry one wire message per line in base64, which
 * the framer turns into bytes (so every source hands the Mediator — and the drop directory / HTTP ingest hand the raw
 * topic — the message's bytes, never base64 text). A line that is not base64 stays text and is rejected by parse().
 * A schema id the registry does not know is a PARSE_ERROR reject; a registry that does not answer (a retriable
 * resolver error) makes `prepare` throw a retriable SCHEMA_REGISTRY_UNAVAILABLE error: the batch is retried later,
 * nothing is rejected (the streaming mediate role redelivers it until the registry is back).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import avro from 'avsc';
import { z } from 'zod';
import { CodedError } from '../../core/errors.ts';
import type { RawRecord } from '../../core/types.ts';
import { decodingFramer } from './decoder.ts';
import { createLineFramer } from './line-framer.ts';
import { type FeedParser, type Framer, type FramerOutput, ParseError, type ParserContext, type ParserSpec, type SchemaResolver } from './types.ts';

const options = z
  .object({
    schema: z.string().optional().describe('local writer schema (.avsc, relative to the rule file) used for every schema id'),
    registry: z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]).default(true)
      .describe('resolve schema ids through the schema registry of the runtime (SCHEMA_REGISTRY_URL)'),
    'max-record-bytes': z.coerce.number().int().positive().default(1_048_576),
  })
  .strict();

type Options = z.output<typeof options>;

/** Build a Confluent wire-format message (used by tests, fixtures and the bench). */
export function encodeWire(schemaId: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = 0;
  out.writeUInt32BE(schemaId, 1);
  out.set(body, 5);
  return out;
}

function bytesOf(rec: RawRecord): Buffer {
  if (rec.binary) return Buffer.from(rec.binary.buffer, rec.binary.byteOffset, rec.binary.byteLength);
  const t = rec.text.startsWith('base64:') ? rec.text.slice(7) : rec.text;
  if (!/^[A-Za-z0-9+/=\s]*$/.test(t)) throw new ParseError('not a base64 Avro message');
  return Buffer.from(t, 'base64');
}

const BASE64_LINE = /^(base64:)?[A-Za-z0-9+/]+={0,2}$/;

/** framed base64 lines → the wire messages' bytes (a faulted or non-base64 record stays as it is) */
function asBytes<T extends FramerOutput>(out: T): T {
  for (let i = 0; i < out.records.length; i++) {
    const r = out.records[i]!;
    if (r.binary || r.fault || !BASE64_LINE.test(r.text)) continue;
    out.records[i] = { feed: r.feed, source: r.source, text: '', binary: Buffer.from(r.text.startsWith('base64:') ? r.text.slice(7) : r.text, 'base64') };
  }
  return out;
}

function base64Framer(inner: Framer): Framer {
  return { push: (chunk) => asBytes(inner.push(chunk)), end: () => asBytes(inner.end()) };
}

function schemaIdOf(b: Buffer): number {
  if (b.length < 5) throw new ParseError(`Avro message is ${b.length} bytes, shorter than the 5-byte Confluent header`);
  if (b[0] !== 0) throw new ParseError(`unknown magic byte ${b[0]} (Confluent wire format starts with 0)`);
  return b.readUInt32BE(1);
}

/** A SchemaResolver over fixed schemas by id (tests, fixtures, offline replays). */
export function staticSchemaResolver(schemas: Record<number, string | object>): SchemaResolver {
  return {
    async typeById(id: number) {
      const s = schemas[id];
      if (s === undefined) throw new Error(`schema id ${id} is not registered`);
      return avro.Type.forSchema((typeof s === 'string' ? JSON.parse(s) : s) as avro.Schema);
    },
  };
}

export const spec: ParserSpec<typeof options> = {
  type: 'avro',
  description: 'Avro in the Confluent wire format (magic 0 + schema id + body); writer schema from the registry or a local .avsc.',
  options,
  examples: [{ type: 'avro' }, { type: 'avro', schema: '../schemas/feeds/iot-session.avsc', registry: false }],
  create(o: Options, ctx?: ParserContext): FeedParser {
    const types = new Map<number, { fromBuffer(b: Buffer): unknown }>();
    const failed = new Map<number, string>();
    let local: avro.Type | undefined;
    if (o.schema) {
      const path = resolve(ctx?.baseDir ?? '.', o.schema);
      local = avro.Type.forSchema(JSON.parse(readFileSync(path, 'utf8')) as avro.Schema);
    }
    const resolver = o.registry ? ctx?.schemaResolver : undefined;
    if (!local && !o.registry) throw new Error('avro parser needs a local `schema` or `registry: true`');

    return {
      ordinal: false,
      maxRecordBytes: o['max-record-bytes'],
      createFramer: (file, feed) => base64Framer(decodingFramer(createLineFramer(file, feed), file, feed, { encoding: 'utf-8', detectBinary: false })),
      async prepare(batch) {
        if (!resolver) return;
        for (const rec of batch) {
          let id: number;
          try { id = schemaIdOf(bytesOf(rec)); } catch { continue; }
          if (types.has(id) || failed.has(id)) continue;
          try {
            types.set(id, await resolver.typeById(id));
          } catch (e) {
            // the registry not reachable now: the whole batch waits (the caller retries it: serve redelivers it, `run`
            // stops with this error) — never a reject, never remembered; an id the registry does not know is a reject
            if ((e as { retriable?: unknown }).retriable === true) {
              throw new CodedError('SCHEMA_REGISTRY_UNAVAILABLE', `${(e as Error).message} (record ${rec.source}); nothing was rejected: serve retries the batch, run again once the registry answers`, true);
            }
            failed.set(id, (e as Error).message);
          }
        }
      },
      parse(rec: RawRecord) {
        const b = bytesOf(rec);
        const id = schemaIdOf(b);
        const type = types.get(id) ?? local;
        if (!type) {
          throw new ParseError(failed.has(id) ? `schema id ${id} could not be resolved: ${failed.get(id)}` : `unknown schema id ${id} (no registry resolver and no local schema)`);
        }
        let v: unknown;
        try {
          v = type.fromBuffer(b.subarray(5));
        } catch (e) {
          throw new ParseError(`Avro body does not match schema id ${id}: ${(e as Error).message}`);
        }
        if (v === null || typeof v !== 'object') return { value: v as never };
        return v as Record<string, unknown>;
      },
    };
  },
};
