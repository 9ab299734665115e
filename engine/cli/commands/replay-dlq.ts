/**
 * `ratestream replay-dlq --pipeline P [--dlq FILE]`: re-run the mediation rejects of a DLQ file through the
 * CURRENT rules. UDRs go to stdout as JSON lines ({"udr":…}); records that still fail are written to a new DLQ
 * file (`--out`, default <dlq>.remaining.jsonl) and the summary says how many were recovered. With `--write-back`
 * the DLQ file is replaced by the remaining rejects (rating-stage entries are kept untouched).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Reject } from '../../core/types.ts';
import { dlqLine, rawFromReject, readDlqFile } from '../../mediation/dlq.ts';
import { loadPipelineRules } from '../../mediation/pipeline-rules.ts';
import { FileMediation, summarize } from '../../mediation/run-files.ts';

export function register(program: Command): void {
  program
    .command('replay-dlq')
    .description('re-run mediation rejects from a DLQ file through the current rules; print recovered UDRs as JSONL')
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML (its feed and mediation rules)')
    .option('--dlq <file>', 'DLQ JSON lines (default: data/dlq/<feed>.jsonl)')
    .option('--out <file>', 'where the still-failing rejects go (default: <dlq>.remaining.jsonl)')
    .option('--write-back', 'replace the DLQ file with the remaining rejects')
    .action(async (flags: { pipeline: string; dlq?: string; out?: string; writeBack?: boolean }) => {
      const p = await loadPipelineRules(flags.pipeline);
      const dlq = flags.dlq ?? join(process.env.RATESTREAM_DATA ?? 'data', 'dlq', `${p.feed}.jsonl`);
      const { entries, bad } = readDlqFile(dlq);
      for (const b of bad) process.stderr.write(`${dlq}:${b.line}: skipped: ${b.message}\n`);
      const mine = entries.filter((e) => (e.stage ?? 'mediation') === 'mediation' && e.feed === p.feed);
      const others = entries.filter((e) => !mine.includes(e));
      const remaining: Reject[] = [];
      const out: string[] = [];
      const fm = new FileMediation(p.rules, p.feed, { udr: (u) => out.push(JSON.stringify({ udr: u })), reject: (r) => remaining.push(r) });
      await fm.records(mine.map(rawFromReject));
      const t = fm.finish();
      if (out.length) process.stdout.write(`${out.join('\n')}\n`);
      const lines = remaining.map((r) => dlqLine(r));
      if (flags.writeBack) {
        const tmp = `${dlq}.tmp`;
        writeFileSync(tmp, [...others.map((e) => JSON.stringify(e)), ...lines].map((l) => `${l}\n`).join(''));
        renameSync(tmp, dlq);
      } else {
        writeFileSync(flags.out ?? `${dlq}.remaining.jsonl`, lines.map((l) => `${l}\n`).join(''));
      }
      process.stderr.write(`replayed ${mine.length} reject(s) from ${dlq} through ${p.rules.name}@${p.rules.version}: recovered ${t.udrs} UDR(s), ${t.rejects} still rejected, ${t.ignored} ignored\n${summarize(t)}\n`);
    });
}
