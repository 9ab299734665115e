/**
 * Finance views over the ledger (created by migration 003; documented in the README's "Finance queries").
 * Views that bucket time take the time zone as a parameter, e.g. `SELECT * FROM usage_by_day(tz = 'Europe/Amsterdam')`,
 * so days and months match the billing periods of the operator's zone. Amounts stay Decimal(38, 10).
 * `{db}` is replaced by the quoted database name, `{tz:String}` is a ClickHouse view parameter.
 */

/** Names of the views, for docs and tests. */
export const FINANCE_VIEWS = [
  'usage_by_day',
  'revenue_by_month',
  'pool_utilisation',
  'service_state_timeline',
  'rejects_by_reason',
  'ingest_reconciliation',
  'invoice_register',
  'unbilled_charges',
] as const;

export const VIEW_STATEMENTS: readonly string[] = [
  // usage by account, day, product and usage class (usage charges only)
  `CREATE OR REPLACE VIEW {db}.usage_by_day AS
   SELECT account, toDate(event_time, {tz:String}) AS day, product, usage_class, unit, currency,
          count() AS charges, sum(quantity) AS quantity, sum(amount) AS amount
   FROM {db}.charges FINAL WHERE kind = 'usage'
   GROUP BY account, day, product, usage_class, unit, currency`,
  // revenue (rated, whether invoiced or not) by product, kind and month
  `CREATE OR REPLACE VIEW {db}.revenue_by_month AS
   SELECT formatDateTime(event_time, '%Y-%m', {tz:String}) AS month, product, kind, currency,
          count() AS charges, sum(amount) AS amount
   FROM {db}.charges FINAL
   GROUP BY month, product, kind, currency`,
  `CREATE OR REPLACE VIEW {db}.pool_utilisation AS
   SELECT period, owner, pool_id, share_plan, bucket_class, unit, size, used, overage, participants,
          if(size = 0, NULL, round(100 * used / size, 2)) AS utilisation_pct, as_of
   FROM {db}.pool_balances FINAL`,
  // each state of a service with the time it held it (valid_to NULL = still in that state)
  `CREATE OR REPLACE VIEW {db}.service_state_timeline AS
   SELECT account, service, service_type, to_state AS state, core_state, transition, effective_time AS valid_from,
          nullIf(leadInFrame(effective_time, 1, toDateTime64(0, 3, 'UTC')) OVER (PARTITION BY account, service
            ORDER BY effective_time, event_id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING), toDateTime64(0, 3, 'UTC')) AS valid_to
   FROM {db}.service_states FINAL`,
  `CREATE OR REPLACE VIEW {db}.rejects_by_reason AS
   SELECT feed, stage, reason, count() AS rejects, min(rejected_at) AS first_seen, max(rejected_at) AS last_seen
   FROM {db}.rejects FINAL
   GROUP BY feed, stage, reason`,
  ingestReconciliationView('charges'),
  `CREATE OR REPLACE VIEW {db}.invoice_register AS
   SELECT period, invoice_no, account, issue_date, due_date, currency, net, tax, total, lines
   FROM {db}.invoices FINAL`,
  unbilledChargesView(''),
];

/**
 * Rated amounts not (or not fully) invoiced yet, per account, period and kind: accruals and pending adjustments.
 * `charges` filters the charges looked at (migration 007: billable runs only; '' = all, as migration 003 made it).
 */
export function unbilledChargesView(charges: string): string {
  return `CREATE OR REPLACE VIEW {db}.unbilled_charges AS
   SELECT account, formatDateTime(event_time, '%Y-%m', {tz:String}) AS period, kind, currency,
          count() AS charges, sum(amount - billed) AS unbilled
   FROM (
     SELECT c.account AS account, c.charge_id AS charge_id, c.kind AS kind, c.currency AS currency,
            c.event_time AS event_time, c.amount AS amount, b.billed AS billed, b.charge_id != '' AS is_billed
     FROM {db}.charges AS c FINAL
     LEFT JOIN (SELECT account, charge_id, sum(amount) AS billed FROM {db}.invoice_items FINAL GROUP BY account, charge_id) AS b
       ON c.account = b.account AND c.charge_id = b.charge_id${charges ? `\n     WHERE ${charges}` : ''}
   )
   WHERE NOT is_billed OR amount != billed
   GROUP BY account, period, kind, currency`;
}

