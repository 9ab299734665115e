/**
 * `ratestream dry-run --pipeline P --input F`: mediate a sample file (or folder) without storing anything; UDRs
 * and rejects on stdout as JSON lines ({"udr":…} / {"reject":…}), the reconciliation summary and file checks on
 * stderr. Exit 2 when a file check (trailer) failed. The same source, framer and batch driver as `run`.
 */
import type { Command } from 'commander';
import { summarize } from '../../core/counters.ts';
import { BatchDriver, loadRuntimePipeline } from '../../runtime/driver.ts';
import { StdoutSink } from '../../runtime/sinks/stdout.ts';
import { FileSource, inputFiles } from '../../runtime/sources/file.ts';

export function register(program: Command): void {
  program
    .command('dry-run')
    .description('mediate a sample input through a pipeline\'s rules; print UDRs and rejects as JSONL (nothing is stored)')
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML')
    .option('-i, --input <path>', 'input file or folder (default: the pipeline\'s input)')
    .option('--rejects-only', 'print only the rejects')
    .option('--summary-only', 'print only the summary')
    .action(async (flags: { pipeline: string; input?: string; rejectsOnly?: boolean; summaryOnly?: boolean }) => {
      const p = await loadRuntimePipeline(flags.pipeline);
      const input = flags.input ?? p.input;
      if (!input) throw new Error(`no input: pass --input PATH or set "input:" in ${flags.pipeline}`);
      const out = new StdoutSink({ udrs: !flags.rejectsOnly && !flags.summaryOnly, rejects: !flags.summaryOnly });
      const d = new BatchDriver(p, { rate: false });
      const c = await d.drive(new FileSource(inputFiles(input), p.mediation.parser, p.feed, p.config['batch-size']), (o) => {
        out.udrs(o.udrs);
        out.rejects(o.rejects);
      });
      out.flush();
      process.stderr.write(`rules ${p.mediation.name}@${p.mediation.version} feed ${p.feed}\n${summarize(c)}\n`);
      for (const x of d.checks) process.stderr.write(`${x.check.ok ? 'check ok' : 'CHECK FAILED'}: ${x.check.message}\n`);
      if (d.checks.some((x) => !x.check.ok)) process.exitCode = 2;
    });
}
