/**
 * Explain: re-rate the records of an input up to the one asked for (state matters: pools, tiers, first use), with
 * tracing on, and print the computation steps of that record's charges.
 */
import { formatMoney } from '../core/money.ts';
import type { Charge, Reject, Udr } from '../core/types.ts';
import { loadPipeline } from '../pipeline/load.ts';
import { recordFate, sourceMatches } from '../mediation/record-fate.ts';
import { FileMediation, inputFiles } from '../mediation/run-files.ts';
import type { CompiledCatalog } from './catalog.ts';
import { Rater } from './rater.ts';

export function describeCharge(c: Charge): string[] {
  const l = JSON.parse(c.lineage) as Record<string, unknown>;
  const out = [
    `charge ${c.id} (${c.kind}) ${formatMoney(c.amount)} ${c.currency}`,
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

export async function explainFromPipeline(pipelineFile: string, input: string | undefined, ref: string): Promise<string[]> {
  const p = loadPipeline(pipelineFile);
  if (!p.catalog) throw new Error(`pipeline ${pipelineFile} has no catalog: nothing is rated`);
  const src = input ?? p.input;
  if (!src) throw new Error(`no input: pass --input FILE or set "input:" in ${pipelineFile}`);
  const udrs: Udr[] = [];
  const rejects: Reject[] = [];
  const fm = new FileMediation(p.mediation, p.config.feed, { udr: (u) => udrs.push(u), reject: (r) => rejects.push(r) });
  for (const f of inputFiles(src)) await fm.file(f.path, f.name);
  fm.finish();
  const isCoord = /:\d+$/.test(ref);
  const match = (source: string, id: string) => (isCoord ? sourceMatches(source, ref) : id === ref);
  const rej = rejects.find((r) => match(r.source, ''));
  if (rej) return [`record ${ref} was rejected: ${rej.reason}: ${rej.message}`, `  raw: ${rej.raw}`];
  const r = explainUdrs(p.catalog, udrs, (u) => match(u.source, u.id));
  const fate = !r.udr && isCoord ? await recordFate(p.mediation, p.config.feed, inputFiles(src), ref) : undefined;
  if (fate) return [fate];
  if (!r.udr) throw new Error(`no UDR ${isCoord ? 'from' : 'with id'} ${ref} in ${src} (${udrs.length} UDRs mediated)`);
  const out = [`UDR ${r.udr.id} (${r.udr.source}) mediated by ${p.mediation.name}@${p.mediation.version}, rated with catalog ${p.catalog.name}@${p.catalog.version} after re-rating the ${udrs.indexOf(r.udr)} earlier UDR(s) of the input:`,
    `  ${JSON.stringify(r.udr)}`];
  for (const c of r.charges) out.push(...describeCharge(c));
  for (const j of r.rejects) out.push(`rejected: ${j.reason}: ${j.message}`);
  return out;
}
