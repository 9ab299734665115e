/**
 * The `serve` processes of a chaos scenario by slot (one config, each slot its own roles and log): start (join),
 * graceful stop (leave), `kill -9`, and what the scenario reports about them — the peak RSS of every life (read just
 * before it ends), the graceful exit codes, and the logs' tails for a failure message.
 */
import { join } from 'node:path';
import { freePort, logTail, metric, peakRssMiB, scrape, type ServeProcess, sleep, spawnServe, stopServe } from '../../test/integration/streaming-helpers.ts';

export class ServeMembers {
  private readonly live = new Map<string, ServeProcess>();
  private readonly leaving = new Map<string, Promise<number | null>>();
  private readonly joining = new Map<string, Promise<void>>();
  /** starts begun by `join` that failed */
  readonly failedJoins: string[] = [];
  /** peak RSS (MiB) of every life that ended, by slot */
  readonly peakRss = new Map<string, number>();
  /** exit codes of graceful stops */
  readonly gracefulExits: (number | null)[] = [];
  starts = 0;

  constructor(private readonly config: string, private readonly dir: string, private readonly roles: Record<string, string | undefined>) {}

  up(slot: string): boolean {
    return this.live.has(slot);
  }

  /** True while a `join` of the slot is under way (started, not listening yet). */
  starting(slot: string): boolean {
    return this.joining.has(slot);
  }

  slots(): string[] {
    return [...this.live.keys()];
  }

  port(slot: string): number {
    return this.live.get(slot)!.port;
  }

  /** Starts the slot (after its previous life, if it is still leaving, has exited). */
  async start(slot: string): Promise<ServeProcess> {
    if (this.live.has(slot)) throw new Error(`${slot} is already running`);
    await this.leaving.get(slot);
    const p = await spawnServe(this.config, { roles: this.roles[slot], port: freePort(), log: join(this.dir, `${slot}.log`) });
    this.live.set(slot, p);
    this.starts++;
    return p;
  }

  /** Starts the slot in the background (a member joining); `settled` waits for it. */
  join(slot: string): void {
    if (this.joining.has(slot)) throw new Error(`${slot} is already joining`);
    this.joining.set(slot, this.start(slot)
      .then(() => undefined, (e: unknown) => { this.failedJoins.push(`${slot}: ${(e as Error).message}`); })
      .finally(() => this.joining.delete(slot)));
  }

  /** kill -9 of the slot's process (awaited until it is gone). */
  async kill(slot: string): Promise<void> {
    const p = this.take(slot);
    await stopServe(p, 'SIGKILL');
  }

  /** SIGTERM: the slot leaves gracefully; not awaited (see `settled`), the slot counts as down at once. */
  leave(slot: string): void {
    const p = this.take(slot);
    this.leaving.set(slot, stopServe(p).then((code) => {
      this.gracefulExits.push(code);
      return code;
    }));
  }

  /** Graceful stop of every running slot, awaited, and of the ones still leaving. */
  async stopAll(): Promise<void> {
    await Promise.all(this.joining.values());
    for (const slot of this.slots()) this.leave(slot);
    await this.settled();
  }

  /** Waits for the slots still joining or leaving. */
  async settled(): Promise<void> {
    await Promise.all([...this.joining.values(), ...this.leaving.values()]);
  }

  /** For afterAll: kill -9 whatever still runs. */
  async killAll(): Promise<void> {
    await Promise.all(this.joining.values());
    for (const slot of this.slots()) await this.kill(slot);
    await this.settled();
  }

  /** Sum of a metric over the running slots (0 for a slot whose /metrics does not answer within 5 s). */
  async metric(name: string, labels: Record<string, string>): Promise<number> {
    let n = 0;
    for (const p of this.live.values()) {
      try {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no answer in 5 s')), 5000); });
        n += metric(await Promise.race([scrape(p.port), late]).finally(() => clearTimeout(timer)), name, labels);
      } catch {
        // starting or dying: counts as 0
      }
    }
    return n;
  }

  /** Polls `done` until true; fails at once if a running slot died by itself, and with the logs' tails on timeout. */
  async until(what: string, done: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; ;) {
      const dead = this.exited();
      if (dead.length) throw new Error(`${what}: serve died by itself: ${dead.join(', ')}\n${this.tails()}`);
      if (await done()) return;
      if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs / 1000} s\n${this.tails()}`);
      await sleep(intervalMs);
    }
  }

  exited(): string[] {
    return [...this.live.entries()].filter(([, p]) => p.child.exitCode !== null || p.child.signalCode !== null).map(([s, p]) => `${s} (exit ${p.child.exitCode ?? p.child.signalCode})`);
  }

  maxPeakRss(): number {
    for (const slot of this.live.keys()) this.notePeak(slot, this.live.get(slot)!);
    return Math.max(0, ...this.peakRss.values());
  }

  tails(n = 30): string {
    return [...new Set([...this.live.keys(), ...this.peakRss.keys()])].map((s) => `--- ${s}.log\n${logTail(join(this.dir, `${s}.log`), n)}`).join('\n');
  }

  private take(slot: string): ServeProcess {
    const p = this.live.get(slot);
    if (!p) throw new Error(`${slot} is not running`);
    this.live.delete(slot);
    this.notePeak(slot, p);
    return p;
  }

  private notePeak(slot: string, p: ServeProcess): void {
    const rss = peakRssMiB(p.child.pid);
    if (rss !== undefined && !Number.isNaN(rss)) this.peakRss.set(slot, Math.max(this.peakRss.get(slot) ?? 0, rss));
  }
}
