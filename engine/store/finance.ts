/**
 * Store side of billing and finance: writers for the service-state log, pool balances and service terms (fed by
 * rating / provisioning), and the reads and writes of the invoice run, re-rating, reconciliation and events.
 * SQL is built by small pure functions (pinned by tests); money is read with toString() and parsed to bigint,
 * never through a JS number.
 */
import { formatMoney, parseMoney } from '../core/money.ts';
import type { Udr } from '../core/types.ts';
import { queryRows, table, type StoreClient } from './client.ts';
import { insertTsv, tsvString, tsvTime } from './tsv.ts';

// ------------------------------------------------------------------------------------------------------------------
// rating outputs: service-state log, pool balances, service terms

export interface ServiceStateChange {
  account: string;
  service: string;
  serviceType: string;
  plan: string;
  /** deterministic id of this change (dedup key) */
  eventId: string;
  fromState: string;
  toState: string;
  /** active | cancelled | prospect | suspended */
  coreState: string;
  transition: string;
  /** epoch ms */
  effectiveTime: number;
  reason: string;
  source: string;
  catalogVersion: string;
}

export interface PoolBalance {
  period: string;
  periodStart: number;
  periodEnd: number;
  owner: string;
  poolId: string;
  sharePlan: string;
  bucketClass: string;
  unit: string;
  size: bigint;
  used: bigint;
  overage: bigint;
  participants: number;
  asOf: number;
  /** grows with every update of the balance (e.g. the rating-state offset); the highest wins */
  version: bigint;
}

export interface ServiceTerm {
  account: string;
  service: string;
  contract: string;
  termStart: number;
  termEnd: number;
  autoRenew: boolean;
  version: bigint;
}

const s = tsvString;

export async function writeStateChanges(st: StoreClient, rows: readonly ServiceStateChange[], token?: string): Promise<void> {
  if (!rows.length) return;
  // the last column is never empty: the statement text may be trimmed, which would eat a trailing empty field
  const cols = ['account', 'service', 'service_type', 'plan', 'event_id', 'from_state', 'to_state', 'core_state', 'transition', 'reason', 'source', 'catalog_version', 'effective_time'];
  const tsv = rows.map((r) => [s(r.account), s(r.service), s(r.serviceType), s(r.plan), s(r.eventId), s(r.fromState), s(r.toState), s(r.coreState), s(r.transition),
    s(r.reason), s(r.source), s(r.catalogVersion), tsvTime(r.effectiveTime)].join('\t'));
  await command(st, insertTsv(table(st, 'service_states'), cols, tsv), token);
}

export async function writePoolBalances(st: StoreClient, rows: readonly PoolBalance[], token?: string): Promise<void> {
  if (!rows.length) return;
  const cols = ['period', 'period_start', 'period_end', 'owner', 'pool_id', 'share_plan', 'bucket_class', 'unit', 'size', 'used', 'overage', 'participants', 'as_of', 'version'];
  const tsv = rows.map((r) => [s(r.period), tsvTime(r.periodStart), tsvTime(r.periodEnd), s(r.owner), s(r.poolId), s(r.sharePlan), s(r.bucketClass), s(r.unit),
    String(r.size), String(r.used), String(r.overage), String(r.participants), tsvTime(r.asOf), String(r.version)].join('\t'));
  await command(st, insertTsv(table(st, 'pool_balances'), cols, tsv), token);
}

export async function writeServiceTerms(st: StoreClient, rows: readonly ServiceTerm[], token?: string): Promise<void> {
  if (!rows.length) return;
  const cols = ['account', 'service', 'contract', 'term_start', 'term_end', 'auto_renew', 'version'];
  const tsv = rows.map((r) => [s(r.account), s(r.service), s(r.contract), tsvTime(r.termStart), tsvTime(r.termEnd), r.autoRenew ? '1' : '0', String(r.version)].join('\t'));
  await command(st, insertTsv(table(st, 'service_terms'), cols, tsv), token);
}

async function command(st: StoreClient, query: string, token?: string): Promise<void> {
  await st.client.command({ query, clickhouse_settings: token ? { insert_deduplication_token: token } : {} });
}

