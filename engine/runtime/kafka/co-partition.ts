/**
 * Co-partitioning consumer-group assignment (protocol name `rs-copartition`), the pure part both Kafka adapters use
 * when a consumer is created with `coPartitioned: true` (see ConsumerOptions.coPartitioned in port.ts).
 *
 * A stage that reads several topics with the same partition count and keeps one piece of state per partition index
 * ("slot" k, shared by partition k of every input) needs partition k of every subscribed topic on the same member.
 * The rule: members sorted by member id (UTF-16 code-unit order, as Java's String.compareTo); for each partition index
 * k = 0 … (largest partition count − 1) the owner of slot k is sorted[k % n], and it gets partition k of every topic
 * it subscribed that has a partition k. Every member computes the same plan from the same subscriptions and metadata,
 * so the group leader (whichever member that is, on either client) hands out the same assignment.
 *
 * Uneven partition counts: the higher partitions of a larger topic are slots of their own (owned by sorted[k % n]).
 * Mixed subscriptions (a member not subscribed to a topic that others read, e.g. during a rolling change of the
 * topic list): partition k of such a topic is left unassigned when slot k's owner did not subscribe it — giving it
 * to another member would split slot k between two members. The plan lists those partitions (`unassigned`) so the
 * adapter can warn; they are consumed once the members' subscriptions agree again.
 */
import type { TopicPartition } from './port.ts';

/** The group protocol (assignor) name sent in JoinGroup; distinct from every standard assignor's. */
export const CO_PARTITION_PROTOCOL = 'rs-copartition';
/**
 * Version of the subscription/assignment layout written (v0 of Kafka's ConsumerProtocolSubscription/Assignment: topics
 * and user data, no owned partitions), the same layout both clients encode and decode.
 */
export const CO_PARTITION_VERSION = 0;

export interface CoPartitionMember {
  memberId: string;
  /** the topics this member subscribed (repeats are ignored) */
  topics: readonly string[];
}

export interface CoPartitionPlan {
  /**
   * Every member, sorted by member id, with its partitions per topic (topics by name, partitions ascending; a member
   * that owns no slot, or only slots of topics it did not subscribe, has an empty map).
   */
  members: Array<{ memberId: string; assignment: Map<string, number[]> }>;
  /** Partitions nobody received: their slot's owner did not subscribe the topic (mixed subscriptions). */
  unassigned: TopicPartition[];
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The co-partitioning plan for a group. `partitionCount(topic)` gives a subscribed topic's partition count (0 or
 * undefined when the topic is unknown: it then has no partitions to assign).
 */
export function coPartitionAssign(members: readonly CoPartitionMember[], partitionCount: (topic: string) => number | undefined): CoPartitionPlan {
  const sorted = [...members].sort((a, b) => byCodeUnits(a.memberId, b.memberId));
  const subscribed = sorted.map((m) => new Set(m.topics));
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort(byCodeUnits);
  const counts = new Map(topics.map((t) => [t, Math.max(0, partitionCount(t) ?? 0)]));
  const plan: CoPartitionPlan = { members: sorted.map((m) => ({ memberId: m.memberId, assignment: new Map() })), unassigned: [] };
  if (sorted.length === 0) return plan;
  const slots = Math.max(0, ...counts.values());
  for (let k = 0; k < slots; k++) {
    const owner = k % sorted.length;
    const { assignment } = plan.members[owner]!;
    for (const topic of topics) {
      if (k >= counts.get(topic)!) continue;
      if (!subscribed[owner]!.has(topic)) {
        plan.unassigned.push({ topic, partition: k });
        continue;
      }
      let partitions = assignment.get(topic);
      if (!partitions) assignment.set(topic, (partitions = []));
      partitions.push(k);
    }
  }
  return plan;
}
