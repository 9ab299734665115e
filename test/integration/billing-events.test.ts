/**
 * Billing events from the store to real sinks: a local HTTP server on 127.0.0.1 (HMAC signatures checked, failures
 * retried, permanent errors not retried, delivered events never re-sent) and a real Kafka topic.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBillingConfig } from '../../engine/billing/config.ts';
import { collectEvents } from '../../engine/billing/events/collect.ts';
import { KafkaEventSink } from '../../engine/billing/events/kafka.ts';
import { dispatchEvents } from '../../engine/billing/events/sink.ts';
import { verifySignature, WebhookSink } from '../../engine/billing/events/webhook.ts';
import { runInvoices } from '../../engine/billing/invoice.ts';
import { parsePeriod } from '../../engine/billing/period.ts';
import { createKafkajsPort } from '../../engine/runtime/kafka/kafkajs-adapter.ts';
import { queryRows } from '../../engine/store/client.ts';
import { writePoolBalances, writeServiceTerms, writeStateChanges } from '../../engine/store/finance.ts';
import { kafkaBrokers, uniqueName } from '../setup/env.ts';
import { type DemoStore, demoStore } from './billing-fixture.ts';

const config = loadBillingConfig();
const period = parsePeriod('2026-10', config.timezone);
const SECRET = 'test-secret-not-for-production';
const t = (iso: string) => Date.parse(iso);

interface Received { headers: IncomingMessage['headers']; body: string }

function server(respond: (n: number) => number): Promise<{ srv: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  let n = 0;
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = respond(++n);
      res.end();
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hooks/billing`, got })));
}

describe('billing events', () => {
  let d: DemoStore;
  const servers: Server[] = [];
  beforeAll(async () => {
    d = await demoStore('rs-billing-events-');
    await runInvoices(d.store, { period: '2026-10', config });
    await writeStateChanges(d.store, [
      { account: 'ACME', service: 'ACME-M1', serviceType: 'mobile', plan: 'mobile-business', eventId: 'ev-1', fromState: 'active', toState: 'suspended', coreState: 'suspended', transition: 'active → suspended', effectiveTime: t('2026-10-10T08:00:00Z'), reason: 'non-payment', source: 'crm', catalogVersion: '' },
      { account: 'ACME', service: 'ACME-M1', serviceType: 'mobile', plan: 'mobile-business', eventId: 'ev-2', fromState: 'suspended', toState: 'active', coreState: 'active', transition: 'suspended → active', effectiveTime: t('2026-10-12T08:00:00Z'), reason: 'paid', source: 'crm', catalogVersion: '' },
      { account: 'ACME', service: 'ACME-M1', serviceType: 'mobile', plan: 'mobile-business', eventId: 'ev-0', fromState: '[New]', toState: 'active', coreState: 'active', transition: '[New] → active', effectiveTime: t('2026-09-01T00:00:00Z'), reason: 'order', source: 'crm', catalogVersion: '' },
    ]);
    const pool = { period: '2026-10', periodStart: period.start, periodEnd: period.end, sharePlan: 'sms-share', bucketClass: 'sms', unit: 'event', participants: 3, asOf: t('2026-10-31T12:00:00Z'), overage: 0n, version: 1n };
    await writePoolBalances(d.store, [
      { ...pool, owner: 'ACME', poolId: 'acme-sms', size: 1000n, used: 850n },
      { ...pool, owner: 'HOOLI', poolId: 'hooli-sms', size: 500n, used: 600n, overage: 100n },
      { ...pool, owner: 'GLOBEX', poolId: 'globex-sms', size: 500n, used: 100n },
    ]);
    await writeServiceTerms(d.store, [
      { account: 'INITECH', service: 'INITECH-M1', contract: 'c-1', termStart: t('2025-11-15T00:00:00Z'), termEnd: t('2026-11-15T00:00:00Z'), autoRenew: false, version: 1n },
      { account: 'HOOLI', service: 'HOOLI-M1', contract: 'c-2', termStart: t('2025-11-15T00:00:00Z'), termEnd: t('2026-11-15T00:00:00Z'), autoRenew: true, version: 1n },
      { account: 'GLOBEX', service: 'GLOBEX-M1', contract: 'c-3', termStart: t('2026-01-01T00:00:00Z'), termEnd: t('2027-06-01T00:00:00Z'), autoRenew: false, version: 1n },
    ]);
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    await d?.store.close();
  });

  it('collects state changes, thresholds (80 %, 100 %) and expiring terms, idempotently', async () => {
    const events = await collectEvents(d.store, { period, thresholds: config.thresholds, expiringWithinDays: 30 });
    const summary = events.map((e) => `${e.type} ${e.subject.replace(/\/[0-9a-f]{24}$|\/ev-\d$/, '')}`);
    expect(summary).toEqual([
      'service.state_changed ACME-M1',
      'service.state_changed ACME-M1',
      'service.expiring INITECH/INITECH-M1/c-1/1794700800000',
      'bucket.threshold_reached ACME/acme-sms/2026-10/80',
      'bucket.threshold_reached HOOLI/hooli-sms/2026-10/80',
      'bucket.threshold_reached HOOLI/hooli-sms/2026-10/100',
    ]);
    expect(events.find((e) => e.type === 'bucket.threshold_reached' && e.data.threshold === 100)!.data).toMatchObject({ used: '600', size: '500', utilisationPct: '120.00' });
    expect(events.find((e) => e.type === 'service.expiring')!.data).toMatchObject({ daysLeft: 30, termEnd: '2026-11-15T00:00:00.000Z' });
    const again = await collectEvents(d.store, { period, thresholds: config.thresholds, expiringWithinDays: 30 });
    expect(again.map((e) => e.id)).toEqual(events.map((e) => e.id));
    const [n] = await queryRows<{ n: string }>(d.store, `SELECT count() AS n FROM billing_events FINAL`);
    expect(Number(n!.n)).toBe(events.length + 6); // + invoice.issued for the 6 demo accounts
  });

  it('delivers every event to a webhook, HMAC-signed, retrying 503s, and never twice', async () => {
    const { srv, url, got } = await server((n) => (n <= 2 ? 503 : 200));
    servers.push(srv);
    const sink = new WebhookSink({ url, secret: SECRET, backoffMs: 10, maxAttempts: 5 });
    const [res] = await dispatchEvents(d.store, [sink], { from: period.start, to: period.end + 1 });
    expect(res).toMatchObject({ pending: 12, delivered: 12, failed: [] });
    expect(got).toHaveLength(14); // the first event was tried 3 times
    const ids = new Set<string>();
    for (const r of got) {
      expect(verifySignature(SECRET, String(r.headers['ratestream-signature']), r.body)).toBe(true);
      expect(verifySignature('wrong-secret', String(r.headers['ratestream-signature']), r.body)).toBe(false);
      expect(verifySignature(SECRET, String(r.headers['ratestream-signature']), `${r.body} `)).toBe(false);
      const body = JSON.parse(r.body) as { id: string; type: string };
      expect(r.headers['ratestream-event-id']).toBe(body.id);
      expect(r.headers['ratestream-event-type']).toBe(body.type);
      ids.add(body.id);
    }
    expect(ids.size).toBe(12);
    expect([...new Set(got.map((r) => JSON.parse(r.body).type))].sort()).toEqual(['bucket.threshold_reached', 'invoice.issued', 'service.expiring', 'service.state_changed']);
    const issued = got.map((r) => JSON.parse(r.body)).find((b) => b.type === 'invoice.issued' && b.account === 'ACME');
    expect(issued).toMatchObject({ subject: 'NW-202610-ACME', occurredAt: '2026-10-31T23:00:00.000Z', data: { invoiceNo: 'NW-202610-ACME', issueDate: '2026-11-01' } });

    const [again] = await dispatchEvents(d.store, [sink], { from: period.start, to: period.end + 1 });
    expect(again).toMatchObject({ pending: 0, delivered: 0 });
    expect(got).toHaveLength(14);
  });

  it('does not retry a 400 and keeps the event pending for the next run', async () => {
    const { srv, url, got } = await server(() => 400);
    servers.push(srv);
    const sink = new WebhookSink({ url, secret: SECRET, backoffMs: 10, maxAttempts: 5 });
    const [res] = await dispatchEvents(d.store, [sink]);
    expect(res!.failed).toHaveLength(12);
    expect(res!.failed[0]!.error).toBe('HTTP 400 (not retried)');
    expect(got).toHaveLength(12);
    const [next] = await dispatchEvents(d.store, [sink]);
    expect(next!.pending).toBe(12);
  });

  it('produces every event to a Kafka topic, keyed by account, with id and type headers', async () => {
    const port = createKafkajsPort({ brokers: kafkaBrokers(), clientId: 'billing-events-test' }, { logger: pino({ level: 'error' }) });
    const topic = uniqueName('billing-events');
    const admin = port.admin();
    await admin.connect();
    await admin.ensureTopics([{ topic, partitions: 2 }]);
    const sink = new KafkaEventSink(port, topic);
    try {
      const [res] = await dispatchEvents(d.store, [sink], { from: period.start, to: period.end + 1 });
      expect(res).toMatchObject({ pending: 12, delivered: 12, failed: [] });
      const [again] = await dispatchEvents(d.store, [sink], { from: period.start, to: period.end + 1 });
      expect(again!.pending).toBe(0);
    } finally {
      await sink.close();
    }
    const ends = await admin.endOffsets(topic);
    expect(ends.reduce((a, p) => a + Number(p.offset), 0)).toBe(12);
    const consumer = port.consumer({ groupId: uniqueName('billing-events-reader'), maxWaitTimeMs: 200 });
    const got: { key: string; type: string; id: string; body: { id: string; account: string; type: string } }[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.connect();
    await consumer.subscribe([topic]);
    await consumer.run(async (batch) => {
      for (const m of batch.messages) {
        got.push({ key: m.key!.toString(), type: m.headers['event-type']!.toString(), id: m.headers['event-id']!.toString(), body: JSON.parse(m.value!.toString()) });
      }
      if (got.length >= 12) done();
    });
    const timer = setTimeout(done, 30_000);
    await finished;
    clearTimeout(timer);
    await consumer.disconnect();
    await admin.disconnect();
    expect(got).toHaveLength(12);
    for (const g of got) {
      expect(g.body.id).toBe(g.id);
      expect(g.body.type).toBe(g.type);
      expect(g.key).toBe(g.body.account);
    }
  });
});
