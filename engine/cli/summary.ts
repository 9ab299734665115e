/** The run summary: records read, ignored, rejected by reason, UDRs, charges, total per currency. */
import { humanMoney } from '../core/money.ts';
import type { FileCounters } from '../store/checkpoints.ts';
import { fmtInt } from './format.ts';

export interface Totals {
  files: number;
  skippedFiles: number;
  records: number;
  udrs: number;
  charges: number;
  ignored: Record<string, number>;
  rejected: Record<string, number>;
  amounts: Record<string, bigint>;
  checks: string[];
}

export function emptyTotals(): Totals {
  return { files: 0, skippedFiles: 0, records: 0, udrs: 0, charges: 0, ignored: {}, rejected: {}, amounts: {}, checks: [] };
}

export function addCounters(t: Totals, c: FileCounters, skipped: boolean): void {
  t.files++;
  if (skipped) t.skippedFiles++;
  t.records += c.records;
  t.udrs += c.udrs;
  t.charges += c.charges;
  for (const [k, v] of Object.entries(c.ignored)) t.ignored[k] = (t.ignored[k] ?? 0) + v;
  for (const [k, v] of Object.entries(c.rejected)) t.rejected[k] = (t.rejected[k] ?? 0) + v;
  for (const [k, v] of Object.entries(c.amounts)) t.amounts[k] = (t.amounts[k] ?? 0n) + v;
  if (c.fileCheck) t.checks.push(`${c.file}: ${c.fileCheck}`);
}

const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
const detail = (m: Record<string, number>) => {
  const e = Object.entries(m).sort(([a], [b]) => a.localeCompare(b));
  return e.length ? `  (${e.map(([k, v]) => `${k}: ${fmtInt(v)}`).join(', ')})` : '';
};

export function renderSummary(t: Totals, title: string): string {
  const medRejects = Object.fromEntries(Object.entries(t.rejected).filter(([k]) => !k.startsWith('rating:')));
  const rateRejects = Object.fromEntries(Object.entries(t.rejected).filter(([k]) => k.startsWith('rating:')).map(([k, v]) => [k.slice(7), v]));
  const pad = (s: string) => s.padEnd(16);
  const lines = [
    title,
    `${pad('files')}${fmtInt(t.files)}${t.skippedFiles ? `  (${fmtInt(t.skippedFiles)} already processed: counters from their checkpoints)` : ''}`,
    `${pad('records read')}${fmtInt(t.records)}`,
    `${pad('ignored')}${fmtInt(sum(t.ignored))}${detail(t.ignored)}`,
    `${pad('rejected')}${fmtInt(sum(medRejects))}${detail(medRejects)}`,
    `${pad('UDRs')}${fmtInt(t.udrs)}`,
    `${pad('charges')}${fmtInt(t.charges)}${sum(rateRejects) ? `  (not rated: ${fmtInt(sum(rateRejects))}${detail(rateRejects).trim() ? ` ${detail(rateRejects).trim()}` : ''})` : ''}`,
  ];
  for (const [cur, amt] of Object.entries(t.amounts).sort()) lines.push(`${pad(`total ${cur}`)}${humanMoney(amt)}`);
  for (const c of t.checks) lines.push(`file check      ${c}`);
  return lines.join('\n');
}
