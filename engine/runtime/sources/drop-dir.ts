/**
 * Source `drop-dir`: a watched drop directory (the SFTP landing folder of a gateway or switch) → raw.<feed>. A file
 * is taken once its size and mtime held still for one poll; names starting with '.' or ending in .tmp / .part /
 * .filepart are in transfer and skipped. The file goes through THE framer loop (frameChunks, as `run` reads it): the
 * records go to the raw topic in the raw wire format (sources/kafka.ts: origin coordinates, framing faults such as a
 * trailer mismatch, the consumed header/trailer/comment lines as an ignored marker; binary formats as raw bytes),
 * keyed so a file's records stay in order in one partition (by the feed when it pairs start/stop records, so pairs across
 * files meet: kafka.ts ingestKey; idempotent producer, acks=all); then the
 * file moves to .done/ (or .failed/ with a .error note) — that move is the source's ack. A crash between producing
 * and moving re-sends the file: its records carry the same ids and are dropped by mediation dedup / the rate role's
 * dedup window.
 */
import { createReadStream, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { FeedParser } from '../../mediation/parsers/types.ts';
import type { StreamMetrics } from '../../telemetry/metrics.ts';
import type { KafkaProducer, ProducerRecord } from '../kafka/port.ts';
import { ingestKey, rawProducerRecords } from './kafka.ts';
import { frameChunks, READ_CHUNK_BYTES, type SourceSpec } from './source.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** one `watch:` entry of a serve config */
export const dropDirOptions = z.object({
  dir: z.string().describe('the landing folder (relative to the serve config)'),
  feed: z.string().describe('the feed of the files (one of the pipelines\' feeds)'),
  'poll-ms': int(50, 3_600_000).default(1000).describe('how often the folder is looked at; a file is taken once it held still for one poll'),
  'batch-records': int(1, 1_000_000).default(5000).describe('records per produce request'),
}).strict();

export const spec: SourceSpec<typeof dropDirOptions> = {
  type: 'drop-dir',
  description: 'A watched landing folder: complete files are framed like `run` reads them and sent to raw.<feed> (serve watch:).',
  options: dropDirOptions,
  examples: [{ dir: 'landing/carrier', feed: 'carrier-cdr', 'poll-ms': 1000 }],
};

export interface DropDirOptions {
  dir: string;
  feed: string;
  topic: string;
  parser: FeedParser;
  /** the feed pairs start/stop records (its files share one key) */
  pairing: boolean;
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
        renameSync(path, join(this.o.dir, '.done', name)); // the ack: the file's records are in the raw topic
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

  /** frame the file and produce its records; the number of records sent (ignored markers aside) */
  private async send(path: string, name: string): Promise<number> {
    let n = 0;
    let pending: ProducerRecord[] = [];
    const flush = async (all: boolean) => {
      while (pending.length >= this.o.batchRecords || (all && pending.length)) {
        const chunk = pending.slice(0, this.o.batchRecords);
        pending = pending.slice(chunk.length);
        await this.o.producer.send(chunk, { acks: -1 });
      }
    };
    const chunks = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>;
    for await (const b of frameChunks(this.o.parser, name, this.o.feed, chunks, this.o.batchRecords)) {
      n += b.records.length;
      for (const r of rawProducerRecords(b, this.o.topic, ingestKey(this.o.feed, name, this.o.pairing))) pending.push(r);
      if (b.unitEnd?.check && !b.unitEnd.check.ok) this.o.log.warn({ file: name, check: b.unitEnd.check.message }, 'file check failed (the records carry the fault: mediation rejects them)');
      await flush(false);
    }
    await flush(true);
    return n;
  }
}
