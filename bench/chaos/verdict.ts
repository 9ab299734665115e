/**
 * The end-of-run comparison the chaos scenarios share: the streaming store against the embedded `run` of the same
 * input (charges by count, ids, total and content hash; raw rows before merges; UDRs with more than one charge; pool
 * debits; stored pool balances) and the rating-state changelog's pool balances against one uninterrupted core run. `summary` is printed
 * before `assert` checks it, so a failed run still reports its numbers.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import type { KafkaPort } from '../../engine/runtime/kafka/port.ts';
import { changelogPools, queryDb, SUMMARY_SQL } from '../../test/integration/streaming-helpers.ts';

export interface Verdict {
  summary: {
    charges: number;
    rejectsVsEmbedded: string;
    missing: number;
    duplicateRowsBeforeMerge: number;
    duplicateCharges: number;
    totalsVsEmbedded: string;
    poolDebitsVsEmbedded: 'equal' | 'DIFFERENT';
    poolBalanceRowsVsEmbedded: string;
    poolBalancesVsUninterrupted: string;
  };
  assert(): void;
}

export async function storeVerdict(o: { db: string; emb: string; kafka: KafkaPort; prefix: string; partitions: number; corePools: Record<string, unknown> }): Promise<Verdict> {
  const [s] = await queryDb<Record<string, string>>(o.db, SUMMARY_SQL.charges);
  const [e] = await queryDb<Record<string, string>>(o.emb, SUMMARY_SQL.charges);
  const [raw] = await queryDb<{ raw_rows: string }>(o.db, SUMMARY_SQL.rawRows);
  const [dup] = await queryDb<{ bad: string }>(o.db, SUMMARY_SQL.perUdr);
  const [su] = await queryDb<{ n: string }>(o.db, SUMMARY_SQL.udrs);
  const [eu] = await queryDb<{ n: string }>(o.emb, SUMMARY_SQL.udrs);
  const rejectsSql = 'SELECT count() AS n FROM rejects FINAL';
  const [sr] = await queryDb<{ n: string }>(o.db, rejectsSql);
  const [er] = await queryDb<{ n: string }>(o.emb, rejectsSql);
  const poolsDb = await queryDb(o.db, SUMMARY_SQL.pools);
  const poolsEmb = await queryDb(o.emb, SUMMARY_SQL.pools);
  const balancesDb = await queryDb(o.db, SUMMARY_SQL.poolBalances);
  const balancesEmb = await queryDb(o.emb, SUMMARY_SQL.poolBalances);
  const pools = await changelogPools(o.kafka, o.prefix, o.partitions);
  const poolsEqual = isDeepStrictEqual(pools, o.corePools);
  const exhausted = (Object.values(pools) as { used: number; size: number }[]).filter((p) => p.used >= p.size).length;
  const overdrawn = (Object.values(pools) as { used: number; size: number }[]).filter((p) => p.used > p.size).length;
  const summary: Verdict['summary'] = {
    charges: Number(s!.final_rows),
    rejectsVsEmbedded: sr!.n === er!.n ? `equal (${sr!.n})` : `${sr!.n} vs ${er!.n}`,
    missing: Math.max(0, Number(e!.ids) - Number(s!.ids)) + Math.max(0, Number(eu!.n) - Number(su!.n)),
    duplicateRowsBeforeMerge: Number(raw!.raw_rows) - Number(s!.final_rows),
    duplicateCharges: Number(dup!.bad),
    totalsVsEmbedded: isDeepStrictEqual(s, e) ? `equal (${s!.total})` : `${s!.total} vs ${e!.total}`,
    poolDebitsVsEmbedded: isDeepStrictEqual(poolsDb, poolsEmb) ? 'equal' : 'DIFFERENT',
    poolBalanceRowsVsEmbedded: `${isDeepStrictEqual(balancesDb, balancesEmb) ? 'equal' : 'DIFFERENT'} (${balancesDb.length} rows)`,
    poolBalancesVsUninterrupted: `${poolsEqual ? 'equal' : 'DIFFERENT'} (${Object.keys(pools).length} pools, ${exhausted} used up, ${overdrawn} overdrawn)`,
  };
  return {
    summary,
    assert() {
      expect(s).toEqual(e); // same charges (ids + amounts), same totals: nothing missing, nothing doubled
      expect(summary.duplicateRowsBeforeMerge).toBe(0);
      expect(summary.duplicateCharges).toBe(0);
      expect(su).toEqual(eu);
      expect(sr).toEqual(er); // the records that are not charged are rejects in both
      expect(poolsDb).toEqual(poolsEmb); // pool debits in the charges
      expect(balancesDb).toEqual(balancesEmb); // pool balances the sink stored (size, used, overage per pool and period)
      expect(Object.keys(pools).length).toBeGreaterThan(0);
      expect(pools).toEqual(o.corePools); // pool balances in the changelog: no allowance spent twice or lost
      expect(overdrawn).toBe(0);
    },
  };
}
