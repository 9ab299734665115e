/**
 * The mediate role's in-run dedup window, persisted with its raw partition (like the pairing state, in the same
 * compacted changelog topic `mediation-state.<feed>`, partition = the raw partition):
 *
 *   key `dedup/<raw partition>/<first offset of the batch>/<chunk>` → JSON array of the record ids the batch added to
 *                                                                   the Mediator's window (≤ CHUNK ids per record)
 *
 * written in the mediate transaction of the batch, with its UDRs and input offsets. Whole entries are tombstoned
 * oldest first once the newer ones alone hold the window (`dedup.window` ids), so the log stays about one window
 * per partition and a restore gives the Mediator at least the ids it had (it keeps the newest `window`). These keys
 * never collide with the pairing state's (`<raw partition>/<pairing key>`, `<raw partition>`): they do not start with
 * a number.
 */
import type { ConsumedMessage, ProducerRecord } from '../kafka/port.ts';

const CHUNK = 5000;

export class MediationDedupLog {
  /** entries in log order: key → how many ids */
  private readonly entries = new Map<string, number>();
  private count = 0;
  /** ids read back, by entry key (only while restoring) */
  private readonly restored = new Map<string, string[]>();
  private readonly prefix: string;
  records = 0;

  constructor(private readonly topic: string, private readonly partition: number) {
    this.prefix = `dedup/${partition}/`;
  }

  /** one changelog record (in log order) while restoring; other keys are ignored */
  add(m: ConsumedMessage): void {
    const k = m.key?.toString('utf8');
    if (k === undefined || !k.startsWith(this.prefix)) return;
    this.records++;
    this.drop(k);
    if (m.value === null) return;
    const ids = JSON.parse(m.value.toString('utf8')) as string[];
    this.entries.set(k, ids.length);
    this.count += ids.length;
    this.restored.set(k, ids);
  }

  /** the restored ids, oldest first (then forgotten: the Mediator holds them) */
  takeIds(): string[] {
    const out: string[] = [];
    for (const ids of this.restored.values()) for (const id of ids) out.push(id);
    this.restored.clear();
    return out;
  }

  /**
   * The changelog records for the ids a batch starting at `offset` added to a window of `window` ids: the new
   * entries and tombstones for the oldest entries the newer ones make unnecessary.
   */
  append(offset: string, ids: readonly string[], window: number): ProducerRecord[] {
    const out: ProducerRecord[] = [];
    if (ids.length === 0) return out;
    for (let i = 0, c = 0; i < ids.length; i += CHUNK, c++) {
      const chunk = ids.slice(i, i + CHUNK);
      const key = `${this.prefix}${offset}/${c}`;
      this.drop(key);
      this.entries.set(key, chunk.length);
      this.count += chunk.length;
      out.push({ topic: this.topic, partition: this.partition, key, value: Buffer.from(JSON.stringify(chunk)) });
    }
    for (;;) {
      const [oldest] = this.entries;
      if (!oldest || this.count - oldest[1] < window) break;
      this.drop(oldest[0]);
      out.push({ topic: this.topic, partition: this.partition, key: oldest[0], value: null });
    }
    return out;
  }

  /** ids the live entries hold */
  get ids(): number {
    return this.count;
  }

  private drop(key: string): void {
    const n = this.entries.get(key);
    if (n === undefined) return;
    this.entries.delete(key);
    this.restored.delete(key);
    this.count -= n;
  }
}
