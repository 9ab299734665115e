/**
 * import-cgrates beyond rating: Actions / ActionPlans / AccountActions → money balances and bundles (with their own
 * rating), SharedGroups → balance groups, Chargers / Attributes → charging runs; IMPORT.md lists every CSV kind and
 * column. The CGRateS tariff plans in ../shared (never copied here) import with balances and chargers where present;
 * the chargers fixture (test/fixtures/cgrates-chargers) is ratestream's own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../engine/core/money.ts';
import { importCgrates } from '../../../engine/rating/cgrates-import.ts';
import { loadCatalogFile } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { toUdr } from '../../../engine/rating/udr-input.ts';

const TP = resolve(import.meta.dirname, '../../../../shared/fixtures/external/cgrates-tariffplans');
const CHARGERS = resolve(import.meta.dirname, '../../fixtures/cgrates-chargers');

function imported(dir: string) {
  const out = mkdtempSync(join(tmpdir(), 'cg-acc-'));
  const r = importCgrates(dir, out);
  return { r, cat: loadCatalogFile(r.catalogFile), report: readFileSync(r.reportFile, 'utf8') };
}

/** every folder holding a tariff plan (RatingPlans.csv) under the shared fixtures */
function tariffFolders(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (existsSync(join(d, 'RatingPlans.csv'))) out.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  walk(root);
  return out.sort();
}

