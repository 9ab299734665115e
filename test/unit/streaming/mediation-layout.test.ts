/**
 * `rate.with-mediation` resolved per process (mediation-layout.ts): auto = the fused stage when the process runs the
 * mediate and rate roles, rate.store resolves to direct and the raw topics are partitioned like udr — the roles apart
 * otherwise, with the reason; true refuses what auto falls back from; false = the roles apart. The setting's parsing
 * (booleans and their YAML strings, auto, the default) is here too.
 */
import { describe, expect, it } from 'vitest';
import { serveSchema } from '../../../engine/runtime/streaming/config.ts';
import type { Role } from '../../../engine/runtime/streaming/config.ts';
import { type MediationSetting, mediationLayout } from '../../../engine/runtime/streaming/mediation-layout.ts';

const ALL: Role[] = ['mediate', 'rate', 'sink'];
const counts = (raw: number[], udr = 6) => async () => ({
  raw: raw.map((partitions, i) => ({ topic: `raw.feed${i}`, partitions })),
  udr: { topic: 'udr', partitions: udr },
});
const layout = (setting: MediationSetting, roles: Role[], rateStore: 'direct' | 'topics', raw = [6, 6]) =>
  mediationLayout({ setting, roles, rateStore, partitions: counts(raw) });

describe('rate.with-mediation setting', () => {
  const parse = (v: unknown) => serveSchema.parse({ kind: 'serve', pipelines: ['p.yaml'], rate: v === undefined ? {} : { 'with-mediation': v } }).rate['with-mediation'];
  it('defaults to auto; accepts auto, booleans and their YAML strings; refuses anything else', () => {
    expect(parse(undefined)).toBe('auto');
    expect(parse('auto')).toBe('auto');
    expect(parse(true)).toBe(true);
    expect(parse('true')).toBe(true);
    expect(parse(false)).toBe(false);
    expect(parse('false')).toBe(false);
    expect(() => parse('fused')).toThrow();
    expect(() => parse('yes')).toThrow();
  });
});

describe('mediationLayout', () => {
  it('auto: fused with mediate and rate in the process, the direct store and raw topics partitioned like udr', async () => {
    expect(await layout('auto', ALL, 'direct')).toEqual({ fused: true, why: expect.stringMatching(/^rate.with-mediation auto: fused/) });
    // mediate + rate with a ClickHouse server (direct without the sink here)
    expect((await layout('auto', ['mediate', 'rate'], 'direct')).fused).toBe(true);
  });

  it('auto: the roles apart without both roles in the process, saying why (partition counts not even asked)', async () => {
    const asked: string[] = [];
    for (const roles of [['mediate', 'sink'], ['rate', 'sink'], ['mediate'], ['rate'], ['sink'], []] as Role[][]) {
      const l = await mediationLayout({ setting: 'auto', roles, rateStore: 'direct', partitions: async () => { asked.push(roles.join()); return counts([6])(); } });
      expect(l.fused).toBe(false);
      expect(l.why).toMatch(/^rate.with-mediation auto: roles apart because this process does not run both the mediate and the rate role \(roles: /);
    }
    expect(asked).toEqual([]);
  });

  it('auto: the roles apart when rate.store resolves to topics', async () => {
    const l = await layout('auto', ALL, 'topics');
    expect(l).toEqual({ fused: false, why: expect.stringMatching(/^rate.with-mediation auto: roles apart because rate.store resolves to topics/) });
  });

  it('auto: the roles apart when a raw topic has another partition count than udr', async () => {
    const l = await layout('auto', ALL, 'direct', [6, 4]);
    expect(l).toEqual({ fused: false, why: 'rate.with-mediation auto: roles apart because raw.feed1 has 4 partitions and udr 6 (the fused stage rates raw partition k in slot k)' });
    expect((await layout('auto', ALL, 'direct', [12])).fused).toBe(false);
  });

  it('auto: the roles apart when the rate role\'s group has live members (a deployment running apart), asked last; true does not ask', async () => {
    const asked: string[] = [];
    const rateGroup = (members: number) => async () => { asked.push(`rate group ${members}`); return { group: 'd.rate', members }; };
    const apart = await mediationLayout({ setting: 'auto', roles: ALL, rateStore: 'direct', partitions: counts([6]), rateGroup: rateGroup(2) });
    expect(apart).toEqual({ fused: false, why: expect.stringMatching(/^rate.with-mediation auto: roles apart because group d.rate has 2 live member\(s\)/) });
    expect((await mediationLayout({ setting: 'auto', roles: ALL, rateStore: 'direct', partitions: counts([6]), rateGroup: rateGroup(0) })).fused).toBe(true);
    // not asked when an earlier condition already decides, nor under true (the layout guard refuses there)
    expect((await mediationLayout({ setting: 'auto', roles: ALL, rateStore: 'topics', partitions: counts([6]), rateGroup: rateGroup(1) })).fused).toBe(false);
    expect((await mediationLayout({ setting: true, roles: ALL, rateStore: 'direct', partitions: counts([6]), rateGroup: rateGroup(1) })).fused).toBe(true);
    expect(asked).toEqual(['rate group 2', 'rate group 0']);
  });

  it('true: fused when every condition holds, else today\'s errors that say what to change', async () => {
    expect(await layout(true, ALL, 'direct')).toEqual({ fused: true, why: 'rate.with-mediation: true' });
    await expect(layout(true, ['mediate', 'sink'], 'direct')).rejects.toThrow(/needs both the mediate and the rate role in this process \(roles: mediate, sink\); set rate.with-mediation: false/);
    await expect(layout(true, ['mediate', 'rate'], 'topics')).rejects.toThrow(/needs rate.store: direct .*with rate.store: topics set rate.with-mediation: false/);
    await expect(layout(true, ALL, 'direct', [5])).rejects.toThrow(/needs raw\.feed0 and udr to have the same number of partitions \(5 and 6\).*set rate.with-mediation: false/);
  });

  it('false: the roles apart, whatever the process', async () => {
    expect(await layout(false, ALL, 'direct')).toEqual({ fused: false, why: 'rate.with-mediation: false' });
    expect((await layout(false, ['mediate', 'rate'], 'topics')).fused).toBe(false);
  });
});
