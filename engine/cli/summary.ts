/** The run summary: records read, ignored, rejected by reason, UDRs, charges, total per currency. */
import { addCounters, type Counters, emptyCounters, mediationRejects, ratingRejects } from '../core/counters.ts';
import { humanMoney } from '../core/money.ts';
import type { FileCounters } from '../store/checkpoints.ts';
import { fmtInt } from './format.ts';

/** a run's counters (the one counters type) over its files */
export interface Totals extends Counters {
  files: number;
  skippedFiles: number;
  checks: string[];
}

export function emptyTotals(): Totals {
  return { ...emptyCounters(), files: 0, skippedFiles: 0, checks: [] };
}

export function addFile(t: Totals, c: FileCounters, skipped: boolean): void {
  t.files++;
  if (skipped) t.skippedFiles++;
  addCounters(t, c);
  if (c.fileCheck) t.checks.push(`${c.file}: ${c.fileCheck}`);
}

const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
const detail = (m: Record<string, number>) => {
  const e = Object.entries(m).sort(([a], [b]) => a.localeCompare(b));
  return e.length ? `  (${e.map(([k, v]) => `${k}: ${fmtInt(v)}`).join(', ')})` : '';
};

export function renderSummary(t: Totals, title: string): string {
  const medRejects = mediationRejects(t);
  const rateRejects = ratingRejects(t);
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
  // by currency; charging runs' costs (`EUR (not billable)`) after their currency's billable total
  for (const [cur, amt] of Object.entries(t.amounts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const label = `total ${cur}`;
    lines.push(`${label.length < 16 ? pad(label) : `${label}  `}${humanMoney(amt)}`);
  }
  for (const c of t.checks) lines.push(`file check      ${c}`);
  return lines.join('\n');
}
