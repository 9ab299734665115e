/**
 * Sink `clickhouse`: the ledger (udrs, charges, rejects) and the finance tables (service states, pool balances) in
 * ClickHouse — the in-process engine (chDB, data dir) or a server (CLICKHOUSE_URL). Every insert carries a
 * deterministic dedup token, so a batch written twice (a crash, a retry) is stored once. Used by `run` (encoded
 * batches from the file processor) and by serve's sink role.
 */
import { z } from 'zod';
import type { StoreClient } from '../../store/client.ts';
import { writePoolBalances, writeStateChanges } from '../../store/finance.ts';
import { writeTsv } from '../../store/ledger.ts';
import { writeNative } from '../../store/ledger-native.ts';
import type { EncodedBatch } from '../file-processor.ts';
import type { SinkSpec } from './sink.ts';

const options = z.object({
  url: z.string().optional().describe('a ClickHouse server (else CLICKHOUSE_URL, else the in-process engine)'),
  'data-dir': z.string().optional().describe('the in-process engine\'s folder (default <project>/data/clickhouse)'),
}).strict();

export const spec: SinkSpec<typeof options> = {
  type: 'clickhouse',
  description: 'The ledger and finance tables in ClickHouse (in-process engine or server), deduplicated by batch token.',
  options,
  examples: [{}, { url: 'http://localhost:8123' }],
};

/**
 * Write one encoded batch (the embedded run): ledger rows — Native blocks through a file or TSV Buffers for the
 * in-process engine, commands to a server —, the service-state timeline and pool balances, all with dedup tokens.
 */
export async function writeEncoded(store: StoreClient, b: EncodedBatch): Promise<void> {
  await Promise.all([
    writeTsv(store, b, b.token, true),
    ...(b.native ? [writeNative(store, 'udrs', b.native.udrs, b.token), writeNative(store, 'charges', b.native.charges, b.token)] : []),
    writeStateChanges(store, b.stateChanges, `${b.token}:states`),
    writePoolBalances(store, b.pools, `${b.token}:pools`),
  ]);
}
