/** Pure parts of the billing layer: periods, tax table + per-line rounding, GL balancing, signatures, CSV safety, pinned SQL. */
import { describe, expect, it } from 'vitest';
import { loadBillingConfig } from '../../../engine/billing/config.ts';
import { sign, verifySignature } from '../../../engine/billing/events/webhook.ts';
import { eventId } from '../../../engine/billing/events/model.ts';
import { balance, buildJournal } from '../../../engine/billing/gl.ts';
import { buildInvoice, invoiceNumber } from '../../../engine/billing/invoice.ts';
import { issueDate, nextPeriod, parsePeriod } from '../../../engine/billing/period.ts';
import { fileCountersSql, ratedSql } from '../../../engine/billing/reconcile.ts';
import { renderInvoiceCsv } from '../../../engine/billing/render/csv.ts';
import { quantityText, rateText } from '../../../engine/billing/render/format.ts';
import { lineTax, TableTaxHook } from '../../../engine/billing/tax.ts';
import { parseMoney } from '../../../engine/core/money.ts';
import { financeRoleDdl } from '../../../engine/store/finance-role.ts';
import type { LedgerCharge, PendingAdjustment } from '../../../engine/store/finance.ts';
import { FINANCE_VIEWS, VIEW_STATEMENTS } from '../../../engine/store/views.ts';

const cfg = loadBillingConfig();
const oct = parsePeriod('2026-10', 'Europe/Amsterdam');

function charge(p: Partial<LedgerCharge>): LedgerCharge {
  return { chargeId: 'c', version: 1, udrId: 'u', account: 'ACME', service: 'ACME-M1', usageClass: 'voice', kind: 'usage', product: 'mobile', plan: 'mobile-business',
    rateId: 'voice-nl', matched: '*', quantity: 60_000n, unit: 'ms', amount: parseMoney('0.1100'), currency: 'EUR', eventTime: oct.start + 1000, feed: 'f', lineage: '{}',
    ratingKey: 'ACME', source: 's', rulesVersion: 'r', catalogVersion: 'c', ...p };
}

describe('billing periods', () => {
  it('are calendar months in the billing zone; the issue date is the day after', () => {
    expect(oct).toMatchObject({ id: '2026-10', firstDay: '2026-10-01', lastDay: '2026-10-31', days: 31 });
    expect(new Date(oct.start).toISOString()).toBe('2026-09-30T22:00:00.000Z'); // CEST
    expect(new Date(oct.end).toISOString()).toBe('2026-10-31T23:00:00.000Z'); // CET after the switch
    expect(issueDate(oct)).toBe('2026-11-01');
    expect(nextPeriod(oct).id).toBe('2026-11');
    expect(() => parsePeriod('2026-13', 'UTC')).toThrow(/YYYY-MM/);
    expect(invoiceNumber('NW', '2026-10', 'ACME')).toBe('NW-202610-ACME');
  });
});

describe('tax', () => {
  const hook = new TableTaxHook(cfg.taxTable);
  const line = { account: 'A', period: '2026-10', product: 'mobile', plan: 'p', usageClass: 'voice', service: '', net: 0n };
  it('looks up jurisdiction + line item: first matching rule, else the default', () => {
    expect(hook.taxFor({ ...line, jurisdiction: 'NL', section: 'usage' })).toMatchObject({ code: 'NL-VAT-21', rate: '0.21' });
    expect(hook.taxFor({ ...line, jurisdiction: 'NL', section: 'penalty' })).toMatchObject({ code: 'NL-VAT-OOS', rate: '0' });
    expect(hook.taxFor({ ...line, jurisdiction: 'DE', section: 'usage' })).toMatchObject({ code: 'DE-VAT-19', rate: '0.19' });
    expect(() => hook.taxFor({ ...line, jurisdiction: 'XX', section: 'usage' })).toThrow(/no jurisdiction XX/);
  });
  it('rounds per line, explicitly', () => {
    expect(lineTax(parseMoney('0.10'), '0.21', 2, 'half-up')).toBe(parseMoney('0.02')); // 0.021
    expect(lineTax(parseMoney('0.50'), '0.21', 2, 'half-up')).toBe(parseMoney('0.11')); // 0.105 → half-up
    expect(lineTax(parseMoney('0.50'), '0.21', 2, 'half-even')).toBe(parseMoney('0.10'));
    expect(lineTax(parseMoney('-0.50'), '0.21', 2, 'half-up')).toBe(parseMoney('-0.11'));
    expect(lineTax(parseMoney('100.00'), '0.08875', 2, 'half-up')).toBe(parseMoney('8.88'));
  });
});

