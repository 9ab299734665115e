/**
 * A ClickHouse connection whose failures a test controls: every INSERT errors at once ('error'), or hangs until
 * `recover()` and then fails ('hang', the sink's insert timeout fires first), and `loseNextAck` makes the next
 * successful INSERT throw after ClickHouse applied it (a lost acknowledgement). Other statements pass through.
 */
import type { StoreClient } from '../../engine/store/client.ts';

export class SinkFaults {
  mode: 'ok' | 'error' | 'hang' = 'ok';
  loseNextAck = false;
  lostAcks = 0;
  failedCalls = 0;
  hungCalls = 0;
  private release: Array<() => void> = [];

  wrap(store: StoreClient): StoreClient {
    const real = store.client;
    const command = async (params: Parameters<typeof real.command>[0]) => {
      const insert = /^\s*INSERT/i.test(params.query);
      if (insert && this.mode === 'error') { this.failedCalls++; throw new Error('connect ECONNREFUSED 127.0.0.1:8123 (simulated outage)'); }
      if (insert && this.mode === 'hang') {
        this.failedCalls++;
        this.hungCalls++;
        await new Promise<void>((r) => this.release.push(r));
        throw new Error('socket hang up (simulated outage)');
      }
      const r = await real.command(params);
      if (insert && this.loseNextAck) {
        this.loseNextAck = false;
        this.lostAcks++;
        throw new Error('socket hang up after the insert was applied (simulated lost acknowledgement)');
      }
      return r;
    };
    const client = new Proxy(real, { get: (t, p) => (p === 'command' ? command : Reflect.get(t, p, t)) });
    return { ...store, client };
  }

  /** Ends the outage: inserts succeed again and the hanging ones fail now. */
  recover(): void {
    this.mode = 'ok';
    for (const r of this.release.splice(0)) r();
  }
}
