/** Sink `dlq-file`: rejects appended as DLQ lines (dlq-codec.ts) to <dir>/<feed>.jsonl (embedded mode; replayable). */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Reject } from '../../core/types.ts';
import { dlqLine, type DlqStage } from './dlq-codec.ts';
import type { SinkSpec } from './sink.ts';

const options = z.object({ dir: z.string().describe('folder of the DLQ files (default <project>/data/dlq)') }).strict();

export const spec: SinkSpec<typeof options> = {
  type: 'dlq-file',
  description: 'Rejects as JSON lines in <dir>/<feed>.jsonl, with reason, stage, rules version and source coordinates (run).',
  options,
  examples: [{ dir: 'data/dlq' }],
};

export class FileDlq {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  fileFor(feed: string): string {
    return join(this.dir, `${feed}.jsonl`);
  }

  write(rejects: readonly Reject[], stage: DlqStage): void {
    if (!rejects.length) return;
    const byFeed = new Map<string, string[]>();
    for (const r of rejects) {
      const list = byFeed.get(r.feed) ?? [];
      list.push(dlqLine(r, stage));
      byFeed.set(r.feed, list);
    }
    for (const [feed, lines] of byFeed) appendFileSync(this.fileFor(feed), `${lines.join('\n')}\n`);
  }
}
