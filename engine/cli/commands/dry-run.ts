/**
 * `ratestream dry-run --pipeline P --input F`: mediate a sample file (or folder) without storing anything; UDRs
 * and rejects on stdout as JSON lines ({"udr":…} / {"reject":…}), the reconciliation summary and file checks on
 * stderr. Exit 2 when a file check (trailer) failed.
 */
import type { Command } from 'commander';
import { FileMediation, inputFiles, summarize } from '../../mediation/run-files.ts';
import { loadPipelineRules } from '../../mediation/pipeline-rules.ts';

export function register(program: Command): void {
  program
    .command('dry-run')
    .description('mediate a sample input through a pipeline\'s rules; print UDRs and rejects as JSONL (nothing is stored)')
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML')
    .option('-i, --input <path>', 'input file or folder (default: the pipeline\'s input)')
    .option('--rejects-only', 'print only the rejects')
    .option('--summary-only', 'print only the summary')
    .action(async (flags: { pipeline: string; input?: string; rejectsOnly?: boolean; summaryOnly?: boolean }) => {
      const p = await loadPipelineRules(flags.pipeline);
      const input = flags.input ?? p.input;
      if (!input) throw new Error(`no input: pass --input PATH or set "input:" in ${flags.pipeline}`);
      const out: string[] = [];
      const write = (s: string) => {
        out.push(s);
        if (out.length >= 4096) { process.stdout.write(`${out.join('\n')}\n`); out.length = 0; }
      };
      const fm = new FileMediation(p.rules, p.feed, {
        udr: flags.rejectsOnly || flags.summaryOnly ? undefined : (u) => write(JSON.stringify({ udr: u })),
        reject: flags.summaryOnly ? undefined : (r) => write(JSON.stringify({ reject: r })),
      });
      for (const f of inputFiles(input)) await fm.file(f.path, f.name);
      const t = fm.finish();
      if (out.length) process.stdout.write(`${out.join('\n')}\n`);
      process.stderr.write(`rules ${p.rules.name}@${p.rules.version} feed ${p.feed}\n${summarize(t)}\n`);
      for (const c of t.checks) process.stderr.write(`${c.check.ok ? 'check ok' : 'CHECK FAILED'}: ${c.check.message}\n`);
      if (t.checks.some((c) => !c.check.ok)) process.exitCode = 2;
    });
}
