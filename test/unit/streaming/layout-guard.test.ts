/**
 * The layout guard (layout-guard.ts) with a fake admin and clock: a fused process refuses while `<name>.rate` has
 * members, a process running mediate or rate apart refuses while `<name>.mediate` is a Stable rs-copartition group;
 * members that leave within one session timeout + 3 s (a killed process's) let it start; a group that keeps
 * rebalancing (protocol unknown) lets a process apart start with a warning.
 */
import { describe, expect, it } from 'vitest';
import type { GroupDescription } from '../../../engine/runtime/kafka/port.ts';
import { guardLayout, layoutVerdict, otherLayoutGroup } from '../../../engine/runtime/streaming/layout-guard.ts';
import type { Role } from '../../../engine/runtime/streaming/config.ts';

const g = (state: GroupDescription['state'], members: number, protocol?: string): GroupDescription => ({ groupId: 'x', state, members, ...(protocol && { protocol }) });

describe('layoutVerdict', () => {
  it('the groups to look at: the rate group for a fused process, the mediate group for one apart', () => {
    expect(otherLayoutGroup('rs', true)).toBe('rs.rate');
    expect(otherLayoutGroup('rs', false)).toBe('rs.mediate');
  });

  it('fused: any member of the rate group is a conflict', () => {
    expect(layoutVerdict(true, g('Dead', 0))).toBe('clear');
    expect(layoutVerdict(true, g('Empty', 0))).toBe('clear');
    expect(layoutVerdict(true, g('Stable', 1, 'RoundRobinAssigner'))).toBe('conflict');
    expect(layoutVerdict(true, g('PreparingRebalance', 2))).toBe('conflict');
  });

  it('apart: a Stable rs-copartition mediate group is a conflict, another assignor is not, a rebalancing one is unsure', () => {
    expect(layoutVerdict(false, g('Dead', 0))).toBe('clear');
    expect(layoutVerdict(false, g('Empty', 0))).toBe('clear');
    expect(layoutVerdict(false, g('Stable', 2, 'rs-copartition'))).toBe('conflict');
    expect(layoutVerdict(false, g('Stable', 2, 'RoundRobinAssigner'))).toBe('clear');
    expect(layoutVerdict(false, g('Stable', 2, 'roundrobin'))).toBe('clear');
    expect(layoutVerdict(false, g('PreparingRebalance', 2))).toBe('unsure');
    expect(layoutVerdict(false, g('CompletingRebalance', 1))).toBe('unsure');
  });
});

describe('guardLayout', () => {
  /** a fake admin answering `answers` in turn (the last one repeated), on a fake clock that sleep advances */
  const run = async (fused: boolean, roles: Role[], answers: GroupDescription[], sessionTimeoutMs = 10_000) => {
    let t = 0;
    const asked: string[] = [];
    const logs: string[] = [];
    let i = 0;
    const result = await guardLayout({
      admin: { describeGroup: async (id) => { asked.push(id); return answers[Math.min(i++, answers.length - 1)]!; } },
      name: 'rs', fused, roles, sessionTimeoutMs,
      log: { info: (_o, m) => logs.push(`info ${m}`), warn: (_o, m) => logs.push(`warn ${m}`) },
      pollMs: 1000, now: () => t, sleep: async (ms) => { t += ms; },
    }).then(() => 'started', (e: Error) => e.message);
    return { result, asked, logs, elapsed: t };
  };

  it('a fused process starts at once when the rate group is empty or unknown', async () => {
    const r = await run(true, ['mediate', 'rate', 'sink'], [g('Dead', 0)]);
    expect(r).toMatchObject({ result: 'started', asked: ['rs.rate'], logs: [], elapsed: 0 });
    expect((await run(true, ['mediate', 'rate', 'sink'], [g('Empty', 0)])).result).toBe('started');
  });

  it('a fused process refuses while the rate group keeps live members for a session timeout + 3 s, naming the group and the fix', async () => {
    const r = await run(true, ['mediate', 'rate', 'sink'], [g('Stable', 2, 'RoundRobinAssigner')]);
    expect(r.result).toMatch(/this process runs the fused stage .* group rs\.rate still has 2 live member\(s\) after 13000 ms: another process runs the rate role apart/);
    expect(r.result).toMatch(/Set rate.with-mediation alike in every process/);
    expect(r.elapsed).toBe(13_000);
    expect(r.asked.length).toBe(14); // once, then every second
    expect(r.logs[0]).toMatch(/^info layout guard: group rs\.rate has 2 member\(s\); waiting up to 13000 ms/);
  });

  it('a fused process starts once lingering rate members (a killed process\'s) are gone', async () => {
    const r = await run(true, ['mediate', 'rate', 'sink'], [g('Stable', 1, 'RoundRobinAssigner'), g('PreparingRebalance', 1), g('Empty', 0)]);
    expect(r.result).toBe('started');
    expect(r.elapsed).toBe(2000);
    expect(r.logs.at(-1)).toMatch(/group rs\.rate is clear/);
  });

  it('a process apart refuses while the mediate group is a Stable rs-copartition group', async () => {
    for (const roles of [['rate'], ['mediate', 'rate'], ['rate', 'sink'], ['mediate']] as Role[][]) {
      const r = await run(false, roles, [g('Stable', 3, 'rs-copartition')], 6000);
      expect(r.asked[0]).toBe('rs.mediate');
      expect(r.result).toMatch(new RegExp(`runs the ${roles.filter((x) => x !== 'sink').join(' and ')} role apart, but group rs\\.mediate runs the fused stage \\(protocol rs-copartition, 3 live member\\(s\\) after 9000 ms\\)`));
      expect(r.result).toMatch(/Set rate.with-mediation alike in every process/);
    }
  });

  it('a process apart starts beside mediate members apart (another assignor) at once', async () => {
    const r = await run(false, ['mediate', 'rate'], [g('Stable', 2, 'RoundRobinAssigner')]);
    expect(r).toMatchObject({ result: 'started', elapsed: 0, logs: [] });
  });

  it('a process apart waits through a rebalance to learn the protocol', async () => {
    const clear = await run(false, ['rate'], [g('PreparingRebalance', 2), g('CompletingRebalance', 2), g('Stable', 2, 'roundrobin')]);
    expect(clear).toMatchObject({ result: 'started', elapsed: 2000 });
    const fused = await run(false, ['rate'], [g('PreparingRebalance', 2), g('Stable', 2, 'rs-copartition')]);
    expect(fused.result).toMatch(/group rs\.mediate runs the fused stage/);
    // a fused group whose (killed) members time out: clear
    expect((await run(false, ['rate'], [g('Stable', 1, 'rs-copartition'), g('Stable', 1, 'rs-copartition'), g('Empty', 0)])).result).toBe('started');
  });

  it('a group that never settles: a process apart starts with a warning', async () => {
    const r = await run(false, ['mediate', 'rate'], [g('PreparingRebalance', 2)]);
    expect(r.result).toBe('started');
    expect(r.elapsed).toBe(13_000);
    expect(r.logs.at(-1)).toMatch(/^warn layout guard: group rs\.mediate kept rebalancing for 13000 ms/);
  });

  it('a sink-only or ingest-only process is not checked', async () => {
    for (const roles of [['sink'], []] as Role[][]) {
      const r = await run(false, roles, [g('Stable', 3, 'rs-copartition')]);
      expect(r).toMatchObject({ result: 'started', asked: [] });
    }
  });
});
