/**
 * The ledger's UDR and charge rows as ClickHouse Native blocks, one per month partition (month-split.ts), and their
 * insert into the in-process engine: each block is written to `<store>/user_files/ratestream-inserts/<pid>-<n>.native`,
 * then `INSERT INTO t (…) SELECT … FROM file(path, 'Native', structure)` reads it (constant columns as literals) and the
 * file is removed. The insert carries the batch's dedup token (`<token>:<table>`, as the TSV path; `…:<yyyymm>` per
 * month when the batch spans months) with
 * `deduplicate_insert_select = 'force_enable'`, so a retried batch is stored once (and `optimize_on_insert = 0`: see
 * LEDGER_INSERT_SETTINGS in ledger.ts). Leftover files of a crashed
 * process are removed when the store is opened next (removeStaleInserts).
 *
 * Same stored values as the TSV encoders in ledger.ts (integration test: byte-equal `SELECT … FORMAT TSV`).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Charge, DEFAULT_RUN, type Udr } from '../core/types.ts';
import { SCALE } from '../core/money.ts';
import { table, type StoreClient } from './client.ts';
import { LEDGER_INSERT_SETTINGS } from './ledger.ts';
import { MonthSplit, type PartitionBlock } from './month-split.ts';
import {
  BoolColumn, DateTime64Column, DecimalColumn, type NativeBlock, NativeBlockWriter, sqlString, StringColumn, StringMapColumn,
  UInt32Column, UInt64Column,
} from './native.ts';

/** UDR rows into a Native block (columns as ledger.ts's UDR_COLS) */
class UdrColumns {
  private readonly id = new StringColumn('udr_id', { constant: false });
  private readonly feed = new StringColumn('feed');
  private readonly usageClass = new StringColumn('usage_class');
  private readonly account = new StringColumn('account');
  private readonly service = new StringColumn('service');
  private readonly ratingKey = new StringColumn('rating_key');
  private readonly start = new DateTime64Column('start_time');
  private readonly quantity = new UInt64Column('quantity');
  private readonly unit = new StringColumn('unit');
  private readonly origin = new StringColumn('origin');
  private readonly destination = new StringColumn('destination');
  private readonly attrs = new StringMapColumn('attrs', { bytesPerRow: 24 });
  private readonly source = new StringColumn('source');
  private readonly rulesVersion = new StringColumn('rules_version');
  readonly block = new NativeBlockWriter([
    this.id, this.feed, this.usageClass, this.account, this.service, this.ratingKey, this.start, this.quantity, this.unit,
    this.origin, this.destination, this.attrs, this.source, this.rulesVersion,
  ] as never);


  /** `rows`: rows expected per block (sizes the buffers once) */
  constructor(rows?: number) {
    if (rows) this.block.reserve(rows);
  }

  put(u: Udr): void {
    this.id.put(u.id);
    this.feed.put(u.feed);
    this.usageClass.put(u.usageClass);
    this.account.put(u.account);
    this.service.put(u.service);
    this.ratingKey.put(u.ratingKey);
    this.start.put(u.startTime);
    this.quantity.put(u.quantity);
    this.unit.put(u.unit);
    this.origin.put(u.origin);
    this.destination.put(u.destination);
    this.attrs.put(u.attrs);
    this.source.put(u.source);
    this.rulesVersion.put(u.rulesVersion);
    this.block.row();
  }
}

/** charge rows into a Native block (columns as ledger.ts's CHARGE_COLS) */
class ChargeColumns {
  private readonly id = new StringColumn('charge_id', { constant: false });
  private readonly version = new UInt32Column('version');
  private readonly udrId = new StringColumn('udr_id');
  private readonly account = new StringColumn('account');
  private readonly ratingKey = new StringColumn('rating_key');
  private readonly service = new StringColumn('service');
  private readonly usageClass = new StringColumn('usage_class');
  private readonly kind = new StringColumn('kind');
  private readonly product = new StringColumn('product');
  private readonly plan = new StringColumn('plan');
  private readonly rateId = new StringColumn('rate_id');
  private readonly matched = new StringColumn('matched');
  private readonly quantity = new UInt64Column('quantity');
  private readonly unit = new StringColumn('unit');
  private readonly amount = new DecimalColumn('amount', SCALE);
  private readonly currency = new StringColumn('currency');
  private readonly eventTime = new DateTime64Column('event_time');
  private readonly source = new StringColumn('source');
  private readonly rulesVersion = new StringColumn('rules_version');
  private readonly catalogVersion = new StringColumn('catalog_version');
  /** always in the file: its values are written by each charge's lineage source, never compared */
  private readonly lineage = new StringColumn('lineage', { bytesPerRow: 320, constant: false });
  private readonly feed = new StringColumn('feed');
  private readonly run = new StringColumn('run');
  private readonly billable = new BoolColumn('billable');
  readonly block = new NativeBlockWriter([
    this.id, this.version, this.udrId, this.account, this.ratingKey, this.service, this.usageClass, this.kind, this.product,
    this.plan, this.rateId, this.matched, this.quantity, this.unit, this.amount, this.currency, this.eventTime, this.source,
    this.rulesVersion, this.catalogVersion, this.lineage, this.feed, this.run, this.billable,
  ] as never);


  /** `rows`: rows expected per block (sizes the buffers once) */
  constructor(rows?: number) {
    if (rows) this.block.reserve(rows);
  }

