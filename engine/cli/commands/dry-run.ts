/**
 * `ratestream dry-run --pipeline P --input F`: mediate (and rate, unless --no-rate) a sample file (or folder) without
 * storing anything; UDRs, charges and rejects on stdout as JSON lines ({"udr":…} / {"charge":…} / {"reject":…}), the
 * reconciliation summary and file checks on stderr. Rating starts from an empty state (no pools used before). Exit 2 when a file check (trailer) failed. The same source, framer and batch driver as `run`.
 */
import type { Command } from 'commander';
import { summarize } from '../../core/counters.ts';
import { BatchDriver, loadRuntimePipeline } from '../../runtime/driver.ts';
import { StdoutSink } from '../../runtime/sinks/stdout.ts';
import { FileSource, inputFiles } from '../../runtime/sources/file.ts';

export function register(program: Command): void {
  program
    .command('dry-run')
    .description('mediate and rate a sample input through a pipeline; print UDRs, charges and rejects as JSONL (nothing is stored)')
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML')
    .option('-i, --input <path>', 'input file or folder (default: the pipeline\'s input)')
    .option('--rejects-only', 'print only the rejects')
    .option('--summary-only', 'print only the summary')
    .option('--no-rate', 'mediate only: no charges (the pipeline\'s catalog is not loaded into a rater)')
    .action(async (flags: { pipeline: string; input?: string; rejectsOnly?: boolean; summaryOnly?: boolean; rate: boolean }) => {
      const p = await loadRuntimePipeline(flags.pipeline);
      const input = flags.input ?? p.input;
      if (!input) throw new Error(`no input: pass --input PATH or set "input:" in ${flags.pipeline}`);
      const out = new StdoutSink({ udrs: !flags.rejectsOnly && !flags.summaryOnly, charges: !flags.rejectsOnly && !flags.summaryOnly, rejects: !flags.summaryOnly });
      const d = new BatchDriver(p, { rate: flags.rate });
      const c = await d.drive(new FileSource(inputFiles(input), p.mediation.parser, p.feed, p.config['batch-size']), (o) => {
        out.udrs(o.udrs);
        out.charges(o.charges);
        out.rejects(o.rejects);
        out.rejects(o.ratingRejects, 'rating');
      });
      out.flush();
      process.stderr.write(`rules ${p.mediation.name}@${p.mediation.version} feed ${p.feed}\n${summarize(c)}\n`);
      for (const x of d.checks) process.stderr.write(`${x.check.ok ? 'check ok' : 'CHECK FAILED'}: ${x.check.message}\n`);
      if (d.checks.some((x) => !x.check.ok)) process.exitCode = 2;
    });
}
