/**
 * One layout per deployment: the fused stage (group `<name>.mediate`, co-partitioned, reads raw.<feed>, udr and
 * service-events-in) and a separate rate role (group `<name>.rate`, reads udr) must never run side by side — both
 * groups would consume the udr topic and its UDRs would be rated twice (two rating states, two charges). `auto` makes
 * the layout depend on each process's roles and store, so a deployment can end up mixed by its configs alone; this
 * guard, run by serve before its roles start, refuses that:
 *  - a fused process refuses while `<name>.rate` has live members (a rate role runs apart somewhere);
 *  - a process running the mediate or rate role apart refuses while `<name>.mediate` is a fused group (Stable with the
 *    co-partitioning protocol `rs-copartition` — the mediate roles apart use their client's default assignor).
 * A killed process's members linger until their session times out, so when the other group has members the guard
 * polls for up to one session timeout + 3 s for them to go before refusing. It checks at start only: processes of two
 * layouts starting at the same moment are not caught (the broker still refuses a mediate member apart in a fused
 * `<name>.mediate` group, INCONSISTENT_GROUP_PROTOCOL, but not a rate role).
 */
import { CO_PARTITION_PROTOCOL } from '../kafka/co-partition.ts';
import type { GroupDescription } from '../kafka/port.ts';
import type { Role } from './config.ts';
import { type GroupVerdict, type GroupWaitOptions, waitForGroup } from './group-wait.ts';

/** what the other layout's group says: nothing there, the other layout runs, or cannot tell yet (rebalancing) */
export type LayoutVerdict = GroupVerdict;

/** The group a process of this layout must find without the other layout's members. */
export function otherLayoutGroup(name: string, fused: boolean): string {
  return fused ? `${name}.rate` : `${name}.mediate`;
}

/** The pure decision: `other` is the description of otherLayoutGroup(name, fused). */
export function layoutVerdict(fused: boolean, other: GroupDescription): LayoutVerdict {
  if (other.members === 0) return 'clear';
  // any member of the rate group reads udr
  if (fused) return 'conflict';
  // the broker names the protocol only while the group is Stable
  if (other.state !== 'Stable') return 'unsure';
  return other.protocol === CO_PARTITION_PROTOCOL ? 'conflict' : 'clear';
}

export interface LayoutGuardOptions extends GroupWaitOptions {
  /** serve's `name` (the groups' prefix) */
  name: string;
  /** this process runs the fused stage */
  fused: boolean;
  /** this process's roles */
  roles: readonly Role[];
}

/** Resolves when this process may start its roles; throws (saying what to change) when the other layout runs. */
export async function guardLayout(o: LayoutGuardOptions): Promise<void> {
  if (!o.fused && !o.roles.includes('mediate') && !o.roles.includes('rate')) return; // a sink or ingest-only process
  const group = otherLayoutGroup(o.name, o.fused);
  const { other, verdict, waitMs } = await waitForGroup(o, 'layout guard', group, (g) => layoutVerdict(o.fused, g));
  if (verdict === 'clear') return;
  const fix = 'Set rate.with-mediation alike in every process of the deployment (false everywhere runs the roles apart; auto or true '
    + 'everywhere runs the fused stage, which needs the mediate, rate and sink roles — or a ClickHouse server — in every process), '
    + 'or stop the other processes first';
  if (verdict === 'conflict' && o.fused) {
    throw new Error(`rate.with-mediation: this process runs the fused stage (group ${o.name}.mediate reads the udr topic), but group ${group} still has `
      + `${other.members} live member(s) after ${waitMs} ms: another process runs the rate role apart and would rate the same UDRs again. ${fix}`);
  }
  if (verdict === 'conflict') {
    throw new Error(`rate.with-mediation: this process runs the ${o.roles.filter((r) => r !== 'sink').join(' and ')} role apart, but group ${group} runs the `
      + `fused stage (protocol ${CO_PARTITION_PROTOCOL}, ${other.members} live member(s) after ${waitMs} ms), which reads the udr topic too: UDRs would be `
      + `rated twice. ${fix}`);
  }
  o.log.warn({ group, state: other.state, members: other.members },
    `layout guard: group ${group} kept rebalancing for ${waitMs} ms, its layout is unknown; starting anyway`);
}