/**
 * Margin per account, destination and period (charging runs, migration 007): per UDR, the revenue of its billable
 * runs' charges minus the cost of its non-billable runs' charges, under the account of the billable charges (the
 * customer; a cost run may rewrite the account to the carrier) and the destination prefix their rate matched (from
 * the lineage; `*any` for a rate without destinations). Usage charges only; exact Decimal(38, 10) sums.
 * `SELECT * FROM margin(tz = 'UTC') WHERE period = '2026-11'`.
 */
export const MARGIN_VIEW = `CREATE OR REPLACE VIEW {db}.margin AS
   SELECT account, destination, formatDateTime(event_time, '%Y-%m', {tz:String}) AS period, currency,
          count() AS udrs, sum(udr_revenue) AS revenue, sum(udr_cost) AS cost, revenue - cost AS margin
   FROM (
     SELECT feed, udr_id, currency, min(event_time) AS event_time,
            if(countIf(billable) > 0, minIf(account, billable), min(account)) AS account,
            if(countIf(billable) > 0, minIf(JSONExtractString(lineage, 'prefix'), billable), '') AS destination,
            sumIf(amount, billable) AS udr_revenue, sumIf(amount, NOT billable) AS udr_cost
     FROM {db}.charges FINAL WHERE kind = 'usage'
     GROUP BY feed, udr_id, currency
   )
   GROUP BY account, destination, period, currency`;

/**
 * Per ingested file: records in = UDRs + ignored + rejected; UDRs = rated + rating rejects (counters at ingest).
 * `rated` is the column of UDRs that got charges: `charges` as migration 003 made it (one charge per UDR), the
 * `rated` column from migration 008 on (charging runs give a UDR several charges).
 */
export function ingestReconciliationView(rated: 'charges' | 'rated'): string {
  return `CREATE OR REPLACE VIEW {db}.ingest_reconciliation AS
   SELECT pipeline, feed, file, records, udrs,
          arraySum(mapValues(ignored)) AS ignored_total,
          arraySum(mapValues(mapFilter((k, v) -> NOT startsWith(k, 'rating:'), rejected))) AS rejected_total,
          arraySum(mapValues(mapFilter((k, v) -> startsWith(k, 'rating:'), rejected))) AS rating_rejected,
          charges,${rated === 'rated' ? '\n          rated,' : ''}
          toInt64(records) - toInt64(udrs) - toInt64(ignored_total) - toInt64(rejected_total) AS unaccounted,
          toInt64(udrs) - toInt64(${rated}) - toInt64(rating_rejected) AS unrated,
          finished_at
   FROM {db}.ingest_files FINAL`;
}

/**
 * Every charge with its lineage and the terms of its rate (migration 012): `model`, `detail`, `connect_fee` and
 * `rounding` as the lineage holds them, or — a usage charge's compact lineage (version 2) leaves out what its rate
 * gives — as its rate's terms in `rate_terms` give them (the model's detail of the plain segment: the quantity, the
 * model's text between, the billed quantity, its text after). `terms`: the rate's price in words.
 */
export const CHARGE_LINEAGE_VIEW = `CREATE OR REPLACE VIEW {db}.charge_lineage AS
   SELECT charge_id, version, kind, account, plan, rate_id, catalog_version, event_time, amount, currency, lineage,
          compact AND t.model != '' AS with_terms,
          if(JSONHas(lineage, 'model'), JSONExtractString(lineage, 'model'), if(with_terms, t.model, '')) AS model,
          if(with_terms, t.terms, '') AS terms,
          if(JSONHas(lineage, 'detail'), JSONExtractString(lineage, 'detail'),
             if(with_terms, concat(JSONExtractRaw(lineage, 'quantity'), t.detail_between, JSONExtractRaw(lineage, 'billed'), t.detail_after), '')) AS detail,
          if(JSONHas(lineage, 'connectFee'), toDecimal128OrZero(JSONExtractString(lineage, 'connectFee'), 10), if(with_terms, t.connect_fee, toDecimal128(0, 10))) AS connect_fee,
          if(JSONHas(lineage, 'rounding'), JSONExtractString(lineage, 'rounding'), if(with_terms, t.rounding, '')) AS rounding
   FROM (SELECT *, kind = 'usage' AND JSONExtractUInt(lineage, 'v') = 2 AS compact FROM {db}.charges FINAL) AS c
   LEFT JOIN (SELECT * FROM {db}.rate_terms FINAL) AS t ON c.catalog_version = t.catalog_version AND c.plan = t.plan AND c.rate_id = t.rate_id`;
