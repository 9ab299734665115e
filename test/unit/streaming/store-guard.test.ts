/**
 * The store guard (store-guard.ts) with a fake admin and clock: a process whose rate role resolved to rate.store topics
 * refuses while `<name>.sink` has live members that do not read the rated topic (a sink beside a direct-storing rate
 * role); sinks that read it (a topics deployment), no sink yet, or members that leave within one session timeout + 3 s
 * let it start; a direct or rate-less process is not checked.
 */
import { describe, expect, it } from 'vitest';
import type { GroupDescription } from '../../../engine/runtime/kafka/port.ts';
import type { Role } from '../../../engine/runtime/streaming/config.ts';
import { guardRateStore, storeVerdict } from '../../../engine/runtime/streaming/store-guard.ts';

const RATED = 'rs.rated';
/** a direct-mode sink reads the DLQs only; a topics-mode sink the rated topic and the rest too */
const DIRECT_SINK = ['rs.dlq.carrier-cdr', 'rs.dlq.mediation'];
const TOPICS_SINK = [...DIRECT_SINK, 'rs.udr', RATED, 'rs.dlq.rating', 'rs.billing-state'];
const g = (state: GroupDescription['state'], memberTopics: string[][]): GroupDescription =>
  ({ groupId: 'rs.sink', state, members: memberTopics.length, ...(memberTopics.length && { memberTopics }) });

describe('storeVerdict', () => {
  it('no sink, or sinks that read the rated topic: clear; a sink that does not: conflict', () => {
    expect(storeVerdict(RATED, g('Dead', []))).toBe('clear');
    expect(storeVerdict(RATED, g('Empty', []))).toBe('clear');
    expect(storeVerdict(RATED, g('Stable', [TOPICS_SINK]))).toBe('clear');
    expect(storeVerdict(RATED, g('Stable', [DIRECT_SINK]))).toBe('conflict');
    expect(storeVerdict(RATED, g('PreparingRebalance', [TOPICS_SINK, DIRECT_SINK]))).toBe('conflict');
  });

  it('a member whose subscription did not decode says nothing; members without any subscriptions known: unsure', () => {
    expect(storeVerdict(RATED, g('Stable', [[], TOPICS_SINK]))).toBe('clear');
    expect(storeVerdict(RATED, { groupId: 'rs.sink', state: 'Stable', members: 1 })).toBe('unsure');
  });
});

describe('guardRateStore', () => {
  const run = async (roles: Role[], rateStore: 'direct' | 'topics', answers: GroupDescription[], sessionTimeoutMs = 6_000) => {
    let t = 0;
    let i = 0;
    const asked: string[] = [];
    const logs: string[] = [];
    const result = await guardRateStore({
      admin: { describeGroup: async (id) => { asked.push(id); return answers[Math.min(i++, answers.length - 1)]!; } },
      name: 'rs', rated: RATED, roles, rateStore, sessionTimeoutMs,
      log: { info: (_o, m) => logs.push(`info ${m}`), warn: (_o, m) => logs.push(`warn ${m}`) },
      pollMs: 1000, now: () => t, sleep: async (ms) => { t += ms; },
    }).then(() => 'started', (e: Error) => e.message);
    return { result, asked, logs, elapsed: t };
  };

  it('a topics-mode rate process refuses beside a direct-mode sink, after waiting a session timeout + 3 s, saying what to change', async () => {
    const r = await run(['mediate', 'rate'], 'topics', [g('Stable', [DIRECT_SINK])]);
    expect(r.asked[0]).toBe('rs.sink');
    expect(r.elapsed).toBe(9_000);
    expect(r.result).toMatch(/rate role resolved to topics .*group rs\.sink has 1 live member\(s\) after 9000 ms that do not read rs\.rated/);
    expect(r.result).toMatch(/run this process with --roles mediate .*set rate\.store: topics in every process/);
  });

  it('it starts when the direct sink leaves within the wait (a killed process), when the sinks read the rated topic, or when there is no sink yet', async () => {
    const left = await run(['rate'], 'topics', [g('Stable', [DIRECT_SINK]), g('PreparingRebalance', [DIRECT_SINK]), g('Empty', [])]);
    expect(left).toMatchObject({ result: 'started', elapsed: 2_000 });
    expect(left.logs.at(-1)).toMatch(/store guard: group rs\.sink is clear/);
    expect((await run(['mediate', 'rate'], 'topics', [g('Stable', [TOPICS_SINK, TOPICS_SINK])])).result).toBe('started');
    expect((await run(['mediate', 'rate', 'sink'], 'topics', [g('Dead', [])]))).toMatchObject({ result: 'started', elapsed: 0 });
  });

  it('direct-mode and rate-less processes are not checked', async () => {
    for (const [roles, store] of [[['mediate', 'rate', 'sink'], 'direct'], [['mediate'], 'topics'], [['sink'], 'topics']] as [Role[], 'direct' | 'topics'][]) {
      expect(await run(roles, store, [g('Stable', [DIRECT_SINK])])).toMatchObject({ result: 'started', asked: [] });
    }
  });
});
