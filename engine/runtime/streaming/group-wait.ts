/**
 * The start-up guards' wait (layout-guard.ts, store-guard.ts): describe another consumer group and judge it; while the
 * verdict is not `clear`, poll it for up to one session timeout + 3 s — a killed process's members linger in a group
 * until their session times out, so a conflict seen at once may be one that already stopped.
 */
import type { GroupDescription, KafkaAdmin } from '../kafka/port.ts';

/** what the other group says: nothing against starting, a conflict, or cannot tell yet (rebalancing) */
export type GroupVerdict = 'clear' | 'conflict' | 'unsure';

export interface GroupWaitOptions {
  admin: Pick<KafkaAdmin, 'describeGroup'>;
  /** kafka.session-timeout-ms: how long a killed member lingers */
  sessionTimeoutMs: number;
  log: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void };
  /** default 1000 */
  pollMs?: number;
  /** tests: a fake clock */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Resolves with the group's last description and verdict: `clear` as soon as it is, else the verdict after the wait.
 * `label` names the guard in its log lines.
 */
export async function waitForGroup(o: GroupWaitOptions, label: string, group: string, judge: (g: GroupDescription) => GroupVerdict): Promise<{ other: GroupDescription; verdict: GroupVerdict; waitMs: number }> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = o.pollMs ?? 1000;
  const waitMs = o.sessionTimeoutMs + 3000;
  const deadline = now() + waitMs;
  let other = await o.admin.describeGroup(group);
  let verdict = judge(other);
  if (verdict === 'clear') return { other, verdict, waitMs };
  o.log.info({ group, state: other.state, members: other.members, waitMs },
    `${label}: group ${group} has ${other.members} member(s); waiting up to ${waitMs} ms for them to leave (a killed process's members linger until their session times out)`);
  while (now() < deadline) {
    await sleep(Math.min(pollMs, Math.max(0, deadline - now())));
    other = await o.admin.describeGroup(group);
    verdict = judge(other);
    if (verdict === 'clear') {
      o.log.info({ group, state: other.state, members: other.members }, `${label}: group ${group} is clear`);
      break;
    }
  }
  return { other, verdict, waitMs };
}