describe('buildInvoice', () => {
  it('groups usage per rate, rounds each line to cents, taxes each line, carries adjustments of earlier invoices', () => {
    const charges = [charge({ chargeId: 'a' }), charge({ chargeId: 'b', amount: parseMoney('0.0049'), service: 'ACME-M2' }), charge({ chargeId: 'c', kind: 'one_time', rateId: 'activation', amount: parseMoney('5') })];
    const adj: PendingAdjustment[] = [{ ...charge({ chargeId: 'old', amount: parseMoney('1.2345') }), billed: parseMoney('1.0000'), wasBilled: true, originPeriod: '2026-09', originInvoice: 'NW-202609-ACME' }];
    const b = buildInvoice(cfg, new TableTaxHook(cfg.taxTable), oct, 'ACME', charges, adj);
    expect(b.doc.lines.map((l) => [l.section, l.net, l.tax, l.charges, l.service])).toEqual([
      ['one_time', '5.00', '1.05', 1, 'ACME-M1'],
      ['usage', '0.11', '0.02', 2, ''], // 0.1149 → 0.11; services differ → no service on the line
      ['adjustment', '0.23', '0.05', 1, 'ACME-M1'], // 1.2345 − 1.0000
    ]);
    expect(b.doc.totals).toEqual({ net: '5.34', tax: '1.12', total: '6.46' });
    expect(b.items.map((i) => [i.chargeId, i.amount])).toEqual([['c', parseMoney('5')], ['a', parseMoney('0.11')], ['b', parseMoney('0.0049')], ['old', parseMoney('0.2345')]]);
    expect(b.doc).toMatchObject({ invoiceNo: 'NW-202610-ACME', issueDate: '2026-11-01', dueDate: '2026-12-01', customer: { name: 'Acme Logistics BV', jurisdiction: 'NL' } });
    // deterministic
    expect(JSON.stringify(buildInvoice(cfg, new TableTaxHook(cfg.taxTable), oct, 'ACME', [...charges].reverse(), adj).doc)).toBe(JSON.stringify(b.doc));
  });
  it('refuses charges in another currency', () => {
    expect(() => buildInvoice(cfg, new TableTaxHook(cfg.taxTable), oct, 'ACME', [charge({ currency: 'USD' })], [])).toThrow(/USD/);
  });
  it('writes CSV safe for spreadsheets with numeric amounts', () => {
    const b = buildInvoice(cfg, new TableTaxHook(cfg.taxTable), oct, 'ACME', [charge({ kind: 'one_time', service: '=HYPERLINK("http://x")' })], []);
    const csv = renderInvoiceCsv(b.doc);
    expect(csv).toContain(`,"'=HYPERLINK(""http://x"")",`); // the service cell: quoted, prefixed, never a formula
    expect(csv).toContain(`"'=HYPERLINK(""http://x""): voice-nl · Mobile Business"`); // the description starts with it too
    expect(csv).toContain(',0.11,NL-VAT-21,0.21,0.02,0.13,EUR,');
  });
});

