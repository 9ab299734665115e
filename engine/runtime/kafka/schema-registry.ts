/**
 * Avro + Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary body) through a
 * Confluent-compatible schema registry: Confluent SR, Karapace, or Apicurio 3.x at `<base>/apis/ccompat/v7`.
 *
 * Two paths, same bytes (checked both ways by test/integration/schema-registry.test.ts against Apicurio):
 * - `serialize` / `deserialize`: @confluentinc/schemaregistry's AvroSerializer / AvroDeserializer (full Confluent
 *   serde semantics incl. data-contract rules). Works against Apicurio's ccompat API as is. ~65k / ~95k msgs/s on
 *   this 2-core machine (async, per-message cache and rule checks).
 * - `encode` / `decode`: the registry client only for register / get-by-id, the body by avsc directly
 *   (~3M msgs/s both ways). No rules. This is the hot path for the streaming runtime.
 * `long` maps to JS number (exact up to 2^53); money is never an Avro long in our schemas anyway (strings/decimals).
 */
import avro from 'avsc';
import { CodedError } from '../../core/errors.ts';
import { AvroBatchEncoder, type AvroBody, MAGIC_BYTE, WIRE_HEADER_BYTES } from './avro-batch.ts';
import type { ForSchemaOptions, Resolver, Schema, Type } from 'avsc';
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
  type AvroSerializerConfig,
  type ClientConfig,
} from '@confluentinc/schemaregistry';

export { MAGIC_BYTE, WIRE_HEADER_BYTES } from './avro-batch.ts';

export interface SchemaRegistryOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
  url: string;
  basicAuth?: { username: string; password: string };
  /** per request (default 10 s): an answer that does not come is a retriable failure */
  timeoutMs?: number;
  /** avsc options for both paths (e.g. logicalTypes). */
  avro?: Partial<ForSchemaOptions>;
}

export interface AvroCodec<T> {
  readonly subject: string;
  /** Id of the schema this codec writes with. */
  readonly schemaId: number;
  /** Library serializer (async). */
  serialize(value: T): Promise<Buffer>;
  /** Library deserializer: reads with the writer's schema (any id). */
  deserialize(bytes: Buffer): Promise<T>;
  /** Hot path: avsc with a cached type. */
  encode(value: T): Buffer;
  /** Hot path for a batch: every value framed and encoded into ONE Buffer, returned as one view per value (avro-batch.ts). */
  encodeBatch(values: readonly T[]): Buffer[];
  /** Hot path: writer schema fetched once per id and resolved to this codec's (reader) schema. */
  decode(bytes: Buffer): Promise<T>;
  /**
   * Hot path without a promise: the value, when the writer schema is this codec's or one already resolved (a
   * `decode` of that id happened); else undefined (then `decode`, which fetches it).
   */
  decodeSync(bytes: Buffer): T | undefined;
  close(): void;
}

export interface CodecOptions {
  /** 'value' (default) or 'key': the subject is `<topic>-value` / `<topic>-key` (TopicNameStrategy)... */
  serdeType?: 'key' | 'value';
  /** ...unless given here. */
  subject?: string;
  /** a hand-written body codec for this exact schema (undefined: not this schema, avsc then) */
  body?: (type: Type) => AvroBody<unknown> | undefined;
}

/** The 5-byte Confluent wire header for a schema id. */
export function wireHeader(schemaId: number): Buffer {
  const b = Buffer.allocUnsafe(WIRE_HEADER_BYTES);
  b.writeUInt8(MAGIC_BYTE, 0);
  b.writeUInt32BE(schemaId, 1);
  return b;
}

/** Splits a Confluent-framed message; throws on anything else. */
export function readWireHeader(bytes: Buffer): { schemaId: number; body: Buffer } {
  if (bytes.length < WIRE_HEADER_BYTES || bytes.readUInt8(0) !== MAGIC_BYTE) {
    throw new Error(`schema registry: not Confluent wire format (${bytes.length} bytes, first byte ${bytes[0]})`);
  }
  return { schemaId: bytes.readUInt32BE(1), body: bytes.subarray(WIRE_HEADER_BYTES) };
}

/** A failed get-by-id as a CodedError that says whether retrying can help (see `SchemaRegistry.typeById`). */
export function registryError(id: number, e: unknown): CodedError {
  const status = (e as { status?: unknown; response?: { status?: unknown } }).status ?? (e as { response?: { status?: unknown } }).response?.status;
  const msg = (e as Error).message || String(e);
  if (typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new CodedError('UNKNOWN_SCHEMA_ID', `schema id ${id} is not in the schema registry (HTTP ${status}: ${msg})`, false);
  }
  const code = (e as { code?: unknown }).code;
  return new CodedError('SCHEMA_REGISTRY_UNAVAILABLE', `schema registry unavailable while looking up schema id ${id}: ${typeof status === 'number' ? `HTTP ${status}: ` : ''}${typeof code === 'string' && !msg.includes(code) ? `${code} ` : ''}${msg}`, true);
}

/** An Avro schema as JSON text or as the parsed object. */
export type AvroSchema = string | object;

const schemaText = (schema: AvroSchema) => (typeof schema === 'string' ? schema : JSON.stringify(schema));

