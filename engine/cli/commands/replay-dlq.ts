/**
 * `ratestream replay-dlq --pipeline P [--dlq FILE]`: re-run the mediation rejects of a DLQ file through the
 * CURRENT rules. UDRs go to stdout as JSON lines ({"udr":…}); records that still fail are written to a new DLQ
 * file (`--out`, default <dlq>.remaining.jsonl) and the summary says how many were recovered. With `--write-back`
 * the DLQ file is replaced by the remaining rejects (rating-stage entries are kept untouched).
 * `--topic dlq.<feed>` reads the rejects from a Kafka DLQ topic instead (KAFKA_BROKERS; read_committed, from the
 * beginning, until the topic is idle); the topic is not changed — the still-failing ones go to `--out`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Reject } from '../../core/types.ts';
import { ignoredTotal, summarize } from '../../core/counters.ts';
import { BatchDriver, loadRuntimePipeline } from '../../runtime/driver.ts';
import { dlqLine, rawFromReject, readDlq, readDlqFile } from '../../runtime/sinks/dlq-codec.ts';
import { StdoutSink } from '../../runtime/sinks/stdout.ts';
import { resolveProject } from '../project-root.ts';

export function register(program: Command): void {
  program
    .command('replay-dlq')
    .description('re-run mediation rejects from a DLQ file through the current rules; print recovered UDRs as JSONL')
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML (its feed and mediation rules)')
    .option('--dlq <file>', 'DLQ JSON lines (default: <project>/data/dlq/<feed>.jsonl, the folder `run` writes them to)')
    .option('--out <file>', 'where the still-failing rejects go (default: <dlq>.remaining.jsonl)')
    .option('--write-back', 'replace the DLQ file with the remaining rejects')
    .option('--topic <topic>', 'read the rejects from this Kafka DLQ topic (e.g. dlq.<feed>; brokers from KAFKA_BROKERS) instead of a file')
    .action(async (flags: { pipeline: string; dlq?: string; out?: string; writeBack?: boolean; topic?: string }) => {
      const p = await loadRuntimePipeline(flags.pipeline);
      if (flags.topic && (flags.writeBack || flags.dlq)) throw new Error('--topic reads a Kafka topic: --dlq and --write-back do not apply (use --out)');
      const dlq = flags.topic ?? flags.dlq ?? join(process.env.RATESTREAM_DATA ?? resolveProject({}, [flags.pipeline]).dataDir ?? 'data', 'dlq', `${p.feed}.jsonl`);
      const { entries, bad } = flags.topic ? readDlq(await readTopicText(flags.topic)) : readDlqFile(dlq);
      if (flags.topic) flags.out ??= `${flags.topic}.remaining.jsonl`;
      for (const b of bad) process.stderr.write(`${dlq}:${b.line}: skipped: ${b.message}\n`);
      const mine = entries.filter((e) => (e.stage ?? 'mediation') === 'mediation' && e.feed === p.feed);
      const others = entries.filter((e) => !mine.includes(e));
      const remaining: Reject[] = [];
      const out = new StdoutSink({ udrs: true, rejects: false });
      const d = new BatchDriver(p, { rate: false });
      for (const o of [await d.records(mine.map(rawFromReject)), d.flush()]) {
        out.udrs(o.udrs);
        remaining.push(...o.rejects);
      }
      const t = d.counters;
      out.flush();
      const lines = remaining.map((r) => dlqLine(r));
      if (flags.writeBack) {
        const tmp = `${dlq}.tmp`;
        writeFileSync(tmp, [...others.map((e) => JSON.stringify(e)), ...lines].map((l) => `${l}\n`).join(''));
        renameSync(tmp, dlq);
      } else {
        writeFileSync(flags.out ?? `${dlq}.remaining.jsonl`, lines.map((l) => `${l}\n`).join(''));
      }
      process.stderr.write(`replayed ${mine.length} reject(s) from ${dlq} through ${p.mediation.name}@${p.mediation.version}: recovered ${t.udrs} UDR(s), ${remaining.length} still rejected, ${ignoredTotal(t)} ignored\n${summarize(t)}\n`);
    });
}

/** The committed records of a topic as JSON lines: read from the beginning until nothing arrives for 2 s. */
async function readTopicText(topic: string): Promise<string> {
  const { randomUUID } = await import('node:crypto');
  const { pino } = await import('pino');
  const { createKafkajsPort } = await import('../../runtime/kafka/kafkajs-adapter.ts');
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!brokers.length) throw new Error('--topic: set KAFKA_BROKERS');
  const port = createKafkajsPort({ brokers, clientId: 'ratestream-replay-dlq' }, { logger: pino({ level: 'error' }) });
  const admin = port.admin();
  await admin.connect();
  const end = await admin.endOffsets(topic).finally(() => admin.disconnect());
  const lines: string[] = [];
  if (end.every((o) => o.offset === '0')) return '';
  const consumer = port.consumer({ groupId: `ratestream.replay-dlq.${randomUUID()}`, fromBeginning: true, isolation: 'read_committed', maxWaitTimeMs: 200 });
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe([topic]);
    await consumer.run(async (b) => {
      for (const m of b.messages) if (m.value) lines.push(m.value.toString('utf8'));
      last = Date.now();
    });
    const started = Date.now();
    while (Date.now() - last < 2000 || Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
  }
  return lines.join('\n');
}
