/**
 * Webhook sink: POST the event envelope as JSON, signed with HMAC-SHA256 over `<timestamp>.<body>`:
 *   ratestream-signature: t=<unix seconds>,v1=<hex digest>
 * plus ratestream-event-id / ratestream-event-type headers (receivers dedup on the id: delivery is at least once).
 * Retries network errors, timeouts, 408, 429 and 5xx with exponential back-off; other 4xx are permanent failures.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type BillingEvent, envelope } from './model.ts';
import type { DeliveryResult, EventSink } from './sink.ts';

export interface WebhookOptions {
  url: string;
  secret: string;
  /** attempts per event (default 5) */
  maxAttempts?: number;
  /** first back-off (default 500 ms), doubled per attempt, capped by maxBackoffMs (default 30 s) */
  backoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  /** for tests: the clock of the signature timestamp */
  now?: () => number;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Receiver side: true when `header` is a valid signature of `body` no older than `toleranceSec`. */
export function verifySignature(secret: string, header: string, body: string, toleranceSec = 300, nowSec = Math.floor(Date.now() / 1000)): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = Buffer.from(sign(secret, t, body).split('v1=')[1]!, 'hex');
  const got = Buffer.from(parts.v1, 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WebhookSink implements EventSink {
  readonly name: string;
  constructor(readonly opts: WebhookOptions) {
    if (!opts.secret) throw new Error('webhook: a signing secret is required (RATESTREAM_WEBHOOK_SECRET)');
    const u = new URL(opts.url);
    this.name = `webhook:${u.origin}${u.pathname}`;
  }

  async deliver(events: readonly BillingEvent[]): Promise<DeliveryResult[]> {
    const out: DeliveryResult[] = [];
    for (const e of events) out.push(await this.deliverOne(e));
    return out;
  }

  private async deliverOne(e: BillingEvent): Promise<DeliveryResult> {
    const o = this.opts;
    const max = o.maxAttempts ?? 5;
    const body = JSON.stringify(envelope(e));
    let lastError = '';
    for (let attempt = 1; attempt <= max; attempt++) {
      const ts = Math.floor((o.now?.() ?? Date.now()) / 1000);
      let retriable = true;
      try {
        const res = await fetch(o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'ratestream-event-id': e.id, 'ratestream-event-type': e.type, 'ratestream-signature': sign(o.secret, ts, body) },
          body,
          signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { eventId: e.id, ok: true, attempts: attempt, error: '' };
        lastError = `HTTP ${res.status}`;
        retriable = res.status === 408 || res.status === 429 || res.status >= 500;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (!retriable) return { eventId: e.id, ok: false, attempts: attempt, error: `${lastError} (not retried)` };
      if (attempt < max) await sleep(Math.min((o.backoffMs ?? 500) * 2 ** (attempt - 1), o.maxBackoffMs ?? 30_000));
    }
    return { eventId: e.id, ok: false, attempts: max, error: lastError };
  }
}
