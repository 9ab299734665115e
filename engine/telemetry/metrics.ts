/**
 * Prometheus metrics of the streaming runtime (prom-client), one registry per process. Label sets are bounded:
 * feed, role, topic, partition, reason code, table — never record ids or accounts.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class StreamMetrics {
  readonly registry = new Registry();
  readonly recordsIn: Counter<'role' | 'feed'>;
  readonly recordsOut: Counter<'role' | 'topic'>;
  readonly ignored: Counter<'role' | 'feed' | 'reason'>;
  readonly rejected: Counter<'stage' | 'feed' | 'reason'>;
  readonly batchSeconds: Histogram<'role'>;
  readonly lag: Gauge<'role' | 'topic' | 'partition'>;
  readonly txCommits: Counter<'role'>;
  readonly txAborts: Counter<'role' | 'reason'>;
  readonly chInsertSeconds: Histogram<'table'>;
  readonly chRows: Counter<'table'>;
  readonly chErrors: Counter<'table' | 'kind'>;
  readonly sinkBuffered: Gauge;
  readonly paused: Gauge<'role'>;
  readonly assigned: Gauge<'role'>;
  readonly restoreSeconds: Histogram<'role'>;
  readonly restoredKeys: Counter<'role'>;
  readonly ingestRecords: Counter<'source' | 'feed'>;
  readonly ingestErrors: Counter<'source' | 'status'>;
  readonly ready: Gauge;
  readonly rulesReloads: Counter<'feed' | 'result'>;
  readonly rulesReloadFailing: Gauge<'feed'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = [this.registry];
    const b = 'ratestream_';
    this.recordsIn = new Counter({ name: `${b}records_in_total`, help: 'records consumed, by role and feed', labelNames: ['role', 'feed'], registers: r });
    this.recordsOut = new Counter({ name: `${b}records_out_total`, help: 'records produced or written, by role and topic/table', labelNames: ['role', 'topic'], registers: r });
    this.ignored = new Counter({ name: `${b}records_ignored_total`, help: 'records ignored (filters, duplicates, headers), by feed and reason', labelNames: ['role', 'feed', 'reason'], registers: r });
    this.rejected = new Counter({ name: `${b}records_rejected_total`, help: 'records rejected to a DLQ, by stage, feed and reason code', labelNames: ['stage', 'feed', 'reason'], registers: r });
    this.batchSeconds = new Histogram({ name: `${b}batch_duration_seconds`, help: 'time to process one consumed batch (incl. its transaction or insert)', labelNames: ['role'], registers: r,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    this.lag = new Gauge({ name: `${b}consumer_lag`, help: 'records between the last consumed offset and the log end, per partition', labelNames: ['role', 'topic', 'partition'], registers: r });
    this.txCommits = new Counter({ name: `${b}transactions_committed_total`, help: 'Kafka transactions committed', labelNames: ['role'], registers: r });
    this.txAborts = new Counter({ name: `${b}transaction_aborts_total`, help: 'Kafka transactions aborted or failed', labelNames: ['role', 'reason'], registers: r });
    this.chInsertSeconds = new Histogram({ name: `${b}clickhouse_insert_duration_seconds`, help: 'ClickHouse insert latency (acknowledged inserts)', labelNames: ['table'], registers: r,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    this.chRows = new Counter({ name: `${b}clickhouse_rows_total`, help: 'rows acknowledged by ClickHouse', labelNames: ['table'], registers: r });
    this.chErrors = new Counter({ name: `${b}clickhouse_insert_errors_total`, help: 'failed ClickHouse inserts (retried)', labelNames: ['table', 'kind'], registers: r });
    this.sinkBuffered = new Gauge({ name: `${b}sink_buffered_rows`, help: 'rows held by the sink waiting for ClickHouse', registers: r });
    this.paused = new Gauge({ name: `${b}paused_partitions`, help: 'partitions paused for backpressure', labelNames: ['role'], registers: r });
    this.assigned = new Gauge({ name: `${b}assigned_partitions`, help: 'partitions assigned to this process', labelNames: ['role'], registers: r });
    this.restoreSeconds = new Histogram({ name: `${b}state_restore_duration_seconds`, help: 'time to restore per-partition state on assignment', labelNames: ['role'], registers: r,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
    this.restoredKeys = new Counter({ name: `${b}state_restored_records_total`, help: 'changelog records replayed on restore', labelNames: ['role'], registers: r });
    this.ingestRecords = new Counter({ name: `${b}ingest_records_total`, help: 'records accepted by HTTP / drop-directory ingest', labelNames: ['source', 'feed'], registers: r });
    this.ingestErrors = new Counter({ name: `${b}ingest_errors_total`, help: 'ingest requests refused, by HTTP status', labelNames: ['source', 'status'], registers: r });
    this.ready = new Gauge({ name: `${b}ready`, help: '1 when every role has its partitions assigned and state restored', registers: r });
    this.rulesReloads = new Counter({ name: `${b}rules_reloads_total`, help: 'mediation rule reloads, by feed and result (swapped | failed: the last good rules stay in force)', labelNames: ['feed', 'result'], registers: r });
    this.rulesReloadFailing = new Gauge({ name: `${b}rules_reload_failing`, help: '1 while the newest version of a feed\'s rule files does not compile (the last good rules are in force)', labelNames: ['feed'], registers: r });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: b });
  }
}
