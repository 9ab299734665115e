/**
 * Admission for HTTP ingest: what is refused is refused before its body is read, and callers are slowed down when
 * Kafka is slower than they are, instead of their bodies piling up in memory.
 *
 * - An `onRequest` hook (registered after the ingest routes' token check, so a wrong token still gets 401): an unknown
 *   feed gets 404 UNKNOWN_FEED, and while the in-flight budget is used up every request gets 429 BUSY with
 *   `Retry-After` — both from the request line and headers alone.
 * - The ingest producer, wrapped: the bytes of each send count as in flight until Kafka acknowledged them. A send that
 *   would go over `maxInFlightBytes` (while something else is in flight: one request alone always goes) is refused
 *   with 429 BUSY; a send Kafka does not acknowledge (the producer gave up after its retries) becomes 503
 *   KAFKA_UNAVAILABLE with `Retry-After` — the gateway resends, and record ids make a resend harmless.
 * Refusals are `IngestRefusal` errors (statusCode, code, retryAfter) that the ingest error handler answers.
 * Body-size limits stay with fastify's body parser: a content-length over the limit is refused unread, a chunked body
 * stops being read at the limit (and the connection is closed).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { StreamMetrics } from '../../telemetry/metrics.ts';
import type { KafkaProducer, ProducerRecord } from '../kafka/port.ts';

export class IngestRefusal extends Error {
  constructor(readonly statusCode: 404 | 429 | 503, readonly code: string, message: string, readonly retryAfter?: number) {
    super(message);
    this.name = 'IngestRefusal';
  }
}

export interface IngestGuardOptions {
  /** bytes sent to Kafka and not yet acknowledged; above it requests get 429 */
  maxInFlightBytes: number;
  /** Retry-After of 429 / 503, seconds (default 1) */
  retryAfterSeconds?: number;
  /** feed → raw topic, undefined for a feed not served here */
  rawTopic: (feed: string) => string | undefined;
  metrics: StreamMetrics;
  log?: Logger;
}

const recordBytes = (r: ProducerRecord) => (r.value?.length ?? 0) + (r.key === null ? 0 : typeof r.key === 'string' ? Buffer.byteLength(r.key) : r.key.length);

export class IngestGuard {
  /** bytes handed to Kafka and not yet acknowledged */
  inFlight = 0;
  private readonly retryAfter: number;

  constructor(private readonly o: IngestGuardOptions) {
    this.retryAfter = o.retryAfterSeconds ?? 1;
  }

  private busy(): IngestRefusal {
    return new IngestRefusal(429, 'BUSY', `Kafka is behind: ${this.inFlight} bytes are waiting for its acknowledgement (limit ${this.o.maxInFlightBytes}); retry after ${this.retryAfter} s`, this.retryAfter);
  }

  /** The producer the ingest routes send with: counts in-flight bytes, refuses over budget, 503 when Kafka fails. */
  wrap(producer: KafkaProducer): KafkaProducer {
    return {
      connect: () => producer.connect(),
      disconnect: () => producer.disconnect(),
      send: async (records, options) => {
        const bytes = records.reduce((n, r) => n + recordBytes(r), 0);
        if (this.inFlight > 0 && this.inFlight + bytes > this.o.maxInFlightBytes) throw this.busy();
        this.inFlight += bytes;
        try {
          return await producer.send(records, options);
        } catch (err) {
          this.o.log?.warn({ err, records: records.length }, 'ingest: Kafka did not acknowledge; answered 503');
          throw new IngestRefusal(503, 'KAFKA_UNAVAILABLE', `Kafka did not acknowledge the records (${(err as Error).message}); nothing is lost by sending them again`, this.retryAfter);
        } finally {
          this.inFlight -= bytes;
        }
      },
    };
  }

  /** Adds the before-the-body checks; call after the ingest routes are registered (their token check runs first). */
  register(app: FastifyInstance): void {
    app.addHook('onRequest', async (req, reply) => {
      if (!req.url.startsWith('/v1/')) return;
      let refusal: IngestRefusal | undefined;
      const feed = req.routeOptions.url === '/v1/ingest/:feed' ? (req.params as { feed?: string }).feed : undefined;
      if (feed !== undefined && !this.o.rawTopic(feed)) refusal = new IngestRefusal(404, 'UNKNOWN_FEED', `feed ${feed} is not served here`);
      else if (this.inFlight >= this.o.maxInFlightBytes) refusal = this.busy();
      if (!refusal) return;
      this.o.metrics.ingestErrors.inc({ source: 'http', status: String(refusal.statusCode) });
      if (refusal.retryAfter !== undefined) reply.header('retry-after', String(refusal.retryAfter));
      return reply.code(refusal.statusCode).send({ error: refusal.code, message: refusal.message });
    });
  }
}
