import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../engine/core/money.ts';
import type { Udr } from '../../../engine/core/types.ts';
import { FileMediation } from '../../helpers/file-mediation.ts';
import { loadPipeline } from '../../../engine/pipeline/load.ts';
import { Rater } from '../../../engine/rating/rater.ts';

const PIPELINE = new URL('../../../rules/rating/telecom/pipeline.yaml', import.meta.url).pathname;
const EXTERNAL = resolve(import.meta.dirname, '../../../../shared/fixtures/external/telecom-churn-bigml/churn-bigml-20.head21.csv');

/** rate a file through the example pipeline; compare every band charge with the sample's own column */
export async function compareTelecom(file: string) {
  const p = loadPipeline(PIPELINE);
  const udrs: Udr[] = [];
  const fm = new FileMediation(p.mediation, p.config.feed, { udr: (u) => udrs.push(u) });
  await fm.file(file);
  const res = new Rater(p.catalog!).rate(udrs);
  const rows: { udr: string; band: string; ours: string; theirs: string }[] = [];
  for (const c of res.charges) {
    const u = udrs.find((x) => x.id === c.udrId)!;
    rows.push({ udr: c.udrId, band: c.rateId, ours: formatMoney(c.amount, 2), theirs: Number(u.attrs[`expected_${c.rateId}`]).toFixed(2) });
  }
  return { udrs, rows, rejects: res.rejects, mediationRejects: fm.finish().rejects };
}

describe('telecom churn sample: minutes × band rate, rounded half-up per row', () => {
  it('own fixture (same CSV format)', async () => {
    const r = await compareTelecom(new URL('../../../rules/rating/telecom/sample.csv', import.meta.url).pathname);
    expect(r.rejects).toEqual([]);
    expect(r.rows.length).toBe(r.udrs.length * 4);
    expect(r.rows.filter((x) => x.ours !== x.theirs)).toEqual([]);
  });
  it.skipIf(!existsSync(EXTERNAL) && !process.env.CI)('external file: every band of every row matches the sample columns', async () => {
    const r = await compareTelecom(EXTERNAL);
    expect(r.udrs.length).toBe(20);
    expect(r.rows.length).toBe(80);
    const mismatches = r.rows.filter((x) => x.ours !== x.theirs);
    console.log(`telecom sample: ${r.rows.length - mismatches.length}/${r.rows.length} band charges match`);
    expect(mismatches).toEqual([]);
  });
});