// ------------------------------------------------------------------------------------------------------------------
// charges of a period (invoice run, re-rating)

/** Half-open time window [from, to) in epoch ms. */
export interface Window {
  from: number;
  to: number;
}

export interface LedgerCharge {
  chargeId: string;
  version: number;
  udrId: string;
  account: string;
  service: string;
  usageClass: string;
  kind: string;
  product: string;
  plan: string;
  rateId: string;
  matched: string;
  quantity: bigint;
  unit: string;
  amount: bigint;
  currency: string;
  eventTime: number;
  feed: string;
  lineage: string;
  ratingKey: string;
  source: string;
  rulesVersion: string;
  catalogVersion: string;
}

/** The charge columns the billing layer reads (money and UInt64 as text), optionally from a table alias. */
function chargeSelect(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  const plain = ['charge_id', 'version', 'udr_id', 'account', 'rating_key', 'service', 'usage_class', 'kind', 'product', 'plan', 'rate_id', 'matched', 'unit', 'currency',
    'feed', 'lineage', 'source', 'rules_version', 'catalog_version'];
  return [...plain.map((c) => `${a}${c} AS ${c}`), `toString(${a}quantity) AS quantity`, `toString(${a}amount) AS amount`,
    `toUnixTimestamp64Milli(${a}event_time) AS event_ms`].join(', ');
}

export interface ChargeFilter {
  account?: string;
  kinds?: readonly string[];
  /** only charges of billable charging runs (what invoices bill); omitted = every run's */
  billable?: boolean;
}

/** Current version of every charge of the accounts with event time in the window. */
export function chargesInWindowSql(st: Pick<StoreClient, 'database'>, opts: ChargeFilter): string {
  const where = ['event_time >= fromUnixTimestamp64Milli({from:Int64})', 'event_time < fromUnixTimestamp64Milli({to:Int64})'];
  if (opts.account !== undefined) where.push('account = {account:String}');
  if (opts.kinds) where.push('kind IN {kinds:Array(String)}');
  if (opts.billable) where.push('billable');
  return `SELECT ${chargeSelect()} FROM ${table(st, 'charges')} FINAL WHERE ${where.join(' AND ')} ORDER BY account, event_time, charge_id`;
}

export async function chargesInWindow(st: StoreClient, w: Window, opts: ChargeFilter = {}): Promise<LedgerCharge[]> {
  const rows = await queryRows<Record<string, any>>(st, chargesInWindowSql(st, opts), { from: w.from, to: w.to, account: opts.account, kinds: opts.kinds });
  return rows.map(toLedgerCharge);
}

function toLedgerCharge(r: Record<string, any>): LedgerCharge {
  return {
    chargeId: r.charge_id, version: Number(r.version), udrId: r.udr_id, account: r.account, service: r.service, usageClass: r.usage_class,
    kind: r.kind, product: r.product, plan: r.plan, rateId: r.rate_id, matched: r.matched, quantity: BigInt(r.quantity), unit: r.unit,
    amount: parseMoney(r.amount), currency: r.currency, eventTime: Number(r.event_ms), feed: r.feed, lineage: r.lineage,
    ratingKey: r.rating_key, source: r.source, rulesVersion: r.rules_version, catalogVersion: r.catalog_version,
  };
}

/**
 * Charges of earlier, already invoiced periods whose current amount differs from what was billed (late usage never
 * billed, or a re-rated charge): each with the billed amount, so the next invoice carries the difference. Billable
 * charging runs only.
 */
export function pendingAdjustmentsSql(st: Pick<StoreClient, 'database'>): string {
  return `SELECT ${chargeSelect('c')}, toString(ifNull(b.billed, toDecimal128(0, 10))) AS billed, b.charge_id IS NOT NULL AS was_billed,
      inv.period AS origin_period, inv.invoice_no AS origin_invoice
    FROM ${table(st, 'charges')} AS c FINAL
    INNER JOIN (SELECT account, period, invoice_no FROM ${table(st, 'invoices')} FINAL WHERE account = {account:String}) AS inv
      ON c.account = inv.account AND formatDateTime(c.event_time, '%Y-%m', {tz:String}) = inv.period
    LEFT JOIN (SELECT account, charge_id, sum(amount) AS billed FROM ${table(st, 'invoice_items')} FINAL WHERE account = {account:String} GROUP BY account, charge_id) AS b
      ON c.account = b.account AND c.charge_id = b.charge_id
    WHERE c.account = {account:String} AND c.event_time < fromUnixTimestamp64Milli({before:Int64}) AND c.billable
      AND (b.charge_id IS NULL OR c.amount != b.billed)
    ORDER BY origin_period, event_ms, charge_id
    SETTINGS join_use_nulls = 1`;
}

