/**
 * IMPORT.md's list of every CGRateS TP construct — each CSV file kind and each of its columns — and how
 * import-cgrates maps it to the catalog, or why it is not kept. One table row per column; the file kinds the importer
 * does not read at all say why in one row.
 */

type Row = [column: string, mapping: string];

/** the CSV kinds and columns import-cgrates reads (CGRateS 0.10/0.11 TP CSV order) */
const READ: [file: string, rows: Row[]][] = [
  ['Timings', [
    ['ID', 'window name (`windows:`), kept only when a RatingPlans row uses it'],
    ['Years, Months, MonthDays', 'the window\'s `years`, `months`, `monthdays` (`*any` = no restriction)'],
    ['WeekDays', 'the window\'s `days` (1=Mon … 7=Sun)'],
    ['Time', 'the window\'s `from`; it lasts to the end of the day. `*asap` (an action-plan notion) → 00:00:00 for rating, and marks an ActionPlans timing that runs once'],
  ]],
  ['Destinations', [['ID', 'a named destination (`destinations:`), kept when a rate or bundle uses it'], ['Prefix', 'one prefix of it (longest prefix wins)']]],
  ['Rates', [
    ['ID', 'the per-unit `steps` of the rates using it'],
    ['ConnectFee', 'the rate\'s `connect-fee` (of the first slot, as CGRateS)'],
    ['Rate, RateUnit', 'a step\'s `price` per `per` (0 → 1 s / 1 unit)'],
    ['RateIncrement', 'the step\'s `increment` (0 → 1 s / 1 unit)'],
    ['GroupIntervalStart', 'the step\'s `from` (no slot at 0: one free increment up to the first)'],
  ]],
  ['DestinationRates', [
    ['ID', 'one rate per row and category in each plan binding it'],
    ['DestinationsID', 'the rate\'s `destinations` (`*any` = every destination)'],
    ['RatesID', 'its steps and connect fee'],
    ['RoundingMethod, RoundingDecimals', 'the rate\'s `rounding` (*up → up, *down → down, *middle → half-up)'],
    ['MaxCost, MaxCostStrategy', '*free → `max-cost` (caps the cost); *disconnect → `max-cost: disconnect` (a rated call keeps its price); MaxCost without a strategy has no effect in CGRateS: not imported'],
  ]],
  ['RatingPlans', [
    ['ID', 'a plan of product `cgrates`'],
    ['DestinationRatesID', 'its rates'],
    ['TimingID', 'the rates\' `window` (`*any` = always)'],
    ['Weight', 'the rates\' `weight` (equal weights: the window that started most recently)'],
  ]],
  ['RatingProfiles', [
    ['Tenant, Subject', 'the assignment\'s account `tenant:subject` (`*any` → pattern `tenant:*any`)'],
    ['Category', 'its usage class'],
    ['ActivationTime', 'its `from` (a call is rated with the plan active at its start)'],
    ['RatingPlanID', 'its plan'],
    ['FallbackSubjects', 'its `fallback` accounts'],
  ]],
  ['Actions', [
    ['ActionsId', 'groups the rows an ActionPlans row runs'],
    ['Action', '*topup / *topup_reset → a money top-up or a bundle; *allow_negative / *deny_negative → `allow-negative`; every other action (*debit, *cdrlog, *reset_account, *log, *call_url…) is not kept: it is an operation on a live account, not catalog data'],
    ['ExtraParameters', 'not kept (parameters of the not-kept actions)'],
    ['Filter', 'not kept: the action is applied always (a note names it)'],
    ['BalanceId', 'not kept (top-ups get ids `<ActionsId>.<row>`)'],
    ['BalanceType', '*monetary → `balances.accounts` top-up; *voice / *data / *sms / *mms → a bundle (share plan) in ms / bytes / events; others (*generic…) not kept'],
    ['Categories', 'the bundle\'s usage class, one bundle per category (empty → call / data / sms / mms by balance type)'],
    ['DestinationIds', 'the bundle\'s destination filter (`destinations:`); `*any` = none; an excluded (`!`) destination is not expressible: the balance is not imported'],
    ['RatingSubject', 'the bundle\'s own rating: the subject\'s single-slot rate gives `rate.connect-fee`, `rate.increment` and `pool-price`; `*zero<duration>` → free in increments of that duration; a subject with several rates or slots: free units (noted)'],
    ['SharedGroup', '*monetary: the account joins that balance group (`balances.groups`); unit balances: not kept (each account has its own bundle)'],
    ['ExpiryTime', '*monetary: a date → the top-up\'s `expiry`, relative expiries are not kept (never expires); bundles: the frequency comes from the ActionPlans timing, an ExpiryTime that differs is noted'],
    ['TimingIds', 'not kept (balance usable only at some times)'],
    ['Units', 'the top-up `amount` (exact decimal) / the bundle `size` (durations in ms; bare numbers are units, ns for voice)'],
    ['BalanceWeight', 'not kept: bundles are used in file order'],
    ['BalanceBlocker, BalanceDisabled', 'not kept (noted when set)'],
    ['Weight', 'not kept (the order of actions within an ActionsId does not change catalog data)'],
  ]],
  ['ActionPlans', [
    ['Id', 'the plan an AccountActions row names'],
    ['ActionsId', 'the actions applied to each account of the plan'],
    ['TimingId', '*asap or a Timings row with StartTime *asap: once (bundle `frequency: unlimited`); *daily / *weekly / *monthly / *yearly: a bundle that resets with that frequency; any other schedule is not kept (imported once, noted); money top-ups are always imported once'],
    ['Weight', 'not kept (order of plans)'],
  ]],
  ['AccountActions', [
    ['Tenant, Account', 'the account `tenant:account` of the balance / bundle (UDRs carry `tenant:subject`: balances follow the account CGRateS rates as the subject)'],
    ['ActionPlanId', 'the top-ups and bundles it gets'],
    ['ActionTriggersId', 'not kept (balance thresholds raise events; no actions run)'],
    ['AllowNegative', '`allow-negative: true` of the account\'s balance'],
    ['Disabled', 'not kept: the catalog has no disabled accounts (noted)'],
  ]],
  ['SharedGroups', [
    ['Id', 'a balance group (`balances.groups`); members = the accounts whose *monetary top-ups name it'],
    ['Account', 'per-account strategies are not kept: one strategy per group (the `*any` row, else the first)'],
    ['Strategy', '*lowest → lowest-first, *highest → highest-first; *mine_lowest / *mine_highest → lowest-/highest-first without trying the debited account first (noted); *random and others: not kept, the members keep their own balances'],
    ['RatingSubject', 'not kept (rating the group\'s usage as another subject)'],
  ]],
  ['Chargers', [
    ['Tenant, ID', 'one charging run per charger (`charging-runs:`); chargers of several tenants are noted (runs rate every record)'],
    ['FilterIDs', 'not kept: the run rates every record (noted)'],
    ['ActivationInterval', 'not kept: the run is always active (noted)'],
    ['RunID', 'the run name (*default → `default`, the primary and only billable run, first; others `billable: false`: costs for the margin view)'],
    ['AttributeIDs', 'the run\'s `rewrite` (from the Attributes profiles, or inline `*constant:*req.Field:Value`); *none = no rewrite'],
    ['Weight (Weights)', 'the order of the non-default runs (highest first)'],
  ]],
  ['Attributes', [
    ['Tenant, ID', 'a profile a charger names (profiles no charger names are not used)'],
    ['Contexts', 'not checked against *chargers: a profile a charger names is applied (noted when the context differs)'],
    ['FilterIDs', '*string / *prefix filters on Account, Subject, Category, Destination → the rewrite\'s condition (`cond ? value : field`); any other filter: the profile is not imported (noted)'],
    ['ActivationInterval', 'not kept'],
    ['AttributeFilterIDs', 'not kept (noted)'],
    ['Path (FieldName)', 'Account / Subject → `account` (`tenant:value`), Category → `usageClass`, Destination → `destination`; other fields are not rating fields: not kept'],
    ['Type, Value (Initial, Substitute, Append)', '*constant → the value as text; *variable `~*req.Field` → that UDR field (others → `attrs.Field`); other types and RSR rules are not kept; Initial other than *any is not kept'],
    ['Blocker, Weight', 'not kept (one profile per charger attribute id, applied in the order the charger lists them)'],
  ]],
];

