/**
 * One `rate.store` per deployment, as far as the rated topic is concerned: a rate role in `topics` mode produces its
 * charges (and UDRs, billing state) to the topics for a sink to store, while a sink whose process rates with
 * `rate.store: direct` reads none of them — its own rate role stores its rows itself. A topics-mode rate role beside
 * such a sink rates charges that no sink ever stores (with the in-process engine, `auto` makes exactly that when a
 * `--roles mediate,rate` process joins a process with all roles). This guard, run by serve before its roles start,
 * refuses it: a process whose rate role resolved to `topics` refuses while `<name>.sink` has live members that do not
 * read the rated topic (their subscriptions, from the group's join metadata). Like the layout guard it waits out
 * lingering killed members first (session timeout + 3 s), and it checks at start only: a direct-storing process that
 * starts after the topics-mode ones is not caught here (its rate role logs an error when it takes over a partition a
 * direct owner left mid-batch).
 */
import type { GroupDescription } from '../kafka/port.ts';
import type { Role } from './config.ts';
import { type GroupVerdict, type GroupWaitOptions, waitForGroup } from './group-wait.ts';

/** sink members that do not read the rated topic (a member with no decodable subscription says nothing either way) */
function directSinks(rated: string, sink: GroupDescription): number {
  return (sink.memberTopics ?? []).filter((topics) => topics.length > 0 && !topics.includes(rated)).length;
}

/** The pure decision: `sink` is the description of `<name>.sink`, `rated` the rated topic's name. */
export function storeVerdict(rated: string, sink: GroupDescription): GroupVerdict {
  if (sink.members === 0) return 'clear';
  if (!sink.memberTopics) return 'unsure';
  return directSinks(rated, sink) > 0 ? 'conflict' : 'clear';
}

export interface StoreGuardOptions extends GroupWaitOptions {
  /** serve's `name` (the groups' prefix) */
  name: string;
  /** the rated topic */
  rated: string;
  /** this process's roles */
  roles: readonly Role[];
  /** rate.store as resolved for this process */
  rateStore: 'direct' | 'topics';
}

/** Resolves when this process may start its roles; throws (saying what to change) when its charges would reach no sink. */
export async function guardRateStore(o: StoreGuardOptions): Promise<void> {
  if (!o.roles.includes('rate') || o.rateStore !== 'topics') return;
  const group = `${o.name}.sink`;
  const { other, verdict, waitMs } = await waitForGroup(o, 'store guard', group, (g) => storeVerdict(o.rated, g));
  if (verdict === 'conflict') {
    const direct = directSinks(o.rated, other);
    throw new Error(`rate.store: this process's rate role resolved to topics (its charges go to ${o.rated} for a sink to store), but group ${group} has `
      + `${direct} live member(s) after ${waitMs} ms that do not read ${o.rated}: a process there rates with rate.store: direct and its sink stores only `
      + 'what its own rate role rated — the charges rated here would reach no store. With the in-process engine run this process with --roles mediate '
      + '(the rate role stays beside the sink), or set rate.store: topics in every process of the deployment, or give every process the ClickHouse '
      + 'server (clickhouse.url / CLICKHOUSE_URL), where each rate role stores directly');
  }
  if (verdict === 'unsure') {
    o.log.warn({ group, state: other.state, members: other.members }, `store guard: group ${group}'s subscriptions are unknown; starting anyway`);
  }
}
