/**
 * authorize (engine/rating/authorize.ts): the maximum usage per usage class from balances, credit limit, pools and a
 * max cost with strategy disconnect, rounded down to the billing increment; the `authorize` CLI command and serve's
 * GET /authorize route (fastify, with a real Rater as the rate role's state).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { authorize } from '../../../engine/rating/authorize.ts';
import { loadCatalogFile, loadCatalogText } from '../../../engine/rating/catalog.ts';
import { Rater } from '../../../engine/rating/rater.ts';
import { emptyState } from '../../../engine/rating/state.ts';
import { registerAuthorize } from '../../../engine/runtime/streaming/authorize-http.ts';
import { catalogWith, udr } from './helpers.ts';

const root = resolve(import.meta.dirname, '../../..');
const bin = resolve(root, 'engine/cli/bin.mjs');
const IOT = resolve(root, 'rules/rating/scenarios/prepaid-iot.catalog.yaml');
const T = Date.parse('2025-03-03T12:00:00Z');
const tmp = mkdtempSync(join(tmpdir(), 'authorize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const voice = (balances: string, rates = ['{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 30s/6s, connect-fee: "0.10" }']) =>
  loadCatalogText(catalogWith(rates, `balances:\n${balances}`));

describe('authorize', () => {
  const table: { name: string; balances: string; rates?: string[]; ms: number; limit: string; cost: string }[] = [
    // 2.00 - 0.10 fee = 1.90 at 0.01/s: 190 s; increments 30s then 6s: 30 + 26 × 6 = 186 s (0.10 + 1.86 = 1.96); 192 s would cost 2.02
    { name: 'prepaid: rounded down to the billing increment', balances: '  accounts: [{ account: acme, initial: "2.00" }]', ms: 186_000, limit: 'balance', cost: '1.96' },
    { name: 'the credit limit counts', balances: '  accounts: [{ account: acme, initial: "2.00", credit-limit: "1.00" }]', ms: 288_000, limit: 'balance', cost: '2.98' },
    { name: 'allow-negative: not limited by the balance (the cap)', balances: '  accounts: [{ account: acme, initial: "0", allow-negative: true }]', ms: 10_800_000, limit: 'cap', cost: '108.1' },
    { name: 'max cost disconnect limits it before the balance', balances: '  accounts: [{ account: acme, initial: "50" }]',
      rates: ['{ id: r, usage-class: voice, price: "0.60", per: 60s, increments: 60s/60s, max-cost: { amount: "3.00", strategy: disconnect } }'], ms: 300_000, limit: 'max-cost', cost: '3' },
    { name: 'an empty balance: nothing', balances: '  accounts: [{ account: acme, initial: "0" }]', ms: 0, limit: 'balance', cost: '0' },
  ];
  for (const c of table) {
    it(c.name, () => {
      const [r] = authorize(voice(c.balances, c.rates), emptyState(), { account: 'acme', destination: '+31', start: T }).classes;
      expect([r!.usageClass, r!.maxUsage, r!.limit, r!.cost.replace(/\.?0+$/, '')]).toEqual(['voice', c.ms, c.limit, c.cost]);
    });
  }
  it('reads the balances and pools used so far; a class without a rate says why', () => {
    const cat = loadCatalogFile(IOT);
    const rater = new Rater(cat);
    rater.rate([udr({ id: 'd', account: 'sim-1', service: 'iccid-1', usageClass: 'data', unit: 'byte', quantity: 10_500_000, startTime: T })]);
    const a = authorize(cat, rater.state, { account: 'sim-1', destination: '', start: T, usageClass: 'data' });
    expect(a.classes).toEqual([{ usageClass: 'data', unit: 'byte', maxUsage: 2_000_000, limit: 'balance', cost: '0.4000000000' }]);
    expect(a.balances).toEqual([{ balance: 'account:sim-1', amount: '0.4000000000', available: '0.4000000000' }]);
    const none = authorize(cat, rater.state, { account: 'sim-1', destination: '', start: T, usageClass: 'fax' });
    expect(none.classes[0]).toMatchObject({ usageClass: 'fax', maxUsage: 0, limit: 'no-rate' });
    expect(none.classes[0]!.note).toMatch(/no rate for usage class fax/);
  });
});

describe('ratestream authorize', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'authorize', '-c', IOT, ...args], { cwd: root, encoding: 'utf8' });
  it('prints the maximum usage per class; --state continues from a rating state', () => {
    const a = run('--account', 'sim-1', '--start', '2025-03-02T08:00:00Z');
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('balance account:sim-1: 0.5000000000, may still debit 0.5000000000');
    expect(a.stdout).toMatch(/data\t12500000 byte\tlimited by balance\tcost 0.5000000000/);
    const rater = new Rater(loadCatalogFile(IOT));
    rater.rate([udr({ id: 'd', account: 'sim-1', service: 'iccid-1', usageClass: 'data', unit: 'byte', quantity: 11_000_000, startTime: Date.parse('2025-03-02T07:00:00Z') })]);
    const file = join(tmp, 'state.json');
    writeFileSync(file, rater.snapshot());
    const b = run('--account', 'sim-1', '--start', '2025-03-02T08:00:00Z', '--state', file, '--usage-class', 'data', '--json');
    expect(b.status).toBe(0);
    expect(JSON.parse(b.stdout).classes).toEqual([{ usageClass: 'data', unit: 'byte', maxUsage: 1_500_000, limit: 'balance', cost: '0.3000000000' }]);
  });
  it('says what is wrong with --start and --state', () => {
    expect(run('--account', 'sim-1', '--start', 'yesterday').stderr).toMatch(/--start "yesterday"/);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"v":2}');
    expect(run('--account', 'sim-1', '--start', '2025-03-02', '--state', bad).stderr).toMatch(/--state .*bad.json: not a rating state \(unsupported rating state version 2\)/);
  });
});

describe('GET /authorize (serve)', () => {
  const cat = loadCatalogFile(IOT);
  const rater = new Rater(cat);
  const app = Fastify();
  let have = true;
  registerAuthorize(app, { token: 'secret', stateFor: () => (have ? { rater, partition: 3, found: true } : undefined) });
  const get = (url: string, token = 'secret') => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  afterAll(() => app.close());
  it('answers from the rate role state, with the partition it read', async () => {
    const r = await get('/authorize?account=sim-2&start=2025-03-16T08:00:00Z&usageClass=data');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ account: 'sim-2', catalog: 'prepaid-iot', state: { partition: 3, found: true }, classes: [{ usageClass: 'data', maxUsage: 16_200_000, limit: 'balance' }] });
  });
  it('401 without the token, 400 without account/start or with a bad start, 503 without a rating state', async () => {
    expect((await get('/authorize?account=a&start=2025-03-01', 'wrong')).statusCode).toBe(401);
    expect((await get('/authorize?account=a')).json()).toMatchObject({ error: 'BAD_REQUEST' });
    expect((await get('/authorize?account=a&start=soon')).json().message).toMatch(/start "soon"/);
    have = false;
    const r = await get('/authorize?account=a&start=2025-03-01');
    expect([r.statusCode, r.json().error]).toEqual([503, 'NOT_READY']);
  });
});
