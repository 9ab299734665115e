/** RuleWatcher: watches rule file and tables, recompiles, swaps only on success, reports errors, keeps the last good rules. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuleWatcher } from '../../../engine/mediation/hot-reload.ts';
import { Mediator } from '../../../engine/mediation/mediator.ts';
import { CSV_RULES, tempDir } from './helpers.ts';

const watchers: RuleWatcher[] = [];
afterEach(() => watchers.splice(0).forEach((w) => w.close()));

function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const tick = () => (cond() ? res() : Date.now() - t0 > ms ? rej(new Error('timeout')) : setTimeout(tick, 20));
    tick();
  });
}

const rec = (text: string) => ({ feed: 'f', source: 'x:1', text });

describe('RuleWatcher', () => {
  it('swaps on a good change, keeps the last good rules on a bad one, reports every problem', () => {
    const dir = tempDir();
    const file = join(dir, 'r.mediation.yaml');
    writeFileSync(file, CSV_RULES);
    const errors: string[] = [];
    const w = new RuleWatcher(file, { onError: (_e, ps) => errors.push(...ps.map((p) => `${p.line}:${p.col}: ${p.message}`)) });
    watchers.push(w);
    const m = new Mediator(w.current);
    expect(m.mediate([rec('a,V,acc,5')]).udrs[0]!.quantity).toBe(5);

    writeFileSync(file, CSV_RULES.replace('number($qty)', 'multiply(number($qty), 1000)'));
    const ok = w.reload();
    expect(ok.status).toBe('swapped');
    m.swapRules(w.current);
    expect(m.mediate([rec('b,V,acc,5')]).udrs[0]!.quantity).toBe(5000);

    const good = w.current.version;
    writeFileSync(file, CSV_RULES.replace('number($qty)', 'nmber($qty)').replace("$kind == 'V'", "$kind ==="));
    const bad = w.reload();
    expect(bad.status).toBe('failed');
    expect(w.current.version).toBe(good);
    expect(errors.length).toBe(2);
    expect(errors.join('\n')).toMatch(/unknown function nmber\(\)/);
    expect(m.mediate([rec('c,V,acc,5')]).udrs[0]!.quantity).toBe(5000); // still the last good rules

    expect(w.reload().status).toBe('failed');
    writeFileSync(file, CSV_RULES.replace('number($qty)', 'multiply(number($qty), 1000)'));
    expect(w.reload().status).toBe('unchanged'); // same content as the rules in force
    expect(w.stats).toEqual({ swaps: 1, failures: 2 });
  });

  it('watches the files: a change to the rule file or a reference table is picked up by itself', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'accounts.csv'), 'id,account\na,ACC-1\n');
    const file = join(dir, 'r.mediation.yaml');
    const rules = CSV_RULES.replace('parser:', 'reference:\n  acc: { file: accounts.csv, key: id }\nparser:').replace('account: "$account"', "account: \"lookup('acc', $id)\"");
    writeFileSync(file, rules);
    const swaps: string[] = [];
    const fails: string[] = [];
    const w = new RuleWatcher(file, { debounceMs: 30, onSwap: (r) => swaps.push(r.version), onError: (e) => fails.push(e.message) }).start();
    watchers.push(w);
    expect(new Mediator(w.current).mediate([rec('a,V,x,1')]).udrs[0]!.account).toBe('ACC-1');

    writeFileSync(join(dir, 'accounts.csv'), 'id,account\na,ACC-2\n');
    await until(() => swaps.length === 1);
    expect(new Mediator(w.current).mediate([rec('a,V,x,1')]).udrs[0]!.account).toBe('ACC-2');

    writeFileSync(file, rules.replace("lookup('acc', $id)", "lookup('nope', $id)"));
    await until(() => fails.length >= 1);
    expect(fails[0]).toMatch(/unknown reference table "nope"/);
    expect(new Mediator(w.current).mediate([rec('a,V,x,1')]).udrs[0]!.account).toBe('ACC-2');

    writeFileSync(file, rules.replace('number($qty)', 'multiply(number($qty), 2)'));
    await until(() => swaps.length === 2);
    expect(new Mediator(w.current).mediate([rec('a,V,x,4')]).udrs[0]!.quantity).toBe(8);
  });

  it('refuses to start without a first good version', () => {
    const dir = tempDir();
    const file = join(dir, 'r.mediation.yaml');
    writeFileSync(file, 'kind: mediation\nname: x\n');
    expect(() => new RuleWatcher(file)).toThrow(/parser|mappings/);
  });
});
