/** What every streaming role gets from `serve`. */
import type { Logger } from 'pino';
import type { StreamMetrics } from '../../telemetry/metrics.ts';
import type { KafkaAdmin, KafkaPort } from '../kafka/port.ts';
import type { StreamCodecs } from './codecs.ts';
import type { ServeConfig } from './config.ts';
import type { StreamPipelines } from './pipelines.ts';
import type { StreamTopics } from './topics.ts';

export interface RoleContext {
  port: KafkaPort;
  admin: KafkaAdmin;
  topics: StreamTopics;
  pipelines: StreamPipelines;
  codecs: StreamCodecs;
  metrics: StreamMetrics;
  log: Logger;
  /** group / transactional-id prefix (config `name`) */
  name: string;
  config: ServeConfig;
}

export interface StreamRole {
  readonly role: string;
  start(): Promise<void>;
  /** partitions assigned and their state restored (false while joining or restoring) */
  ready(): boolean;
  /** finish the batch in hand, commit, leave the group */
  stop(): Promise<void>;
}
