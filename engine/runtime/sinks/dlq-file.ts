/** Dead-letter sink for the embedded mode: rejects appended as JSON lines to <dir>/<feed>.jsonl (replayable). */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Reject } from '../../core/types.ts';

export class FileDlq {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  fileFor(feed: string): string {
    return join(this.dir, `${feed}.jsonl`);
  }

  write(rejects: readonly Reject[], stage: 'mediation' | 'rating'): void {
    if (!rejects.length) return;
    const byFeed = new Map<string, string[]>();
    for (const r of rejects) {
      const list = byFeed.get(r.feed) ?? [];
      list.push(JSON.stringify({ ...r, stage }));
      byFeed.set(r.feed, list);
    }
    for (const [feed, lines] of byFeed) appendFileSync(this.fileFor(feed), `${lines.join('\n')}\n`);
  }
}