const ROOT = resolve(import.meta.dirname, '../../..');
const cli = (...args: string[]) => spawnSync(process.execPath, [resolve(ROOT, 'engine/cli/bin.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });

describe('npx ratestream import-cgrates <folder> --out DIR', () => {
  it('an empty folder: one clear line naming it, exit 1, nothing written', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cg-cli-empty-'));
    const r = cli('import-cgrates', empty, '--out', join(empty, 'out'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^ratestream: no CGRateS tariff CSVs found in ${empty} \\(expected`));
    expect(existsSync(join(empty, 'out'))).toBe(false);
  });
  it('the chargers fixture: catalog and IMPORT.md written, the runs counted, what is not kept printed', () => {
    const out = mkdtempSync(join(tmpdir(), 'cg-cli-out-'));
    const r = cli('import-cgrates', CHARGERS, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/chargers: 2, attributeProfiles: 2, chargingRuns: 2/);
    expect(r.stdout).toContain('note: Chargers cgrates.org:SUPPLIER_COST: FilterIDs *string:~*req.Category:call are not kept');
    expect(readFileSync(join(out, 'IMPORT.md'), 'utf8')).toContain('### Chargers.csv ✓');
  });
});

describe('import-cgrates: the folder must hold tariff CSVs', () => {
  it('a folder with only account data (no tariff) says no CGRateS tariff CSVs were found there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-acts-'));
    writeFileSync(join(dir, 'Actions.csv'), 'TOPUP,*topup,,,,*monetary,,,,,*unlimited,,10,10,false,false,10\n');
    expect(() => importCgrates(dir, join(dir, 'out'))).toThrow(`no CGRateS tariff CSVs found in ${dir}`);
  });
});

describe.skipIf(!existsSync(TP) && !process.env.CI)('import-cgrates: the CGRateS tariff plans of ../shared', () => {
  const folders = existsSync(TP) ? tariffFolders(TP) : [];
  it('finds the tariff folders (tutorial, tutorial2, testit, testData, the loader test, the general tests)', () => {
    expect(folders.length).toBeGreaterThanOrEqual(8);
  });
  for (const dir of folders) {
    it(`${dir.slice(TP.length + 1)} imports, with balances, bundles and charging runs where its CSVs have them`, () => {
      const { cat, report } = imported(dir);
      expect(cat.plans.size).toBeGreaterThan(0);
      const has = (f: string) => existsSync(join(dir, `${f}.csv`));
      expect(cat.balances.accounts.size > 0).toBe(has('AccountActions'));
      expect(cat.runs.length > 0).toBe(has('Chargers'));
      for (const f of ['Timings', 'Destinations', 'Rates', 'DestinationRates', 'RatingPlans', 'RatingProfiles', 'Actions', 'ActionPlans', 'AccountActions', 'SharedGroups', 'Chargers', 'Attributes']) {
        expect(report).toContain(`### ${f}.csv${has(f) ? ' ✓' : ''}\n`);
      }
    });
  }

  it('the loader test account data: top-ups, allow-negative, shared groups, bundles with a destination filter and their own rating', () => {
    const { cat, r, report } = imported(join(TP, 'engine-loader-csv-test'));
    const bal = (a: string) => cat.balances.accounts.get(a)!;
    // SE10: *topup_reset 10 in SG2 + *topup 10; EE0 with *allow_negative; POST_AT: NEG only; AccountActions AllowNegative
    expect(bal('vdf:empty10').buckets.map((b) => [b.id, formatMoney(b.amount, 2)])).toEqual([['SE10.1', '10.00'], ['SE10.2', '10.00']]);
    expect([bal('vdf:emptyX').allowNegative, bal('vdf:post').allowNegative, bal('cgrates.org:alodis').allowNegative, bal('vdf:empty10').allowNegative]).toEqual([true, true, true, false]);
    expect([...cat.balances.groups.values()].map((g) => [g.id, g.strategy, g.members])).toEqual([
      ['SG1', 'lowest-first', ['vdf:minitsboy']],
      ['SG2', 'lowest-first', ['vdf:empty0', 'vdf:empty10']],
      ['SG3', 'lowest-first', ['cgrates.org:alodis', 'vdf:emptyX', 'vdf:emptyY']],
    ]);
    // TOPUP10_AC1: *voice 40s to DST_UK_Mobile_BIG5, rating subject discounted_minutes (RT_UK_Mobile_BIG5_PKG: 0.01 + 0 per 20s in 20s)
    const big5 = cat.sharePlans.find((s) => s.id === 'TOPUP10_AC1.1.call')!;
    expect([big5.size, big5.frequency, big5.destinations?.text, big5.rate?.increment, formatMoney(big5.rate!.connectFee, 2)]).toEqual([40_000, 'unlimited', 'DST_UK_Mobile_BIG5', 20_000, '0.01']);
    expect([...big5.participating.accounts!].sort()).toEqual(['cgrates.org:12345', 'cgrates.org:123456', 'cgrates.org:dy', 'cgrates.org:remo', 'cgrates.org:round']);
    expect(r.stats).toMatchObject({ bundles: 3, balanceGroups: 3, topUps: 17 });
    // what is not kept is said
    expect(report).toContain('Actions DEFEE (*cdrlog): no account\'s action plan runs it; not imported');
    expect(report).toContain('Actions VF (*debit *monetary): no account\'s action plan runs it; not imported');
    expect(report).toContain('Actions FILTER (*topup *monetary): no account\'s action plan runs it; not imported');
    expect(report).toMatch(/Actions MINI row 2: RatingSubject test has no RatingProfile in tenant vdf/);
    expect(report).toMatch(/Actions EXP row 1: ExpiryTime \*monthly is not kept: the bundle never expires/);
    expect(report).toMatch(/ActionTriggers STANDARD_TRIGGERS are not kept/);

    // rated: the bundle takes whole 20 s increments and charges its connect fee; usage beyond it goes to the RP_UK rate
    const rater = new Rater(cat);
    const res = rater.rate([
      { id: 'b1', account: 'cgrates.org:12345', destination: '447956123', start: '2014-01-01T10:00:00Z', usage: '30s' },
      { id: 'b2', account: 'cgrates.org:12345', destination: '447956123', start: '2014-01-01T11:00:00Z', usage: '30s' },
      { id: 'b3', account: 'cgrates.org:12345', destination: '441234', start: '2014-01-01T12:00:00Z', usage: '30s' },
    ].map((o, i) => toUdr(o, i)));
    expect(res.charges.map((c) => [c.udrId, c.rateId, c.quantity, formatMoney(c.amount, 4)])).toEqual([
      ['b1', 'pool:TOPUP10_AC1.1.call', 40_000, '0.0100'], // 30 s → two 20 s increments of the 40 s bundle: its connect fee only
      ['b2', 'DR_UK_Mobile_BIG5.DST_UK_Mobile_BIG5.ANY.call', 30_000, '3.0100'], // bundle used up: RT_UK_Mobile_BIG5 0.01 + 30 × 0.10
    ]);
    expect(res.rejects.map((x) => [x.source, x.reason])).toEqual([['cli:2', 'NO_RATE']]); // RP_UK has no rate to 441234
  });
});

describe('import-cgrates: Chargers + Attributes → charging runs (test/fixtures/cgrates-chargers)', () => {
  it('*default is the billable primary run; the supplier run rewrites the subject per destination; notes say what is not kept', () => {
    const { cat, report } = imported(CHARGERS);
    expect(cat.runs.map((r) => [r.name, r.billable, r.rewrites.map((w) => `${w.field} = ${w.text}`)])).toEqual([
      ['default', true, []],
      ['supplier', false, ["account = (substr(destination, 0, 3) == '+49') ? 'cgrates.org:SUPPLIER2' : 'cgrates.org:SUPPLIER1'"]],
    ]);
    expect(report).toContain('Chargers cgrates.org:SUPPLIER_COST: FilterIDs *string:~*req.Category:call are not kept: the run supplier rates every record');
    expect(report).toContain('Attributes cgrates.org:ATTR_SUPPLIER: RequestType is not a rating field');
    expect(report).toMatch(/\| Chargers \+ Attributes \| 2 chargers, 2 profiles \| 2 charging runs/);
  });

  it('each call rated retail and at the supplier\'s cost: the margins of the fixture README', () => {
    const { cat } = imported(CHARGERS);
    const res = new Rater(cat).rate([
      { id: 'nl', account: 'cgrates.org:1001', destination: '+31201234', start: '2014-02-01T10:00:00Z', usage: '90s' },
      { id: 'de', account: 'cgrates.org:1001', destination: '+4930123', start: '2014-02-01T10:00:00Z', usage: '90s' },
    ].map((o, i) => toUdr(o, i)));
    expect(res.rejects).toEqual([]);
    const by = (udr: string, run: string) => res.charges.filter((c) => c.udrId === udr && c.run === run);
    const margin = (udr: string) => by(udr, 'default').reduce((s, c) => s + c.amount, 0n) - by(udr, 'supplier').reduce((s, c) => s + c.amount, 0n);
    expect(res.charges.map((c) => [c.udrId, c.run, c.account, formatMoney(c.amount, 4)])).toEqual([
      ['nl', 'supplier', 'cgrates.org:SUPPLIER1', '0.0450'],
      ['nl', 'default', 'cgrates.org:1001', '0.4500'],
      ['de', 'supplier', 'cgrates.org:SUPPLIER2', '0.0900'],
      ['de', 'default', 'cgrates.org:1001', '0.4500'],
    ]);
    expect([formatMoney(margin('nl'), 4), formatMoney(margin('de'), 4)]).toEqual(['0.4050', '0.3600']);
  });

  it('a monthly data bundle (*monthly action plan, *zero1024 rating subject), an sms bundle, a money balance; master-format inline charger attributes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-monthly-'));
    for (const f of readdirSync(CHARGERS).filter((x) => x.endsWith('.csv') && !x.startsWith('Charg') && !x.startsWith('Attr'))) writeFileSync(join(dir, f), readFileSync(join(CHARGERS, f)));
    writeFileSync(join(dir, 'Actions.csv'), [
      '#ActionsId[0],Action[1],ExtraParameters[2],Filter[3],BalanceId[4],BalanceType[5],Categories[6],DestinationIds[7],RatingSubject[8],SharedGroup[9],ExpiryTime[10],TimingIds[11],Units[12],BalanceWeight[13],BalanceBlocker[14],BalanceDisabled[15],Weight[16]',
      'MONTHLY,*topup_reset,,,,*data,data,*any,*zero1024,,*monthly,,1000000,10,false,false,10',
      'MONTHLY,*topup_reset,,,,*sms,sms;mms,*any,,,*monthly,,50,10,false,false,10',
      'MONTHLY,*topup,,,,*monetary,,*any,,,*unlimited,,5,10,false,false,10',
    ].join('\n'));
    writeFileSync(join(dir, 'ActionPlans.csv'), '#Id,ActionsId,TimingId,Weight\nPLAN_M,MONTHLY,*monthly,10\n');
    writeFileSync(join(dir, 'AccountActions.csv'), '#Tenant,Account,ActionPlanId,ActionTriggersId,AllowNegative,Disabled\ncgrates.org,1001,PLAN_M,,false,false\ncgrates.org,1002,PLAN_M,,true,false\n');
    writeFileSync(join(dir, 'Chargers.csv'), '#Tenant,ID,FilterIDs,Weights,RunID,AttributeIDs\ncgrates.org,DEFAULT,,;0,*default,*none\ncgrates.org,Raw,,;0,*raw,*constant:*req.RequestType:*none\n');
    const { cat, report } = imported(dir);
    expect(cat.sharePlans.map((p) => [p.id, p.bucketClass, p.unit, p.size, p.frequency, p.rate?.increment, [...p.participating.accounts!]])).toEqual([
      ['MONTHLY.1.data', 'data', 'byte', 1_000_000, 'monthly', 1024, ['cgrates.org:1001', 'cgrates.org:1002']],
      ['MONTHLY.2.sms', 'sms', 'event', 50, 'monthly', undefined, ['cgrates.org:1001', 'cgrates.org:1002']],
      ['MONTHLY.2.mms', 'mms', 'event', 50, 'monthly', undefined, ['cgrates.org:1001', 'cgrates.org:1002']],
    ]);
    expect([...cat.balances.accounts.values()].map((b) => [b.key, b.buckets.map((x) => formatMoney(x.amount, 2)), b.allowNegative])).toEqual([
      ['account:cgrates.org:1001', ['5.00'], false], ['account:cgrates.org:1002', ['5.00'], true]]);
    expect(report).toContain('Categories sms;mms: one bundle per category');
    expect(report).toContain('the recurring schedule *monthly of monetary top-ups is not kept; the top-up is imported once');
    expect(cat.runs.map((r) => [r.name, r.billable, r.rewrites.length])).toEqual([['default', true, 0], ['raw', false, 0]]);
    expect(report).toContain('RequestType is not a rating field');
  });

  it('quoted fields (Actions\' JSON ExtraParameters) do not shift the columns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-quoted-'));
    for (const f of readdirSync(CHARGERS).filter((x) => x.endsWith('.csv') && !x.startsWith('Charg') && !x.startsWith('Attr'))) writeFileSync(join(dir, f), readFileSync(join(CHARGERS, f)));
    writeFileSync(join(dir, 'Actions.csv'), 'TOP,*cdrlog,"{""Category"":""^ddi"",""RunID"":""^x""}",,,,,,,,,,,,false,false,10\nTOP,*topup,,,,*monetary,,,,,2030-01-01T00:00:00Z,,12.5,10,false,false,10\n');
    writeFileSync(join(dir, 'ActionPlans.csv'), 'PLAN,TOP,*asap,10\n');
    writeFileSync(join(dir, 'AccountActions.csv'), 'cgrates.org,1001,PLAN,,false,false\n');
    const { cat } = imported(dir);
    const b = cat.balances.accounts.get('cgrates.org:1001')!.buckets;
    expect(b.map((x) => [x.id, formatMoney(x.amount, 2), new Date(x.expiry).toISOString()])).toEqual([['TOP.2', '12.50', '2030-01-01T00:00:00.000Z']]);
  });
});
