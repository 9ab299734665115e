/**
 * `rate.with-mediation` resolved for one process: the fused stage (fused-role.ts: mediate and rate in one
 * co-partitioned group, one transaction per input partition) or the mediate and rate roles apart.
 *
 * The fused stage needs (1) both the mediate and the rate role in this process, (2) the rate store resolved to `direct`
 * (UDRs rated in place never reach the udr topic, where a sink in `rate.store: topics` reads them) and (3) every raw
 * topic with the udr topic's partition count (raw partition k is rated in slot k). `auto` (the default) runs it when
 * all three hold and the roles apart otherwise, saying why; `true` refuses to start when one fails (the message says
 * what to change); `false` runs the roles apart.
 *
 * (4) auto also follows a deployment that is running: when the rate role's group (`<name>.rate`) has live members, a
 * rate role runs apart somewhere (or was just killed and lingers), so auto runs the roles apart too instead of a fused
 * stage the layout guard would refuse — a rolling update of a deployment that ran the roles apart keeps running rather
 * than crash-looping. Such a deployment becomes fused once all its processes are stopped and started again.
 */
import type { Role } from './config.ts';

export type MediationSetting = 'auto' | boolean;

export interface MediationLayoutInput {
  setting: MediationSetting;
  /** the roles this process runs */
  roles: readonly Role[];
  /** rateStoreMode(…) of this process */
  rateStore: 'direct' | 'topics';
  /**
   * Partition counts of the raw topics and of the udr topic; asked for only once the first two conditions hold (the
   * topics are read from Kafka then).
   */
  partitions: () => Promise<{ raw: ReadonlyArray<{ topic: string; partitions: number }>; udr: { topic: string; partitions: number } }>;
  /** auto only, asked last: the rate role's group (`<name>.rate`) and its live members now */
  rateGroup?: () => Promise<{ group: string; members: number }>;
}

export interface MediationLayout {
  fused: boolean;
  /** why this layout (for the log) */
  why: string;
}

export async function mediationLayout(i: MediationLayoutInput): Promise<MediationLayout> {
  if (i.setting === false) return { fused: false, why: 'rate.with-mediation: false' };
  const strict = i.setting === true;
  const apart = (because: string, error: string): MediationLayout => {
    if (strict) throw new Error(error);
    return { fused: false, why: `rate.with-mediation auto: roles apart because ${because}` };
  };
  if (!i.roles.includes('mediate') || !i.roles.includes('rate')) {
    return apart(`this process does not run both the mediate and the rate role (roles: ${i.roles.join(', ') || 'none'})`,
      `rate.with-mediation: true needs both the mediate and the rate role in this process (roles: ${i.roles.join(', ')}); set rate.with-mediation: false to run them apart`);
  }
  if (i.rateStore !== 'direct') {
    return apart('rate.store resolves to topics (the fused stage needs direct: a ClickHouse server in clickhouse.url / CLICKHOUSE_URL, or the sink role in this process)',
      // UDRs rated in place never reach the udr topic, which is where a sink reads them in rate.store: topics
      'rate.with-mediation: true needs rate.store: direct (a ClickHouse server in clickhouse.url / CLICKHOUSE_URL, or the sink role in this '
        + 'process); with rate.store: topics set rate.with-mediation: false');
  }
  const { raw, udr } = await i.partitions();
  const odd = raw.find((r) => r.partitions !== udr.partitions);
  if (odd) {
    return apart(`${odd.topic} has ${odd.partitions} partitions and ${udr.topic} ${udr.partitions} (the fused stage rates raw partition k in slot k)`,
      `rate.with-mediation needs ${odd.topic} and ${udr.topic} to have the same number of partitions (${odd.partitions} and ${udr.partitions}): `
        + 'a raw partition is rated in the slot of the same number. Repartition the topics, or set rate.with-mediation: false');
  }
  if (!strict && i.rateGroup) {
    const g = await i.rateGroup();
    if (g.members > 0) {
      return { fused: false, why: `rate.with-mediation auto: roles apart because group ${g.group} has ${g.members} live member(s): the deployment runs the rate role `
        + 'apart (auto joins the running layout; to move it to the fused stage, stop every process and start them again)' };
    }
  }
  return {
    fused: true,
    why: strict ? 'rate.with-mediation: true' : 'rate.with-mediation auto: fused (mediate and rate in this process, rate.store direct, raw and udr topics partitioned alike)',
  };
}
