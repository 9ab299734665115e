/**
 * User SQL (`ratestream query`): run exactly the text the user wrote (no wrapper: the output format goes as the
 * `default_format` setting, so error positions are positions in the user's SQL), on a read-only session, with
 * decimals and 64-bit integers returned as strings so they print exactly. Errors are rewritten to point into the
 * user's SQL (line, column, a caret) and to say plainly when a statement was refused as a write.
 */
import { EXACT_JSON_SETTINGS, type StoreClient } from './client.ts';

/** Session settings for user queries (set before `readonly`, which forbids changing them afterwards). */
export const USER_QUERY_SETTINGS: Record<string, number> = { ...EXACT_JSON_SETTINGS };

export interface Column {
  name: string;
  type: string;
}

export type UserQueryResult =
  | { kind: 'rows'; columns: Column[]; rows: unknown[][] }
  /** the SQL chose its own output format (`... FORMAT Pretty`): printed as ClickHouse wrote it */
  | { kind: 'raw'; text: string };

const FORMAT_CLAUSE = /\bFORMAT\s+[A-Za-z][A-Za-z0-9]*\s*$/i;

/** One statement as the user wrote it: trailing semicolons and whitespace dropped (leading text kept: positions). */
export function cleanSql(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

export async function runUserQuery(s: StoreClient, userSql: string): Promise<UserQueryResult> {
  const sql = cleanSql(userSql);
  if (!sql.trim()) throw new Error('empty SQL');
  const own = FORMAT_CLAUSE.test(sql);
  let text: string;
  try {
    const r = await s.client.exec({ query: sql, clickhouse_settings: own ? {} : { default_format: 'JSONCompactEachRowWithNamesAndTypes' } });
    text = await streamText(r.stream);
  } catch (e) {
    throw new Error(explainSqlError((e as Error).message, sql));
  }
  if (own) return { kind: 'raw', text };
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (!lines.length) return { kind: 'rows', columns: [], rows: [] };
  const names = JSON.parse(lines[0]!) as string[];
  const types = JSON.parse(lines[1] ?? '[]') as string[];
  return { kind: 'rows', columns: names.map((name, i) => ({ name, type: types[i] ?? '' })), rows: lines.slice(2).map((l) => JSON.parse(l) as unknown[]) };
}

async function streamText(stream: AsyncIterable<unknown>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c as Uint8Array));
  return Buffer.concat(parts).toString('utf8');
}

/** Line and column (1-based) of a 1-based character position in `sql`. */
export function lineCol(sql: string, position: number): { line: number; col: number } {
  const before = sql.slice(0, Math.max(0, position - 1));
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, col: before.length - nl };
}

/** A ClickHouse error message as the user should read it, pointing into their SQL. */
export function explainSqlError(message: string, sql: string): string {
  const msg = message.replace(/^default: /, '').trim();
  if (/Cannot execute query in readonly mode/i.test(msg)) {
    return 'refused: `ratestream query` is read-only (SELECT, SHOW, DESCRIBE, EXPLAIN, WITH ...); this statement would change the store or read outside it. '
      + 'The ledger changes only through run, invoice and rerate.';
  }
  const setting = /Cannot modify '([^']+)' setting in readonly mode/i.exec(msg);
  if (setting) return `refused: \`ratestream query\` is read-only and cannot change settings (${setting[1]})`;
  const at = /(Syntax error[^:]*): failed at position (\d+)/.exec(msg);
  if (at) {
    // positions count from the first non-blank character (the client trims the statement)
    const pos = Number(at[2]) + (sql.length - sql.trimStart().length);
    const { line, col } = lineCol(sql, pos);
    const src = sql.split('\n')[line - 1] ?? '';
    // the message echoes the SQL from the position on, then gives the reason: keep only the reason
    const echo = sql.slice(pos - 1);
    const k = echo ? msg.lastIndexOf(echo) : -1;
    const reason = (k >= 0 ? msg.slice(k + echo.length) : /\. (Expected|Unmatched|Unexpected|Multi)[\s\S]*$/.exec(msg)?.[0] ?? '').replace(/^\.\s*/, '').trim();
    const where = pos > sql.length ? 'at the end of the SQL' : `at line ${line}, column ${col}`;
    return `SQL syntax error ${where}${reason ? `: ${shorten(reason)}` : ''}\n  ${src}\n  ${' '.repeat(Math.max(0, col - 1))}^`;
  }
  return msg;
}

function shorten(expected: string): string {
  const m = /^Expected one of: (.*)$/s.exec(expected.trim());
  if (!m) return expected.trim().replace(/\.$/, '');
  const items = m[1]!.replace(/\.\s*$/, '').split(', ');
  return `expected one of: ${items.slice(0, 8).join(', ')}${items.length > 8 ? ', …' : ''}`;
}
