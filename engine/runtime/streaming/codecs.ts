/**
 * Wire formats of the streaming topics.
 * - `udr` and `rated`: Avro (schemas/udr.avsc, schemas/charge.avsc) in the Confluent wire format, schemas registered
 *   in the schema registry (TopicNameStrategy subjects `<topic>-value`); encoded/decoded on the avsc hot path.
 * - service events travel on the `udr` topic too (same key, same partition, same order as the usage they affect),
 *   as JSON with the header `rs-kind: service-event`.
 * - DLQ topics, the rating-state changelog and rating events: JSON (small, for humans and replay tools).
 * - `billing-state` (rate → sink: the service-state log rows and pool balances billing reads): JSON, one row per record,
 *   header `rs-kind: service-state | pool-balance`; the bigint columns of a pool balance travel as decimal strings.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMoney, parseMoney } from '../../core/money.ts';
import { type Charge, DEFAULT_RUN, lineageText, type Udr } from '../../core/types.ts';
import type { PoolBalance, ServiceStateChange } from '../../store/finance.ts';
import type { ConsumedMessage } from '../kafka/port.ts';
import type { AvroCodec, SchemaRegistry } from '../kafka/schema-registry.ts';
import { udrWireFor } from './udr-wire.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const UDR_SCHEMA_FILE = join(ROOT, 'schemas', 'udr.avsc');
export const CHARGE_SCHEMA_FILE = join(ROOT, 'schemas', 'charge.avsc');

/** Header naming what a record on the `udr` topic carries (absent = a UDR). */
export const KIND_HEADER = 'rs-kind';
export const KIND_SERVICE_EVENT = 'service-event';
/** `rs-kind` values on the billing-state topic */
export const KIND_SERVICE_STATE = 'service-state';
export const KIND_POOL_BALANCE = 'pool-balance';

/** A charge as it travels on `rated`: the core Charge plus the feed it came from (the ledger's `feed` column). */
export interface ChargeRecord extends Charge {
  feed: string;
}

interface ChargeWire extends Omit<ChargeRecord, 'amount' | 'lineage' | 'run' | 'billable'> {
  amount: string;
  lineage: string;
  run: string;
  billable: boolean;
}

export interface StreamCodecs {
  udr: AvroCodec<Udr>;
  charge: {
    readonly schemaId: number;
    encode(c: ChargeRecord): Buffer;
    decode(b: Buffer): Promise<ChargeRecord>;
  };
}

/** Registers the UDR and charge schemas for the given topics and returns hot-path codecs. */
export async function createCodecs(registry: SchemaRegistry, topics: { udr: string; rated: string }): Promise<StreamCodecs> {
  // the UDR body by hand (udr-wire.ts) while udr.avsc is the schema it was written for
  const udr = await registry.codec<Udr>(topics.udr, readFileSync(UDR_SCHEMA_FILE, 'utf8'), { body: udrWireFor });
  const ch = await registry.codec<ChargeWire>(topics.rated, readFileSync(CHARGE_SCHEMA_FILE, 'utf8'));
  return {
    udr,
    charge: {
      schemaId: ch.schemaId,
      encode: (c) => ch.encode({ ...c, amount: formatMoney(c.amount), lineage: lineageText(c), run: c.run ?? DEFAULT_RUN, billable: c.billable ?? true }),
      decode: async (b) => {
        // the default run travels as `default`/true and comes back as the rater made it (fields absent)
        const { run, billable, ...w } = await ch.decode(b);
        return { ...w, amount: parseMoney(w.amount), ...(run !== DEFAULT_RUN ? { run } : {}), ...(billable === false ? { billable } : {}) } as ChargeRecord;
      },
    },
  };
}

/**
 * The UDRs of a batch read from the `udr` topic, index by index (undefined at a service event or a tombstone): decoded
 * without a promise per record; only a writer schema not seen before is awaited (fetched once from the registry).
 */
export async function decodeUdrs(codec: AvroCodec<Udr>, msgs: readonly ConsumedMessage[]): Promise<(Udr | undefined)[]> {
  const out: (Udr | undefined)[] = new Array(msgs.length);
  let pending: number[] | undefined;
  for (let i = 0; i < msgs.length; i++) {
    const msg = msgs[i]!;
    if (msg.value === null || isServiceEvent(msg)) {
      out[i] = undefined;
      continue;
    }
    const u = codec.decodeSync(msg.value);
    if (u === undefined) (pending ??= []).push(i);
    out[i] = u;
  }
  if (pending) for (const i of pending) out[i] = await codec.decode(msgs[i]!.value!);
  return out;
}

/** a service event on the `udr` topic (header `rs-kind: service-event`), not a UDR */
export const isServiceEvent = (msg: Pick<ConsumedMessage, 'headers'>): boolean => msg.headers[KIND_HEADER]?.toString() === KIND_SERVICE_EVENT;

/** A row of the billing-state topic, decoded. */
export type BillingStateRow = { kind: 'service-state'; row: ServiceStateChange } | { kind: 'pool-balance'; row: PoolBalance };

const POOL_BIGINTS = ['size', 'used', 'overage', 'version'] as const;

export function encodeServiceState(r: ServiceStateChange): Buffer {
  return Buffer.from(JSON.stringify(r));
}

export function encodePoolBalance(r: PoolBalance): Buffer {
  return Buffer.from(JSON.stringify({ ...r, size: String(r.size), used: String(r.used), overage: String(r.overage), version: String(r.version) }));
}

/** Decodes a billing-state record by its `rs-kind` header; undefined for a kind this version does not know. */
export function decodeBillingState(kind: string | undefined, value: Buffer): BillingStateRow | undefined {
  if (kind === KIND_SERVICE_STATE) return { kind, row: JSON.parse(value.toString('utf8')) as ServiceStateChange };
  if (kind === KIND_POOL_BALANCE) {
    const o = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
    for (const k of POOL_BIGINTS) o[k] = BigInt(o[k] as string);
    return { kind, row: o as unknown as PoolBalance };
  }
  return undefined;
}