export interface PendingAdjustment extends LedgerCharge {
  /** amount billed so far (0 when never billed) */
  billed: bigint;
  wasBilled: boolean;
  originPeriod: string;
  originInvoice: string;
}

/**
 * Charges of the account's already invoiced periods (before `before`) that were never billed (late usage) or whose
 * current amount differs from what was billed (re-rated).
 */
export async function pendingAdjustments(st: StoreClient, account: string, before: number, tz: string): Promise<PendingAdjustment[]> {
  const rows = await queryRows<Record<string, any>>(st, pendingAdjustmentsSql(st), { account, before, tz });
  return rows.map((r) => ({ ...toLedgerCharge(r), billed: parseMoney(r.billed), wasBilled: Number(r.was_billed) === 1 || r.was_billed === true,
    originPeriod: r.origin_period, originInvoice: r.origin_invoice }));
}

/** Feeds with UDRs or ingested files in the store. */
export async function feedsInStore(st: StoreClient): Promise<string[]> {
  const rows = await queryRows<{ feed: string }>(st,
    `SELECT DISTINCT feed FROM ${table(st, 'udrs')} UNION DISTINCT SELECT DISTINCT feed FROM ${table(st, 'ingest_files')} ORDER BY feed`);
  return rows.map((r) => r.feed);
}

