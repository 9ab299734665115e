/** The sink registry: one line per sink component (`ratestream list sinks`). */
import { spec as clickhouse } from './clickhouse.ts';
import { spec as dlqFile } from './dlq-file.ts';
import { spec as dlqTopic } from './dlq-topic.ts';
import { spec as kafkaTopic } from './kafka-topic.ts';
import type { SinkSpec } from './sink.ts';
import { spec as stdout } from './stdout.ts';

export const SINKS: readonly SinkSpec[] = [clickhouse, kafkaTopic, dlqFile, dlqTopic, stdout];
