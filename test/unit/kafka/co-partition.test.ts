/** The co-partitioning assignment (`rs-copartition`) both Kafka adapters hand out when `coPartitioned` is set. */
import { describe, expect, it } from 'vitest';
import { CO_PARTITION_PROTOCOL, coPartitionAssign, type CoPartitionPlan } from '../../../engine/runtime/kafka/co-partition.ts';

const counts = (c: Record<string, number>) => (topic: string) => c[topic];
const plain = (plan: CoPartitionPlan) => Object.fromEntries(plan.members.map((m) => [m.memberId, Object.fromEntries(m.assignment)]));

describe('co-partitioning assignment', () => {
  it('has a protocol name of its own (a member with another assignor cannot join the same group)', () => {
    expect(CO_PARTITION_PROTOCOL).toBe('rs-copartition');
    expect(['roundrobin', 'RoundRobinAssigner', 'range', 'cooperative-sticky', 'sticky']).not.toContain(CO_PARTITION_PROTOCOL);
  });

  it('members in any input order: sorted by member id, slot k to sorted[k % n], partition k of every topic to its owner', () => {
    const members = [
      { memberId: 'm-c', topics: ['B', 'A'] },
      { memberId: 'm-a', topics: ['A', 'B'] },
      { memberId: 'm-b', topics: ['A', 'B'] },
    ];
    const plan = coPartitionAssign(members, counts({ A: 4, B: 4 }));
    expect(plain(plan)).toEqual({
      'm-a': { A: [0, 3], B: [0, 3] },
      'm-b': { A: [1], B: [1] },
      'm-c': { A: [2], B: [2] },
    });
    expect(plan.members.map((m) => m.memberId)).toEqual(['m-a', 'm-b', 'm-c']);
    expect(plan.unassigned).toEqual([]);
    // the same plan whatever the order the members are listed in (every leader computes the same)
    expect(plain(coPartitionAssign([...members].reverse(), counts({ A: 4, B: 4 })))).toEqual(plain(plan));
  });

  it('sorts member ids by code units, not locale (as the Java client)', () => {
    const plan = coPartitionAssign([{ memberId: 'b', topics: ['T'] }, { memberId: 'B', topics: ['T'] }, { memberId: 'a', topics: ['T'] }], counts({ T: 3 }));
    expect(plain(plan)).toEqual({ B: { T: [0] }, a: { T: [1] }, b: { T: [2] } });
  });

  it('uneven partition counts: the larger topic\'s higher partitions are slots of their own; topics listed by name', () => {
    const plan = coPartitionAssign(
      [
        { memberId: 'y', topics: ['udr', 'raw'] },
        { memberId: 'x', topics: ['raw', 'udr'] },
      ],
      counts({ raw: 2, udr: 5 }),
    );
    expect(plain(plan)).toEqual({ x: { raw: [0], udr: [0, 2, 4] }, y: { raw: [1], udr: [1, 3] } });
    expect([...plan.members[0]!.assignment.keys()]).toEqual(['raw', 'udr']);
    expect(plan.unassigned).toEqual([]);
  });

  it('a member subscribed to only some topics gets its slots of those; the rest of its slots stay unassigned and are listed', () => {
    const plan = coPartitionAssign(
      [
        { memberId: 'm2', topics: ['A', 'B'] },
        { memberId: 'm1', topics: ['A'] },
      ],
      counts({ A: 4, B: 4 }),
    );
    expect(plain(plan)).toEqual({ m1: { A: [0, 2] }, m2: { A: [1, 3], B: [1, 3] } });
    expect(plan.unassigned).toEqual([
      { topic: 'B', partition: 0 },
      { topic: 'B', partition: 2 },
    ]);
  });

  it('more members than slots: the extra members get nothing; one member gets everything', () => {
    const plan = coPartitionAssign(['d', 'c', 'b', 'a'].map((memberId) => ({ memberId, topics: ['A', 'B'] })), counts({ A: 2, B: 2 }));
    expect(plain(plan)).toEqual({ a: { A: [0], B: [0] }, b: { A: [1], B: [1] }, c: {}, d: {} });
    expect(plain(coPartitionAssign([{ memberId: 'only', topics: ['A', 'B', 'A'] }], counts({ A: 3, B: 3 })))).toEqual({ only: { A: [0, 1, 2], B: [0, 1, 2] } });
  });

  it('covers every partition exactly once, co-partitioned, for random groups with equal subscriptions', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 200; round++) {
      const n = 1 + rnd(6);
      const topics = Array.from({ length: 1 + rnd(4) }, (_, i) => `t${i}`);
      const partitions = 1 + rnd(12);
      const members = Array.from({ length: n }, (_, i) => ({ memberId: `m${rnd(1000)}-${i}`, topics: [...topics].reverse() }));
      const plan = coPartitionAssign(members, () => partitions);
      const seen = new Set<string>();
      for (const m of plan.members) {
        const slots = topics.map((t) => JSON.stringify(m.assignment.get(t) ?? []));
        expect(new Set(slots).size).toBe(1); // the same partitions of every topic
        for (const [t, ps] of m.assignment) for (const p of ps) seen.add(`${t}/${p}`);
      }
      expect(seen.size).toBe(topics.length * partitions);
      expect(plan.unassigned).toEqual([]);
      const sizes = plan.members.map((m) => m.assignment.get('t0')?.length ?? 0);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('an unknown topic (no metadata) and an empty group assign nothing', () => {
    expect(plain(coPartitionAssign([{ memberId: 'a', topics: ['gone', 'A'] }], counts({ A: 1 })))).toEqual({ a: { A: [0] } });
    expect(coPartitionAssign([], counts({ A: 4 }))).toEqual({ members: [], unassigned: [] });
  });
});
