/**
 * Explain: re-rate UDRs up to the one asked for (state matters: pools, tiers, first use), with tracing on, and describe
 * the computation steps of that record's charges. Reading a pipeline's input is the `explain` command's part.
 */
import { formatMoney } from '../core/money.ts';
import { type Charge, lineageText, type Reject, type Udr } from '../core/types.ts';
import type { CompiledCatalog } from './catalog.ts';
import { Rater } from './rater.ts';

export function describeCharge(c: Charge): string[] {
  const l = JSON.parse(lineageText(c)) as Record<string, unknown>;
  const out = [
    `charge ${c.id} (${c.kind}${c.run ? `, run ${c.run}${c.billable === false ? ', not billable' : ''}` : ''}) ${formatMoney(c.amount)} ${c.currency}`,
    `  udr ${c.udrId} from ${c.source}; account ${c.account}${c.service ? `, service ${c.service}` : ''}; plan ${c.plan || '-'}, rate ${c.rateId}`,
    `  matched: ${c.matched}`,
    `  catalog ${c.catalogVersion}${c.rulesVersion ? `, rules ${c.rulesVersion}` : ''}`,
  ];
  if (Array.isArray(l.debits)) for (const d of l.debits) out.push(`  bucket debit: ${JSON.stringify(d)}`);
  if (Array.isArray(l.steps)) {
    out.push('  steps:');
    (l.steps as string[]).forEach((s, i) => out.push(`    ${i + 1}. ${s}`));
  }
  return out;
}

/** Rate `udrs` in order with tracing and return the charges / rejects of the target UDR. */
export function explainUdrs(catalog: CompiledCatalog, udrs: readonly Udr[], target: (u: Udr) => boolean): { udr?: Udr; charges: Charge[]; rejects: Reject[] } {
  const rater = new Rater(catalog, undefined, { trace: true });
  for (const u of udrs) {
    const res = rater.rate([u]);
    if (target(u)) return { udr: u, charges: res.charges, rejects: res.rejects };
  }
  return { charges: [], rejects: [] };
}
