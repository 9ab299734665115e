/** Applies pending migrations in order and records them. Idempotent. */
import { ident, queryRows, type StoreClient } from './client.ts';
import { MIGRATIONS } from './migrations/index.ts';

export async function migrate(s: StoreClient): Promise<number[]> {
  const db = ident(s.database);
  await s.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const done = new Set((await queryRows<{ version: number }>(s, `SELECT version FROM ${db}.schema_migrations FINAL`)).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    for (const st of m.statements) await s.client.command({ query: st.replaceAll('{db}', db) });
    await s.client.insert({ table: `${s.database}.schema_migrations`, values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    applied.push(m.version);
  }
  return applied;
}