describe('GL export', () => {
  const line = (p: Record<string, unknown>) => ({ invoiceNo: 'I1', account: 'A', currency: 'EUR', issueDate: '2026-11-01', lineNo: 1, section: 'usage', product: 'mobile', plan: 'p',
    usageClass: 'voice', rateId: 'r', service: '', description: 'd', quantity: 1n, unit: 'ms', charges: 1, net: parseMoney('10'), jurisdiction: 'NL', taxCode: 'NL-VAT-21',
    taxRate: parseMoney('0.21'), tax: parseMoney('2.10'), originPeriod: '', ...p });
  const lines = [line({}), line({ lineNo: 2, section: 'adjustment', net: parseMoney('-3'), tax: parseMoney('-0.63') }), line({ invoiceNo: 'I2', account: 'B', usageClass: 'sms', net: parseMoney('1.01'), tax: 0n, taxCode: 'EU-VAT-RC' })];
  it('balances per journal, credit notes swap sides', () => {
    const t = buildJournal(lines, cfg.gl!, 'transaction', '2026-10');
    expect(balance(t)).toMatchObject({ unbalanced: [], journals: 2 });
    const adj = t.find((j) => j.glAccount === '8900')!;
    expect([adj.debit, adj.credit]).toEqual([parseMoney('3'), 0n]);
    const s = buildJournal(lines, cfg.gl!, 'summary', '2026-10');
    const b = balance(s);
    expect(b.debit).toBe(b.credit);
    expect(s.find((j) => j.glAccount === '1300')!.debit).toBe(parseMoney('9.48'));
  });
});

describe('webhook signatures', () => {
  it('HMAC-SHA256 over timestamp.body, checked in constant time with a tolerance', () => {
    const h = sign('s3cret', 1_700_000_000, '{"a":1}');
    expect(h).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret', h, '{"a":1}', 300, 1_700_000_100)).toBe(true);
    expect(verifySignature('s3cret', h, '{"a":2}', 300, 1_700_000_100)).toBe(false);
    expect(verifySignature('other', h, '{"a":1}', 300, 1_700_000_100)).toBe(false);
    expect(verifySignature('s3cret', h, '{"a":1}', 300, 1_700_001_000)).toBe(false); // too old
    expect(eventId('invoice.issued', 'X')).toBe(eventId('invoice.issued', 'X'));
  });
});

describe('display', () => {
  it('formats quantities and rates', () => {
    expect(quantityText(139_098_000n, 'ms')).toBe('2,318 min 18 s');
    expect(quantityText(2_168_247_000n, 'byte')).toBe('2,168.25 MB');
    expect(quantityText(103n, 'event')).toBe('103');
    expect(rateText('0.21')).toBe('21%');
    expect(rateText('0.08875')).toBe('8.875%');
    expect(rateText('0')).toBe('0%');
  });
});

describe('store SQL (pinned)', () => {
  it('finance role: SELECT only, raw reject bytes withheld, read-only profile', () => {
    expect(financeRoleDdl()).toEqual([
      'CREATE ROLE IF NOT EXISTS `ratestream_finance`',
      'GRANT SELECT ON `ratestream`.* TO `ratestream_finance`',
      'REVOKE SELECT(raw) ON `ratestream`.rejects FROM `ratestream_finance`',
      "CREATE SETTINGS PROFILE IF NOT EXISTS `ratestream_finance_profile` SETTINGS readonly = 2, max_execution_time = 300, max_result_rows = 10000000, result_overflow_mode = 'throw' TO `ratestream_finance`",
    ]);
    expect(financeRoleDdl({ user: { name: 'fin', passwordSha256Hex: 'ab'.repeat(32) } }).slice(4)).toEqual([
      `CREATE USER IF NOT EXISTS \`fin\` IDENTIFIED WITH sha256_hash BY '${'ab'.repeat(32)}' DEFAULT ROLE \`ratestream_finance\` DEFAULT DATABASE \`ratestream\``,
      'GRANT `ratestream_finance` TO `fin`',
    ]);
    expect(() => financeRoleDdl({ database: 'x; DROP' })).toThrow(/invalid identifier/);
  });
  it('every finance view has its statement', () => {
    expect(VIEW_STATEMENTS.map((s) => /VIEW \{db\}\.(\w+)/.exec(s)![1])).toEqual([...FINANCE_VIEWS]);
  });
  it('reconciliation reads the ingest counters and the stored UDRs per file and period', () => {
    const st = { database: 'ratestream' };
    expect(fileCountersSql(st)).toContain("argMax(period, n) AS period");
    expect(fileCountersSql(st)).toContain("replaceRegexpOne(source, ':[0-9]+$', '') AS file");
    expect(ratedSql(st)).toContain("countIf(c.udr_id IS NULL AND r.source IS NULL) AS unrated");
    expect(ratedSql(st)).toContain("FROM `ratestream`.`rejects` FINAL WHERE stage = 'rating'");
  });
});
