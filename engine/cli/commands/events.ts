/**
 * `ratestream events --period YYYY-MM [--webhook URL]… [--kafka-topic T]`: collect the period's billing events
 * (service.state_changed, bucket.threshold_reached, service.expiring, balance.exhausted; invoice.issued comes from
 * `invoice`) into the outbox and deliver the undelivered ones: webhooks signed with HMAC-SHA256 (secret in RATESTREAM_WEBHOOK_SECRET) and
 * retried, and/or a Kafka topic (brokers: --kafka-brokers or KAFKA_BROKERS).
 */
import type { Command } from 'commander';
import { loadBillingConfig } from '../../billing/config.ts';
import { collectEvents } from '../../billing/events/collect.ts';
import { KafkaEventSink } from '../../billing/events/kafka.ts';
import { dispatchEvents, type EventSink } from '../../billing/events/sink.ts';
import { WebhookSink } from '../../billing/events/webhook.ts';
import { parsePeriod } from '../../billing/period.ts';
import { createKafkajsPort } from '../../runtime/kafka/kafkajs-adapter.ts';
import { table } from '../format.ts';
import { billingFile, resolveProject } from '../project-root.ts';
import { addStoreOptions, openExistingStore, type StoreFlags } from '../store-options.ts';

interface EventFlags extends StoreFlags {
  period: string;
  webhook: string[];
  kafkaTopic?: string;
  kafkaBrokers?: string;
  billing?: string;
  thresholds?: string;
  expiringDays?: string;
  attempts: string;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('events')
      .description('collect billing events of a period into the outbox and deliver them to webhooks (HMAC-signed, retried) and/or a Kafka topic')
      .requiredOption('--period <YYYY-MM>', 'billing period')
      .option('--webhook <url>', 'POST events here (repeatable); secret from RATESTREAM_WEBHOOK_SECRET', (v: string, a: string[]) => [...a, v], [])
      .option('--kafka-topic <topic>', 'produce events to this topic')
      .option('--kafka-brokers <list>', 'host:port,… (default: KAFKA_BROKERS)')
      .option('--thresholds <list>', 'bucket thresholds in % (default: from the billing settings, e.g. 80,100)')
      .option('--expiring-days <n>', 'service.expiring this many days before the term ends (default: billing settings)')
      .option('--attempts <n>', 'webhook attempts per event', '5')
      .option('--billing <file>', 'billing settings (default: <project>/rules/billing/billing.yaml)'),
  ).action(async (flags: EventFlags) => {
    const anchors = [flags.billing, flags.db];
    const cfg = loadBillingConfig(billingFile(flags, resolveProject(flags, anchors)));
    const period = parsePeriod(flags.period, cfg.timezone);
    const sinks: EventSink[] = [];
    for (const url of flags.webhook) sinks.push(new WebhookSink({ url, secret: process.env.RATESTREAM_WEBHOOK_SECRET ?? '', maxAttempts: Number(flags.attempts) }));
    if (flags.kafkaTopic) {
      const brokers = (flags.kafkaBrokers ?? process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (!brokers.length) throw new Error('--kafka-topic needs --kafka-brokers or KAFKA_BROKERS');
      sinks.push(new KafkaEventSink(createKafkajsPort({ brokers, clientId: 'ratestream-events' }), flags.kafkaTopic));
    }
    const store = await openExistingStore(flags, anchors);
    try {
      const collected = await collectEvents(store, {
        period,
        thresholds: flags.thresholds ? flags.thresholds.split(',').map(Number) : cfg.thresholds,
        expiringWithinDays: flags.expiringDays ? Number(flags.expiringDays) : cfg.expiringWithinDays,
      });
      const byType = new Map<string, number>();
      for (const e of collected) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
      process.stdout.write(`events ${period.id}: collected ${collected.length}${byType.size ? ` (${[...byType].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}\n`);
      if (!sinks.length) {
        process.stdout.write('no sink given (--webhook, --kafka-topic): events stay in the outbox (table billing_events)\n');
        return;
      }
      const res = await dispatchEvents(store, sinks, { from: period.start, to: period.end + 1 });
      process.stdout.write(`${table(res.map((r) => ({ sink: r.sink, pending: r.pending, delivered: r.delivered, failed: r.failed.length })))}\n`);
      for (const r of res) for (const f of r.failed) process.stderr.write(`${r.sink}: event ${f.eventId} failed: ${f.error}\n`);
      if (res.some((r) => r.failed.length)) process.exitCode = 2;
    } finally {
      for (const s of sinks) await s.close?.();
      await store.close();
    }
  });
}