export class SchemaRegistry {
  /** Escape hatch to the full client API. */
  readonly client: SchemaRegistryClient;
  private readonly avroOptions: Partial<ForSchemaOptions>;
  private readonly typesById = new Map<number, Promise<Type>>();

  constructor(options: SchemaRegistryOptions) {
    // a registry that accepts the connection and never answers is an outage too (retriable), not a hang
    const config: ClientConfig = { baseURLs: [options.url.replace(/\/+$/, '')], createAxiosDefaults: { timeout: options.timeoutMs ?? 10_000 } };
    if (options.basicAuth) {
      config.basicAuthCredentials = {
        credentialsSource: 'USER_INFO',
        userInfo: `${options.basicAuth.username}:${options.basicAuth.password}`,
      };
    }
    this.client = new SchemaRegistryClient(config);
    this.avroOptions = options.avro ?? {};
  }

  /** Registers (or finds: same schema, same id) an Avro schema under a subject; returns its id. */
  register(subject: string, schema: AvroSchema): Promise<number> {
    return this.client.register(subject, { schemaType: 'AVRO', schema: schemaText(schema) }, false);
  }

  /**
   * The avsc type of a schema id (cached once found). Fails with a CodedError: `SCHEMA_REGISTRY_UNAVAILABLE`
   * (retriable: no answer, a timeout, 408/429/5xx — retrying later can find it) or `UNKNOWN_SCHEMA_ID` (not
   * retriable: the registry answered that the id is not there, or its schema is not Avro that avsc reads).
   */
  typeById(id: number): Promise<Type> {
    let t = this.typesById.get(id);
    if (!t) {
      // ?subject= is required by the client signature; registries resolve ids globally
      t = this.client.getBySubjectAndId('', id).then((info) => this.toType(info.schema), (e: unknown) => { throw registryError(id, e); });
      t.catch(() => this.typesById.delete(id));
      this.typesById.set(id, t);
    }
    return t;
  }

  private toType(schema: AvroSchema): Type {
    // avsc fills opts.registry with every named type it meets: a fresh registry per schema, or a second schema with
    // the same record name (the next version) would clash
    const opts = { ...this.avroOptions, registry: { ...this.avroOptions.registry } };
    return avro.Type.forSchema((typeof schema === 'string' ? JSON.parse(schema) : schema) as Schema, opts);
  }

  /** Registers the schema for the topic's subject and returns a codec writing with it. */
  async codec<T>(topic: string, schema: AvroSchema, options: CodecOptions = {}): Promise<AvroCodec<T>> {
    const serdeType = options.serdeType === 'key' ? SerdeType.KEY : SerdeType.VALUE;
    const subject = options.subject ?? `${topic}-${options.serdeType ?? 'value'}`;
    const schemaId = await this.register(subject, schema);
    const type = this.toType(schema);
    this.typesById.set(schemaId, Promise.resolve(type));

    const serdeConfig: AvroSerializerConfig = {
      ...this.avroOptions,
      autoRegisterSchemas: false,
      useSchemaId: schemaId,
      subjectNameStrategy: () => subject,
    };
    const serializer = new AvroSerializer(this.client, serdeType, serdeConfig);
    const deserializer = new AvroDeserializer(this.client, serdeType, {
      ...this.avroOptions,
      subjectNameStrategy: () => subject,
    });
    const header = wireHeader(schemaId);
    const body = options.body?.(type) as AvroBody<T> | undefined;
    const batch = new AvroBatchEncoder<T>(type, schemaId, body);
    const resolvers = new Map<number, Resolver>();
    const decodeSync = (bytes: Buffer): T | undefined => {
      if (bytes.length < WIRE_HEADER_BYTES || bytes[0] !== MAGIC_BYTE) readWireHeader(bytes); // throws
      const writerId = bytes.readUInt32BE(1);
      if (writerId === schemaId) return body ? body.read(bytes, WIRE_HEADER_BYTES, bytes.length) : type.fromBuffer(bytes.subarray(WIRE_HEADER_BYTES)) as T;
      const resolver = resolvers.get(writerId);
      return resolver ? type.fromBuffer(bytes.subarray(WIRE_HEADER_BYTES), resolver) as T : undefined;
    };

    return {
      subject,
      schemaId,
      serialize: (value) => serializer.serialize(topic, value),
      deserialize: (bytes) => deserializer.deserialize(topic, bytes) as Promise<T>,
      encode: (value) => {
        if (body) {
          const b = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.maxSize(value));
          header.copy(b, 0);
          return b.subarray(0, body.write(value, b, WIRE_HEADER_BYTES));
        }
        const b = type.toBuffer(value);
        return Buffer.concat([header, b], WIRE_HEADER_BYTES + b.length);
      },
      encodeBatch: (values) => batch.encode(values),
      decodeSync,
      decode: async (bytes) => {
        const v = decodeSync(bytes);
        if (v !== undefined) return v;
        const writerId = bytes.readUInt32BE(1);
        let resolver = resolvers.get(writerId);
        if (!resolver) {
          resolver = type.createResolver(await this.typeById(writerId));
          resolvers.set(writerId, resolver);
        }
        return type.fromBuffer(bytes.subarray(WIRE_HEADER_BYTES), resolver) as T;
      },
      close: () => {
        serializer.close();
        deserializer.close();
      },
    };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
