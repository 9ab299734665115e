/**
 * DDL for a read-only finance role on a ClickHouse server (the in-process engine has no access control): SELECT on
 * the ratestream database (tables and finance views), nothing else; a settings profile that enforces read-only
 * queries (readonly = 2: settings such as view parameters may be set, data may not be changed) and bounds query
 * cost; the raw record bytes of rejects (may hold personal data) are withheld. Optionally a user holding the role.
 */
import { ident } from './client.ts';

export interface FinanceRoleOptions {
  database?: string;
  role?: string;
  /** create this user with the role as its default (password given as its SHA-256 hex) */
  user?: { name: string; passwordSha256Hex: string };
  maxExecutionTimeSec?: number;
  maxResultRows?: number;
}

export function financeRoleDdl(o: FinanceRoleOptions = {}): string[] {
  const db = ident(o.database ?? 'ratestream');
  const role = ident(o.role ?? 'ratestream_finance');
  const profile = ident(`${o.role ?? 'ratestream_finance'}_profile`);
  const stmts = [
    `CREATE ROLE IF NOT EXISTS ${role}`,
    `GRANT SELECT ON ${db}.* TO ${role}`,
    `REVOKE SELECT(raw) ON ${db}.rejects FROM ${role}`,
    `CREATE SETTINGS PROFILE IF NOT EXISTS ${profile} SETTINGS readonly = 2, max_execution_time = ${o.maxExecutionTimeSec ?? 300}, max_result_rows = ${o.maxResultRows ?? 10_000_000}, result_overflow_mode = 'throw' TO ${role}`,
  ];
  if (o.user) {
    if (!/^[0-9a-f]{64}$/.test(o.user.passwordSha256Hex)) throw new Error('passwordSha256Hex must be 64 hex characters');
    const user = ident(o.user.name);
    stmts.push(`CREATE USER IF NOT EXISTS ${user} IDENTIFIED WITH sha256_hash BY '${o.user.passwordSha256Hex}' DEFAULT ROLE ${role} DEFAULT DATABASE ${db}`);
    stmts.push(`GRANT ${role} TO ${user}`);
  }
  return stmts;
}
