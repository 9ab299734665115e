/**
 * A watched drop directory (the SFTP landing folder of a gateway or switch) → raw.<feed>. A file is taken once its
 * size and mtime held still for one poll; names starting with '.' or ending in .tmp / .part / .filepart are in
 * transfer and skipped. The feed's framer splits the file (CSV headers, fixed-width headers/trailers are consumed
 * there, as in the embedded mode); each record goes to the raw topic (idempotent producer, acks=all), then the file
 * moves to .done/ (or .failed/ with a .error note). A crash between producing and moving re-sends the file: its
 * records carry the same ids and are dropped by mediation dedup / the rate role's dedup window.
 */
import { createReadStream, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FeedParser } from '../../mediation/parsers/types.ts';
import type { StreamMetrics } from '../../telemetry/metrics.ts';
import type { KafkaProducer, ProducerRecord } from '../kafka/port.ts';

export interface DropDirOptions {
  dir: string;
  feed: string;
  topic: string;
  parser: FeedParser;
  pollMs: number;
  batchRecords: number;
  producer: KafkaProducer;
  metrics: StreamMetrics;
  log: Logger;
}

const IN_TRANSFER = /(^\.)|(\.(tmp|part|filepart)$)/i;

export class DropDirWatcher {
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private readonly seen = new Map<string, string>();
  private stopped = false;

  constructor(private readonly o: DropDirOptions) {}

  start(): void {
    for (const d of ['.done', '.failed']) mkdirSync(join(this.o.dir, d), { recursive: true });
    const tick = () => {
      if (this.stopped) return;
      this.busy = this.scan().catch((err: unknown) => this.o.log.error({ err, dir: this.o.dir }, 'drop directory scan failed')).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.busy;
  }

  private async scan(): Promise<void> {
    const names = readdirSync(this.o.dir).filter((n) => !IN_TRANSFER.test(n)).sort();
    for (const name of names) {
      if (this.stopped) return;
      const path = join(this.o.dir, name);
      let st;
      try { st = statSync(path); } catch { continue; }
      if (!st.isFile()) continue;
      const sig = `${st.size}:${st.mtimeMs}`;
      if (this.seen.get(name) !== sig) { this.seen.set(name, sig); continue; } // wait one poll: still being written?
      this.seen.delete(name);
      try {
        const n = await this.send(path, name);
        renameSync(path, join(this.o.dir, '.done', name));
        this.o.metrics.ingestRecords.inc({ source: 'drop-dir', feed: this.o.feed }, n);
        this.o.log.info({ file: name, feed: this.o.feed, records: n }, 'drop-directory file sent');
      } catch (err) {
        this.o.metrics.ingestErrors.inc({ source: 'drop-dir', status: 'failed' });
        this.o.log.error({ err, file: name }, 'drop-directory file failed');
        try {
          renameSync(path, join(this.o.dir, '.failed', name));
          writeFileSync(join(this.o.dir, '.failed', `${name}.error`), `${(err as Error).message}\n`);
        } catch { /* leave it */ }
      }
    }
  }

  private async send(path: string, name: string): Promise<number> {
    const framer = this.o.parser.createFramer(name, this.o.feed);
    let pending: ProducerRecord[] = [];
    let n = 0;
    const flush = async (all: boolean) => {
      while (pending.length >= this.o.batchRecords || (all && pending.length)) {
        const chunk = pending.slice(0, this.o.batchRecords);
        pending = pending.slice(chunk.length);
        await this.o.producer.send(chunk, { acks: -1 });
        n += chunk.length;
      }
    };
    const push = (recs: { text: string; binary?: Uint8Array }[]) => {
      for (const r of recs) pending.push({ topic: this.o.topic, key: null, value: r.binary ? Buffer.from(r.binary) : Buffer.from(r.text) });
    };
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      push(framer.push(chunk as Buffer).records);
      await flush(false);
    }
    const end = framer.end();
    push(end.records);
    if (end.check && !end.check.ok) this.o.log.warn({ file: name, check: end.check.message }, 'file check failed (records sent; mediation rejects them per the feed rules)');
    await flush(true);
    return n;
  }
}
