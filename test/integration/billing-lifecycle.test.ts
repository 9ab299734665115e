/**
 * The invoice run with rating's period outputs: recurring prices by service state prorated over the state timeline
 * (from the service-state log in ClickHouse), one-time transition charges, usage, and under-commit penalties of a
 * contract; taxed by the built-in table and by a pluggable tax hook.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBillingConfig } from '../../engine/billing/config.ts';
import { runInvoices } from '../../engine/billing/invoice.ts';
import { contractPenaltyProvider, recurringProvider, stateRowToStore } from '../../engine/billing/rating-adapter.ts';
import { loadTaxHookModule } from '../../engine/billing/tax.ts';
import { formatMoney } from '../../engine/core/money.ts';
import type { Charge, Udr } from '../../engine/core/types.ts';
import { loadCatalogFile } from '../../engine/rating/catalog.ts';
import { Rater, type ServiceEvent } from '../../engine/rating/rater.ts';
import { recurringCharges } from '../../engine/rating/recurring.ts';
import { openStore, type StoreClient } from '../../engine/store/client.ts';
import { stateLog, writeStateChanges } from '../../engine/store/finance.ts';
import { writeBatch } from '../../engine/store/ledger.ts';
import { migrate } from '../../engine/store/migrate.ts';
import { ROOT } from './billing-fixture.ts';

const SCEN = join(ROOT, 'rules/rating/scenarios');
const udr = (id: string, account: string, service: string, usageClass: string, quantity: number, at: string): Udr => ({
  id, feed: 'test', usageClass, account, service, ratingKey: account, startTime: Date.parse(at), quantity, unit: 'byte', origin: '', destination: '', attrs: {}, source: `test:${id}`, rulesVersion: 't',
});
const ev = (id: string, service: string, to: string, at: string, extra: Partial<ServiceEvent> = {}): ServiceEvent => ({ id, service, to, at: Date.parse(at), ...extra });

describe('invoices with recurring, one-time, usage and penalty charges', () => {
  let dir: string;
  let store: StoreClient;
  const put = async (charges: Charge[], token: string) => writeBatch(store, { udrs: [], charges, mediationRejects: [], ratingRejects: [], feed: 'test' }, token);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-billing-life-'));
    store = await openStore({ dbDir: join(dir, 'ch') });
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('hardware nodes: states prorated over March, installation fee, telemetry; a pluggable tax hook', async () => {
    const catalog = loadCatalogFile(join(SCEN, 'hardware-node.catalog.yaml'));
    const rater = new Rater(catalog);
    const out: Charge[] = [];
    out.push(...rater.applyServiceEvents([ev('ev-1', 'node-7', 'pre-active', '2025-03-01T00:00:00Z', { account: 'factory-1', type: 'hardware-node', plan: 'node-standard' }),
      ev('ev-2', 'node-7', 'active', '2025-03-05T00:00:00Z')]).charges);
    out.push(...rater.rate([udr('t-1', 'factory-1', 'node-7', 'telemetry', 2_500_000, '2025-03-06T10:00:00Z')]).charges);
    out.push(...rater.applyServiceEvents([ev('ev-3', 'node-7', 'suspended', '2025-03-11T00:00:00Z'), ev('ev-4', 'node-7', 'active', '2025-03-21T00:00:00Z')]).charges);
    await put(out, 'life:nodes');
    // the runtime persists the rating state timeline to the service-state log
    await writeStateChanges(store, rater.stateLog().map((r) => stateRowToStore(r, catalog.version)));
    expect((await stateLog(store, { before: Date.parse('2025-04-01T00:00:00Z') })).length).toBe(rater.stateLog().length);

    const billing = join(dir, 'nodes-billing.yaml');
    writeFileSync(join(dir, 'us-tax.yaml'), 'kind: tax-table\nname: us\njurisdictions:\n  US-NY:\n    default: { code: NY-ST, rate: "0.08875", label: NY sales tax 8.875% }\n    rules:\n      - { section: one_time, code: NY-EXEMPT, rate: "0", label: Installation (exempt) }\n');
    writeFileSync(billing, `kind: billing\nname: nodes\ntimezone: UTC\ncurrency: USD\ncatalog: ${join(SCEN, 'hardware-node.catalog.yaml')}\nissuer: { name: Edge Networks Inc. }\ninvoice: { number-prefix: EN }\ntax: { table: us-tax.yaml, default-jurisdiction: US-NY }\n`);
    const config = loadBillingConfig(billing);
    const run = await runInvoices(store, { period: '2025-03', config, providers: [recurringProvider(catalog)], out: join(dir, 'inv') });
    expect(run.periodCharges).toBeGreaterThan(0);
    const doc = run.invoices[0]!.doc;
    expect(doc.invoiceNo).toBe('EN-202503-factory-1');
    const expected = recurringCharges(catalog, rater.stateLog(), '2025-03');
    const recurring = doc.lines.filter((l) => l.section === 'recurring');
    expect(recurring.map((l) => l.net).sort()).toEqual(expected.map((c) => formatMoney(c.amount, 2)).sort());
    expect(recurring.length).toBeGreaterThanOrEqual(4); // node-legacy full month; node-7 active, suspended, active again
    expect(recurring.find((l) => l.service === 'node-legacy')!.net).toBe('30.00');
    expect(doc.lines.filter((l) => l.section === 'one_time')).toMatchObject([{ net: '25.00', taxCode: 'NY-EXEMPT', tax: '0.00' }]);
    expect(doc.lines.filter((l) => l.section === 'usage')).toMatchObject([{ net: '0.25', taxCode: 'NY-ST', usageClass: 'telemetry' }]);
    const sections = doc.lines.map((l) => l.section);
    expect(sections).toEqual([...sections].sort((a, b) => ['recurring', 'one_time', 'usage', 'penalty', 'adjustment'].indexOf(a) - ['recurring', 'one_time', 'usage', 'penalty', 'adjustment'].indexOf(b)));
    for (const l of doc.lines) {
      const net = BigInt(l.net.replace('.', ''));
      const rate = l.taxRate === '0.08875' ? 8875n : 0n;
      expect(BigInt(l.tax.replace('.', ''))).toBe((net * rate * 2n + 100_000n) / 200_000n); // half-up to cents, per line
    }

    // the same period again with the providers: the recurring charges already in the ledger are not doubled
    const again = await runInvoices(store, { period: '2025-03', config, providers: [recurringProvider(catalog)] });
    expect(again.invoices[0]!.status).toBe('existing');

    // a pluggable tax hook (a module exporting createTaxHook) on April
    const hookFile = join(dir, 'flat-hook.mjs');
    writeFileSync(hookFile, `export function createTaxHook() { return { name: 'flat-10', taxFor: (l) => ({ code: 'FLAT-10', rate: '0.10', label: 'Flat 10%', jurisdiction: l.jurisdiction }) }; }\n`);
    const hook = await loadTaxHookModule(hookFile, config.taxTable);
    const april = await runInvoices(store, { period: '2025-04', config, providers: [recurringProvider(catalog)], taxHook: hook });
    const a = april.invoices[0]!.doc;
    expect(a.lines.length).toBeGreaterThan(0);
    expect(a.lines.every((l) => l.taxCode === 'FLAT-10' && l.section === 'recurring')).toBe(true);
    expect(a.taxes).toMatchObject([{ code: 'FLAT-10', rate: '0.10' }]);
  });

  it('contract: an under-commit penalty for the month, outside the scope of VAT', async () => {
    const catalog = loadCatalogFile(join(SCEN, 'contract.catalog.yaml'));
    const rater = new Rater(catalog);
    const r = rater.rate([udr('u-1', 'acme', 'sim-1', 'data', 20_000_000, '2025-01-10T10:00:00Z'), udr('u-2', 'acme', 'sim-2', 'data', 10_000_000, '2025-01-20T10:00:00Z')]);
    await put(r.charges, 'life:contract');
    const config = loadBillingConfig(); // EUR, Europe/Amsterdam, NL VAT with penalties out of scope
    const run = await runInvoices(store, { period: '2025-01', account: 'acme', config, providers: [contractPenaltyProvider(rater)] });
    const doc = run.invoices[0]!.doc;
    expect(doc.lines.find((l) => l.section === 'usage')).toMatchObject({ net: '60.00', taxCode: 'NL-VAT-21', tax: '12.60' });
    expect(doc.lines.find((l) => l.section === 'penalty')).toMatchObject({ net: '40.00', taxCode: 'NL-VAT-OOS', tax: '0.00' });
    expect(doc.totals).toEqual({ net: '100.00', tax: '12.60', total: '112.60' });
  });
});