/** Does the ledger have any charge of this account? */
export async function accountHasCharges(st: StoreClient, account: string): Promise<boolean> {
  const rows = await queryRows<{ n: string | number }>(st, `SELECT count() AS n FROM ${table(st, 'charges')} WHERE account = {a:String}`, { a: account });
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Accounts with billable charges in the window or pending adjustments from invoiced periods. */
export async function accountsToInvoice(st: StoreClient, w: Window): Promise<string[]> {
  const rows = await queryRows<{ account: string }>(st,
    `SELECT DISTINCT account FROM ${table(st, 'charges')} FINAL
     WHERE billable AND event_time >= fromUnixTimestamp64Milli({from:Int64}) AND event_time < fromUnixTimestamp64Milli({to:Int64})
     UNION DISTINCT SELECT DISTINCT account FROM ${table(st, 'invoices')} FINAL WHERE period_end <= fromUnixTimestamp64Milli({from:Int64})
     ORDER BY account`, { from: w.from, to: w.to });
  return rows.map((r) => r.account);
}

// ------------------------------------------------------------------------------------------------------------------
// invoices

export interface InvoiceRow {
  invoiceNo: string;
  account: string;
  period: string;
  periodStart: number;
  periodEnd: number;
  issueDate: string;
  dueDate: string;
  currency: string;
  net: bigint;
  tax: bigint;
  total: bigint;
  lines: number;
  document: string;
  contentSha256: string;
}

export interface InvoiceLineRow {
  lineNo: number;
  section: string;
  product: string;
  plan: string;
  usageClass: string;
  rateId: string;
  service: string;
  description: string;
  quantity: bigint;
  unit: string;
  charges: number;
  net: bigint;
  jurisdiction: string;
  taxCode: string;
  taxRate: bigint;
  tax: bigint;
  originPeriod: string;
}

export interface InvoiceItemRow {
  lineNo: number;
  chargeId: string;
  chargeVersion: number;
  amount: bigint;
  eventTime: number;
}

export async function findInvoice(st: StoreClient, account: string, period: string): Promise<InvoiceRow | undefined> {
  const rows = await queryRows<Record<string, any>>(st,
    `SELECT invoice_no, account, period, toUnixTimestamp64Milli(period_start) AS ps, toUnixTimestamp64Milli(period_end) AS pe,
            toString(issue_date) AS issue_date, toString(due_date) AS due_date, currency, toString(net) AS net, toString(tax) AS tax,
            toString(total) AS total, lines, document, content_sha256
     FROM ${table(st, 'invoices')} FINAL WHERE account = {account:String} AND period = {period:String} LIMIT 1`, { account, period });
  const r = rows[0];
  if (!r) return undefined;
  return {
    invoiceNo: r.invoice_no, account: r.account, period: r.period, periodStart: Number(r.ps), periodEnd: Number(r.pe), issueDate: r.issue_date,
    dueDate: r.due_date, currency: r.currency, net: parseMoney(r.net), tax: parseMoney(r.tax), total: parseMoney(r.total), lines: Number(r.lines),
    document: r.document, contentSha256: r.content_sha256,
  };
}

/** Write an issued invoice: items and lines first, the header last (its presence marks the invoice as issued). */
export async function writeInvoice(st: StoreClient, inv: InvoiceRow, lines: readonly InvoiceLineRow[], items: readonly InvoiceItemRow[]): Promise<void> {
  const tok = `invoice:${inv.invoiceNo}:${inv.contentSha256}`;
  if (items.length) {
    const cols = ['invoice_no', 'account', 'period', 'line_no', 'charge_id', 'charge_version', 'amount', 'event_time'];
    await command(st, insertTsv(table(st, 'invoice_items'), cols, items.map((i) => [s(inv.invoiceNo), s(inv.account), s(inv.period), String(i.lineNo),
      s(i.chargeId), String(i.chargeVersion), formatMoney(i.amount), tsvTime(i.eventTime)].join('\t'))), `${tok}:items`);
  }
  if (lines.length) {
    const cols = ['invoice_no', 'account', 'period', 'line_no', 'section', 'product', 'plan', 'usage_class', 'rate_id', 'service', 'description', 'quantity',
      'unit', 'charges', 'net', 'jurisdiction', 'tax_code', 'tax_rate', 'tax', 'origin_period', 'currency'];
    await command(st, insertTsv(table(st, 'invoice_lines'), cols, lines.map((l) => [s(inv.invoiceNo), s(inv.account), s(inv.period), String(l.lineNo), s(l.section),
      s(l.product), s(l.plan), s(l.usageClass), s(l.rateId), s(l.service), s(l.description), String(l.quantity), s(l.unit), String(l.charges),
      formatMoney(l.net), s(l.jurisdiction), s(l.taxCode), formatMoney(l.taxRate), formatMoney(l.tax), s(l.originPeriod), s(inv.currency)].join('\t'))), `${tok}:lines`);
  }
  const cols = ['invoice_no', 'account', 'period', 'period_start', 'period_end', 'issue_date', 'due_date', 'currency', 'net', 'tax', 'total', 'lines', 'status',
    'document', 'content_sha256'];
  await command(st, insertTsv(table(st, 'invoices'), cols, [[s(inv.invoiceNo), s(inv.account), s(inv.period), tsvTime(inv.periodStart), tsvTime(inv.periodEnd),
    inv.issueDate, inv.dueDate, s(inv.currency), formatMoney(inv.net), formatMoney(inv.tax), formatMoney(inv.total), String(inv.lines), 'issued',
    s(inv.document), s(inv.contentSha256)].join('\t')]), `${tok}:header`);
}

export interface InvoiceLineForGl extends InvoiceLineRow {
  invoiceNo: string;
  account: string;
  currency: string;
  issueDate: string;
}

/** All lines of the invoices issued for a period, with their header fields, in invoice and line order. */
export async function invoiceLinesOfPeriod(st: StoreClient, period: string): Promise<InvoiceLineForGl[]> {
  const rows = await queryRows<Record<string, any>>(st,
    `SELECT l.invoice_no AS invoice_no, l.account AS account, l.line_no AS line_no, l.section AS section, l.product AS product, l.plan AS plan,
            l.usage_class AS usage_class, l.rate_id AS rate_id, l.service AS service, l.description AS description, toString(l.quantity) AS quantity,
            l.unit AS unit, l.charges AS charges, toString(l.net) AS net, l.jurisdiction AS jurisdiction, l.tax_code AS tax_code,
            toString(l.tax_rate) AS tax_rate, toString(l.tax) AS tax, l.origin_period AS origin_period, i.currency AS currency,
            toString(i.issue_date) AS issue_date
     FROM ${table(st, 'invoice_lines')} AS l FINAL
     INNER JOIN (SELECT invoice_no, currency, issue_date FROM ${table(st, 'invoices')} FINAL WHERE period = {period:String}) AS i ON l.invoice_no = i.invoice_no
     WHERE l.period = {period:String}
     ORDER BY l.invoice_no, l.line_no`, { period });
  return rows.map((r) => ({
    invoiceNo: r.invoice_no, account: r.account, currency: r.currency, issueDate: r.issue_date, lineNo: Number(r.line_no), section: r.section,
    product: r.product, plan: r.plan, usageClass: r.usage_class, rateId: r.rate_id, service: r.service, description: r.description,
    quantity: BigInt(r.quantity), unit: r.unit, charges: Number(r.charges), net: parseMoney(r.net), jurisdiction: r.jurisdiction, taxCode: r.tax_code,
    taxRate: parseMoney(r.tax_rate), tax: parseMoney(r.tax), originPeriod: r.origin_period,
  }));
}

// ------------------------------------------------------------------------------------------------------------------
// events outbox

export interface StoredEvent {
  eventId: string;
  type: string;
  account: string;
  subject: string;
  occurredAt: number;
  payload: string;
}

export async function writeEvents(st: StoreClient, events: readonly StoredEvent[]): Promise<void> {
  if (!events.length) return;
  const cols = ['event_id', 'type', 'account', 'subject', 'occurred_at', 'payload'];
  await command(st, insertTsv(table(st, 'billing_events'), cols, events.map((e) => [s(e.eventId), s(e.type), s(e.account), s(e.subject), tsvTime(e.occurredAt), s(e.payload)].join('\t'))));
}

/** Events of the outbox not yet delivered to `sink`, oldest first. */
export async function undeliveredEvents(st: StoreClient, sink: string, w?: Window): Promise<StoredEvent[]> {
  const rows = await queryRows<Record<string, any>>(st,
    `SELECT event_id, type, account, subject, toUnixTimestamp64Milli(occurred_at) AS occurred_ms, payload FROM ${table(st, 'billing_events')} FINAL
     WHERE event_id NOT IN (SELECT event_id FROM ${table(st, 'event_deliveries')} FINAL WHERE sink = {sink:String} AND status = 'delivered')
     ${w ? 'AND occurred_at >= fromUnixTimestamp64Milli({from:Int64}) AND occurred_at < fromUnixTimestamp64Milli({to:Int64})' : ''}
     ORDER BY occurred_at, event_id`, { sink, from: w?.from, to: w?.to });
  return rows.map((r) => ({ eventId: r.event_id, type: r.type, account: r.account, subject: r.subject, occurredAt: Number(r.occurred_ms), payload: r.payload }));
}

export async function recordDeliveries(st: StoreClient, rows: readonly { sink: string; eventId: string; status: 'delivered' | 'failed'; attempts: number; lastError: string }[]): Promise<void> {
  if (!rows.length) return;
  await st.client.insert({
    table: `${st.database}.event_deliveries`, format: 'JSONEachRow',
    values: rows.map((r) => ({ sink: r.sink, event_id: r.eventId, status: r.status, attempts: r.attempts, last_error: r.lastError })),
  });
}

// ------------------------------------------------------------------------------------------------------------------
// reads of the rating outputs

/** The service-state log (optionally of some accounts) with effective time before `before`, in time order. */
export async function stateLog(st: StoreClient, opts: { accounts?: readonly string[]; from?: number; before: number }): Promise<ServiceStateChange[]> {
  const rows = await queryRows<Record<string, any>>(st,
    `SELECT account, service, service_type, plan, event_id, from_state, to_state, core_state, transition,
            toUnixTimestamp64Milli(effective_time) AS effective_ms, reason, source, catalog_version
     FROM ${table(st, 'service_states')} FINAL
     WHERE effective_time < fromUnixTimestamp64Milli({before:Int64})
       ${opts.from !== undefined ? 'AND effective_time >= fromUnixTimestamp64Milli({from:Int64})' : ''}
       ${opts.accounts ? 'AND account IN {accounts:Array(String)}' : ''}
     ORDER BY account, service, effective_time, event_id`, { before: opts.before, from: opts.from, accounts: opts.accounts });
  return rows.map((r) => ({
    account: r.account, service: r.service, serviceType: r.service_type, plan: r.plan, eventId: r.event_id, fromState: r.from_state, toState: r.to_state,
    coreState: r.core_state, transition: r.transition, effectiveTime: Number(r.effective_ms), reason: r.reason, source: r.source, catalogVersion: r.catalog_version,
  }));
}

export async function poolBalancesOf(st: StoreClient, period: string): Promise<PoolBalance[]> {
  const rows = await queryRows<Record<string, any>>(st,
    `SELECT period, toUnixTimestamp64Milli(period_start) AS ps, toUnixTimestamp64Milli(period_end) AS pe, owner, pool_id, share_plan, bucket_class, unit,
            toString(size) AS size, toString(used) AS used, toString(overage) AS overage, participants, toUnixTimestamp64Milli(as_of) AS as_of, toString(version) AS version
     FROM ${table(st, 'pool_balances')} FINAL WHERE period = {period:String} ORDER BY owner, pool_id`, { period });
  return rows.map((r) => ({
    period: r.period, periodStart: Number(r.ps), periodEnd: Number(r.pe), owner: r.owner, poolId: r.pool_id, sharePlan: r.share_plan, bucketClass: r.bucket_class,
    unit: r.unit, size: BigInt(r.size), used: BigInt(r.used), overage: BigInt(r.overage), participants: Number(r.participants), asOf: Number(r.as_of), version: BigInt(r.version),
  }));
}

/** A money balance that did not cover some charges in [from, before): its first such charge, how many, how much. */
export interface BalanceRunOut {
  /** `account:<id>` or `group:<id>` (the last balance of the charge's debits: the one that ran out) */
  balance: string;
  account: string;
  firstAt: number;
  firstCharge: string;
  charges: number;
  /** decimal text of the uncovered total */
  uncovered: string;
}

/** Charges whose lineage says `balance.status: exhausted` (the balance-debit step), per balance. */
export async function balancesRunOut(st: StoreClient, from: number, before: number): Promise<BalanceRunOut[]> {
  const rows = await queryRows<Record<string, any>>(st,
    `SELECT bal, argMin(account, (event_time, charge_id)) AS account, toUnixTimestamp64Milli(min(event_time)) AS first_ms,
            argMin(charge_id, (event_time, charge_id)) AS first_charge, count() AS n, toString(sum(uncovered)) AS uncovered
     FROM (SELECT charge_id, account, event_time, toDecimal128OrZero(JSONExtractString(lineage, 'balance', 'uncovered'), 10) AS uncovered,
                  JSONExtractString(arrayElement(JSONExtractArrayRaw(lineage, 'balance', 'debits'), -1), 'balance') AS bal
           FROM ${table(st, 'charges')} FINAL
           WHERE event_time >= fromUnixTimestamp64Milli({from:Int64}) AND event_time < fromUnixTimestamp64Milli({before:Int64})
             AND JSONExtractString(lineage, 'balance', 'status') = 'exhausted')
     GROUP BY bal ORDER BY bal`, { from, before });
  return rows.map((r) => ({ balance: r.bal, account: r.account, firstAt: Number(r.first_ms), firstCharge: r.first_charge, charges: Number(r.n), uncovered: r.uncovered }));
}

/** Terms ending in [from, to). */
export async function termsEnding(st: StoreClient, from: number, to: number): Promise<ServiceTerm[]> {
  const rows = await queryRows<Record<string, any>>(st,
    `SELECT account, service, contract, toUnixTimestamp64Milli(term_start) AS ts, toUnixTimestamp64Milli(term_end) AS te, auto_renew, toString(version) AS version
     FROM ${table(st, 'service_terms')} FINAL
     WHERE term_end >= fromUnixTimestamp64Milli({from:Int64}) AND term_end < fromUnixTimestamp64Milli({to:Int64})
     ORDER BY term_end, account, service, contract`, { from, to });
  return rows.map((r) => ({ account: r.account, service: r.service, contract: r.contract, termStart: Number(r.ts), termEnd: Number(r.te), autoRenew: Number(r.auto_renew) === 1, version: BigInt(r.version) }));
}

// ------------------------------------------------------------------------------------------------------------------
// UDRs of a period (re-rating, reconciliation)

export async function udrsInWindow(st: StoreClient, w: Window): Promise<Udr[]> {
  const rows = await queryRows<Record<string, any>>(st,
    `SELECT udr_id, feed, usage_class, account, service, rating_key, toUnixTimestamp64Milli(start_time) AS start_ms, toString(quantity) AS quantity, unit,
            origin, destination, attrs, source, rules_version
     FROM ${table(st, 'udrs')} FINAL
     WHERE start_time >= fromUnixTimestamp64Milli({from:Int64}) AND start_time < fromUnixTimestamp64Milli({to:Int64})
     ORDER BY rating_key, start_time, udr_id`, { from: w.from, to: w.to });
  return rows.map((r) => ({
    id: r.udr_id, feed: r.feed, usageClass: r.usage_class, account: r.account, service: r.service, ratingKey: r.rating_key, startTime: Number(r.start_ms),
    quantity: Number(r.quantity), unit: r.unit, origin: r.origin, destination: r.destination, attrs: r.attrs as Record<string, string>, source: r.source,
    rulesVersion: r.rules_version,
  }));
}

export interface RerateDiffRow {
  period: string;
  chargeId: string;
  newVersion: number;
  oldVersion: number;
  change: 'changed' | 'new' | 'void';
  udrId: string;
  account: string;
  feed: string;
  usageClass: string;
  oldRate: string;
  newRate: string;
  oldAmount: bigint;
  newAmount: bigint;
  catalogVersion: string;
}

export async function writeRerateDiffs(st: StoreClient, rows: readonly RerateDiffRow[], token: string): Promise<void> {
  if (!rows.length) return;
  const cols = ['period', 'charge_id', 'new_version', 'old_version', 'change', 'udr_id', 'account', 'feed', 'usage_class', 'old_rate', 'new_rate', 'old_amount', 'new_amount', 'delta', 'catalog_version'];
  await command(st, insertTsv(table(st, 'rerate_diffs'), cols, rows.map((r) => [s(r.period), s(r.chargeId), String(r.newVersion), String(r.oldVersion), r.change, s(r.udrId),
    s(r.account), s(r.feed), s(r.usageClass), s(r.oldRate), s(r.newRate), formatMoney(r.oldAmount), formatMoney(r.newAmount), formatMoney(r.newAmount - r.oldAmount),
    s(r.catalogVersion)].join('\t'))), token);
}

// ------------------------------------------------------------------------------------------------------------------
// margin (charging runs)

export interface MarginRow {
  account: string;
  destination: string;
  period: string;
  currency: string;
  udrs: number;
  revenue: bigint;
  cost: bigint;
  margin: bigint;
}

/** The `margin` view (migration 007) in the zone's months: billable revenue − non-billable cost, exact. */
export async function marginRows(st: StoreClient, opts: { timezone: string; period?: string; account?: string }): Promise<MarginRow[]> {
  const where: string[] = [];
  if (opts.period !== undefined) where.push('period = {period:String}');
  if (opts.account !== undefined) where.push('account = {account:String}');
  const rows = await queryRows<Record<string, string>>(st,
    `SELECT account, destination, period, currency, toString(udrs) AS udrs, toString(revenue) AS revenue, toString(cost) AS cost, toString(margin) AS margin
     FROM ${table(st, 'margin')}(tz = {tz:String})${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
     ORDER BY period, account, destination, currency`, { tz: opts.timezone, period: opts.period, account: opts.account });
  return rows.map((r) => ({ account: r.account!, destination: r.destination!, period: r.period!, currency: r.currency!, udrs: Number(r.udrs),
    revenue: parseMoney(r.revenue!), cost: parseMoney(r.cost!), margin: parseMoney(r.margin!) }));
}