/** CSV kinds CGRateS loads that import-cgrates does not read, and why */
const NOT_READ: Row[] = [
  ['ActionTriggers', 'threshold-triggered actions on a live account: not kept (balance thresholds raise balance-low events; bundle thresholds raise bucket-threshold events)'],
  ['Filters', 'filter profiles (named FilterIDs): not read; a charger or attribute profile naming one is noted'],
  ['Resources, Stats, Thresholds', 'session resource limits, metrics and thresholds: not rating data'],
  ['Routes (Suppliers), DispatcherProfiles, DispatcherHosts', 'least-cost routing and dispatching: not rating data'],
  ['RateProfiles, ActionProfiles, Accounts (CGRateS 1.0)', 'the newer rating/accounting model: not read (this importer reads the 0.10/0.11 TP files above)'],
];

/** the file kinds import-cgrates knows (a CSV of another name is reported as unknown) */
export const KNOWN_CSV: ReadonlySet<string> = new Set([
  ...READ.map(([f]) => f),
  'ActionTriggers', 'Filters', 'Resources', 'Stats', 'Thresholds', 'Routes', 'Suppliers', 'DispatcherProfiles', 'DispatcherHosts', 'RateProfiles', 'ActionProfiles', 'Accounts',
]);

export function constructsDoc(present: (file: string) => boolean): string[] {
  const out = ['## Every construct and how it maps', '', 'Columns of each CGRateS TP CSV kind (✓ = the file is in the imported folder).', ''];
  for (const [file, rows] of READ) {
    out.push(`### ${file}.csv${present(file) ? ' ✓' : ''}`, '', '| column | catalog |', '|---|---|');
    for (const [col, m] of rows) out.push(`| ${col} | ${m} |`);
    out.push('');
  }
  out.push('### Not read', '', '| CSV kind | why |', '|---|---|');
  for (const [file, why] of NOT_READ) out.push(`| ${file}${file.split(/[ ,]+/).some((f) => f && present(f)) ? ' ✓' : ''} | ${why} |`);
  return out;
}