  put(c: Charge, feed: string, version = 1): void {
    this.id.put(c.id);
    this.version.put(version);
    this.udrId.put(c.udrId);
    this.account.put(c.account);
    this.ratingKey.put(c.ratingKey);
    this.service.put(c.service);
    this.usageClass.put(c.usageClass);
    this.kind.put(c.kind);
    this.product.put(c.product);
    this.plan.put(c.plan);
    this.rateId.put(c.rateId);
    this.matched.put(c.matched);
    this.quantity.put(c.quantity);
    this.unit.put(c.unit);
    this.amount.put(c.amount);
    this.currency.put(c.currency);
    this.eventTime.put(c.eventTime);
    this.source.put(c.source);
    this.rulesVersion.put(c.rulesVersion);
    this.catalogVersion.put(c.catalogVersion);
    this.lineage.putText(c.lineage);
    this.feed.put(feed);
    this.run.put(c.run ?? DEFAULT_RUN);
    this.billable.put(c.billable !== false);
    this.block.row();
  }
}

/**
 * UDR rows into Native blocks, one per month partition of `start_time` (engine/store/month-split.ts): `put` rows, then
 * `finish()` the blocks for one insert and `reset()` once it is written (the buffers are kept for the next one).
 */
export class UdrBlock extends MonthSplit<UdrColumns> {
  /** `rows`: rows expected per insert (sizes the buffers once) */
  constructor(rows?: number) {
    super((n) => new UdrColumns(n), rows);
  }

  put(u: Udr): void {
    this.at(u.startTime).put(u);
  }
}

/** charge rows into Native blocks, one per month partition of `event_time` (as UdrBlock) */
export class ChargeBlock extends MonthSplit<ChargeColumns> {
  constructor(rows?: number) {
    super((n) => new ChargeColumns(n), rows);
  }

  put(c: Charge, feed: string, version = 1): void {
    this.at(c.eventTime).put(c, feed, version);
  }
}

/** the Native blocks of `udrs` (fresh writers: the blocks' views stay valid until they are written) */
export function udrBlockOf(udrs: readonly Udr[]): PartitionBlock[] {
  const b = new UdrBlock(udrs.length);
  for (const u of udrs) b.put(u);
  return b.finish();
}

/** the Native blocks of `charges` of one feed (as udrBlockOf) */
export function chargeBlockOf(charges: readonly Charge[], feed: string): PartitionBlock[] {
  const b = new ChargeBlock(charges.length);
  for (const c of charges) b.put(c, feed);
  return b.finish();
}

/** how UDR and charge rows are inserted: Native blocks (in-process engine) or TSV (servers, rejects) */
export type InsertFormat = 'native' | 'tsv';

/**
 * The insert format for `s`, the one rule of every mode: Native into the in-process engine unless the caller or
 * RATESTREAM_INSERT_FORMAT=tsv asks for TSV; a server (CLICKHOUSE_URL) always gets TSV.
 */
export function insertFormatOf(s: Pick<StoreClient, 'mode'>, asked?: InsertFormat): InsertFormat {
  if (s.mode !== 'embedded') return 'tsv';
  return asked ?? (process.env.RATESTREAM_INSERT_FORMAT === 'tsv' ? 'tsv' : 'native');
}

const INSERTS_DIR = 'ratestream-inserts';
let fileNo = 0;
/** insert folders created and cleared of stale files by this process */
const prepared = new Set<string>();

/** the folder Native insert files go to, under the in-process store's folder */
export function insertsDir(s: Pick<StoreClient, 'where'>): string {
  return join(s.where, 'user_files', INSERTS_DIR);
}

/**
 * Settings of every Native insert: the ledger's (LEDGER_INSERT_SETTINGS in ledger.ts: no merge over the inserted
 * block), and `deduplicate_insert_select` so that an INSERT … SELECT honours the batch's dedup token.
 */
export const NATIVE_INSERT_SETTINGS = { ...LEDGER_INSERT_SETTINGS, deduplicate_insert_select: 'force_enable' } as const;

/**
 * Insert the Native blocks of one batch into `name` (in-process engine only), each through a file and deduplicated by
 * its token: `<token>:<table>` (the same token the TSV path uses) for a batch of one block, `<token>:<table>:<yyyymm>`
 * per month when a batch spans months. The months go in one after the other, so that one insert's working memory is
 * freed before the next (engine/store/month-split.ts). Empty blocks insert nothing.
 */
export async function writeNative(s: StoreClient, name: string, blocks: readonly PartitionBlock[], token: string): Promise<void> {
  const list = blocks.filter((b) => b.rows);
  for (const b of list) await insertBlock(s, name, b, list.length === 1 ? `${token}:${name}` : `${token}:${name}:${b.partition}`);
}

async function insertBlock(s: StoreClient, name: string, b: NativeBlock, token: string): Promise<void> {
  if (s.mode !== 'embedded') throw new Error('Native file inserts need the in-process engine');
  const dir = insertsDir(s);
  if (!prepared.has(dir)) {
    mkdirSync(dir, { recursive: true });
    removeStaleInserts(s);
    prepared.add(dir);
  }
  const path = join(dir, `${process.pid}-${fileNo++}.native`);
  const fh = await open(path, 'w');
  try {
    await fh.writev(b.parts);
  } finally {
    await fh.close();
  }
  try {
    await s.client.command({
      query: `INSERT INTO ${table(s, name)} (${b.columns.join(', ')}) SELECT ${b.select.join(', ')} FROM file(${sqlString(path)}, 'Native', ${sqlString(b.structure)})`,
      clickhouse_settings: { ...NATIVE_INSERT_SETTINGS, insert_deduplication_token: token } as never,
    });
  } finally {
    await rm(path, { force: true });
  }
}

/** Remove insert files left by processes that are gone (a crash between writing a file and removing it). */
export function removeStaleInserts(s: Pick<StoreClient, 'where'>): void {
  let names: string[];
  try {
    names = readdirSync(insertsDir(s));
  } catch {
    return;
  }
  for (const n of names) {
    const pid = Number(/^(\d+)-\d+\.native$/.exec(n)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(join(insertsDir(s), n), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
