/** `ratestream explain --pipeline P --input F <udr-id | file:line>`: why did this record get this price. */
import type { Command } from 'commander';
import type { Reject, Udr } from '../../core/types.ts';
import { BatchDriver, loadRuntimePipeline } from '../../runtime/driver.ts';
import { FileSource, inputFiles } from '../../runtime/sources/file.ts';
import { describeCharge, explainUdrs } from '../../rating/explain.ts';
import { recordFate, sourceMatches } from '../../runtime/record-fate.ts';

export function register(program: Command): void {
  program
    .command('explain')
    .description('re-mediate and re-rate an input up to one record and print its computation step by step')
    .argument('<ref>', 'a UDR id or source coordinates file:line')
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML (mediation rules + catalog)')
    .option('-i, --input <path>', 'input file or folder (default: the pipeline\'s input)')
    .action(async (ref: string, flags: { pipeline: string; input?: string }) => {
      process.stdout.write(`${(await explainFromPipeline(flags.pipeline, flags.input, ref)).join('\n')}\n`);
    });
}

export async function explainFromPipeline(pipelineFile: string, input: string | undefined, ref: string): Promise<string[]> {
  const p = await loadRuntimePipeline(pipelineFile);
  if (!p.catalog) throw new Error(`pipeline ${pipelineFile} has no catalog: nothing is rated`);
  const src = input ?? p.input;
  if (!src) throw new Error(`no input: pass --input FILE or set "input:" in ${pipelineFile}`);
  const udrs: Udr[] = [];
  const rejects: Reject[] = [];
  // mediation only here: explainUdrs re-rates the UDRs up to the one asked for, recording every step
  await new BatchDriver(p, { rate: false }).drive(new FileSource(inputFiles(src), p.mediation.parser, p.feed, p.config['batch-size']), (o) => {
    udrs.push(...o.udrs);
    rejects.push(...o.rejects);
  });
  const isCoord = /:\d+$/.test(ref);
  const match = (source: string, id: string) => (isCoord ? sourceMatches(source, ref) : id === ref);
  const rej = rejects.find((r) => match(r.source, ''));
  if (rej) return [`record ${ref} was rejected: ${rej.reason}: ${rej.message}`, `  raw: ${rej.raw}`];
  const r = explainUdrs(p.catalog, udrs, (u) => match(u.source, u.id));
  const fate = !r.udr && isCoord ? await recordFate(p, inputFiles(src), ref) : undefined;
  if (fate) return [fate];
  if (!r.udr) throw new Error(`no UDR ${isCoord ? 'from' : 'with id'} ${ref} in ${src} (${udrs.length} UDRs mediated)`);
  const out = [`UDR ${r.udr.id} (${r.udr.source}) mediated by ${p.mediation.name}@${p.mediation.version}, rated with catalog ${p.catalog.name}@${p.catalog.version} after re-rating the ${udrs.indexOf(r.udr)} earlier UDR(s) of the input:`,
    `  ${JSON.stringify(r.udr)}`];
  for (const c of r.charges) out.push(...describeCharge(c));
  for (const j of r.rejects) out.push(`rejected: ${j.reason}: ${j.message}`);
  return out;
}
