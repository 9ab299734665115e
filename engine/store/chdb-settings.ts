/**
 * Per-query settings on the in-process engine. chdb's Connection runs a call's `clickhouse_settings` as `SET`
 * statements in its one session (chdb/connection `applySettings`), so a setting outlives its query: an insert without
 * a dedup token after one with a token would carry the stale token and be dropped as a duplicate by the tables' dedup
 * window, and `optimize_on_insert = 0` of one insert would silently apply to every later one. Over HTTP each request's
 * settings end with it; `scopeSettings` restores that: every call also sets back to the engine's default each setting
 * an earlier call changed (and the known per-query ones from the start), unless it gives its own value.
 * (test/integration/chdb-settings.test.ts)
 */
import type { ChdbExtension } from 'chdb/connection';

/** settings the store passes per query (ledger.ts, ledger-native.ts, finance.ts): reset from the first call on */
export const PER_QUERY_SETTINGS = ['insert_deduplication_token', 'optimize_on_insert', 'deduplicate_insert_select'] as const;

type Settings = Record<string, unknown>;
type Lookup = (names: readonly string[]) => Promise<Map<string, string>>;

/** what a call must set: its own settings, over the defaults of every other setting changed in this session */
export class SessionSettings {
  /** setting → its engine default, for every setting a call may have changed */
  private readonly defaults = new Map<string, string>();
  /** names that are no engine setting (HTTP-only ones the connection drops): not looked up again */
  private readonly absent = new Set<string>();
  /** the known settings' defaults, learned once */
  private readonly ready: Promise<void>;

  constructor(private readonly lookup: Lookup, known: readonly string[] = PER_QUERY_SETTINGS) {
    this.ready = this.learn(known);
  }

  private async learn(names: readonly string[]): Promise<void> {
    const found = await this.lookup(names);
    for (const n of names) {
      const d = found.get(n);
      // not an engine setting (an HTTP-only one the connection drops): nothing to reset
      if (d !== undefined) this.defaults.set(n, d);
      else this.absent.add(n);
    }
  }

  /** a session-level setting (SET once for the whole session): calls that change it set it back to `value` */
  async keep(name: string, value: string): Promise<void> {
    await this.ready;
    this.defaults.set(name, value);
  }

  async for(given: Settings | undefined): Promise<Settings | undefined> {
    await this.ready;
    const fresh = given ? Object.keys(given).filter((k) => given[k] !== undefined && !this.defaults.has(k) && !this.absent.has(k)) : [];
    // a setting first seen: its default is learned before the call, so the next call without it resets it
    if (fresh.length) await this.learn(fresh);
    if (!this.defaults.size) return given;
    const out: Settings = {};
    for (const [k, d] of this.defaults) if (given?.[k] === undefined) out[k] = d;
    return { ...out, ...given };
  }
}

/** the engine's default value of each named setting that exists (system.settings `default`) */
export function settingDefaults(chdb: Pick<ChdbExtension, 'queryAsync'>): Lookup {
  return async (names) => {
    const out = new Map<string, string>();
    const valid = names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
    if (!valid.length) return out;
    const r = await chdb.queryAsync(`SELECT name, default FROM system.settings WHERE name IN (${valid.map((n) => `'${n}'`).join(', ')})`, { format: 'JSONEachRow' });
    for (const line of r.text().split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line) as { name: string; default: string };
      out.set(row.name, row.default);
    }
    return out;
  };
}

/** the calls of a chdb Connection that take `clickhouse_settings` */
const SETTING_CALLS = new Set(['query', 'exec', 'command', 'insert']);

/** `connection` with per-query settings (see above); other members pass through */
export function scopeSettings<C extends object>(connection: C, settings: SessionSettings): C {
  return new Proxy(connection, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (typeof prop === 'string' && SETTING_CALLS.has(prop)) {
        return async (params: { clickhouse_settings?: Settings }) =>
          (v as (p: unknown) => Promise<unknown>).call(target, { ...params, clickhouse_settings: await settings.for(params.clickhouse_settings) });
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
