/**
 * Source `http`: HTTP ingest for gateways: POST /v1/ingest/<feed> with a batch of usage → raw.<feed>; POST
 * /v1/service-events → service-events-in. Bodies: `application/json` (an array of records, or { "records": [...] }),
 * `application/x-ndjson` (one JSON record per line): one JSON line per record (the JSON feed parser's input);
 * `text/csv` / `text/plain` / `application/octet-stream`: the body is a file of the feed, framed by THE framer loop
 * (frameChunks, as `run` reads a file: header/trailer/comment lines consumed and counted as ignored, framing faults
 * carried, binary formats sent as raw bytes). Records go out in the raw wire format (sources/kafka.ts) with
 * coordinates `http-<feed>-<time>-<n>:<line>`.
 *
 * Auth: `Authorization: Bearer <token>` (config ingest.token; compared in constant time). Limits: body bytes (413),
 * records per request (413). Errors are 4xx with { error, message }; 202 { accepted } once Kafka acknowledged
 * (acks=all, idempotent producer). Optional `?key=<field>` (JSON) keys records by that field, keeping a device's or
 * account's records in one raw partition (their order then holds through mediation and rating).
 * Admission before the body is read (unknown feed, backpressure 429 / 503 with Retry-After): ingest-guard.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FeedParser } from '../../mediation/parsers/types.ts';
import type { StreamMetrics } from '../../telemetry/metrics.ts';
import type { KafkaProducer, ProducerRecord } from '../kafka/port.ts';
import { lingerOnClose } from '../streaming/lingering-close.ts';
import { ingestKey, rawProducerRecords, SOURCE_HEADER } from './kafka.ts';
import { frameChunks, type SourceBatch, type SourceSpec } from './source.ts';

const options = z.object({
  enabled: z.boolean().default(true),
  token: z.unknown().describe('bearer token gateways must send ({ env: NAME } or { file: PATH })'),
  'max-body-bytes': z.number().int().default(16 << 20),
  'max-records': z.number().int().default(100_000),
}).strict();

export const spec: SourceSpec<typeof options> = {
  type: 'http',
  description: 'POST /v1/ingest/<feed>: JSON / NDJSON records, or a text body framed like a file of the feed (serve ingest:).',
  options,
  examples: [{ enabled: true, token: { env: 'INGEST_TOKEN' } }],
};

export interface IngestOptions {
  token: string;
  maxBodyBytes: number;
  maxRecords: number;
  /** feed → raw topic (only configured feeds are accepted) */
  rawTopic: (feed: string) => string | undefined;
  /** the feed's parser (text bodies are framed by it) and whether it pairs start/stop records */
  parserOf: (feed: string) => { parser: FeedParser; pairing: boolean } | undefined;
  serviceEventsTopic: string;
  producer: KafkaProducer;
  metrics: StreamMetrics;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** `Authorization: Bearer <token>`, compared in constant time */
export function authorised(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const a = Buffer.from(header.slice(7));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const contentType = (req: FastifyRequest) => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
const FRAMED = new Set(['text/csv', 'text/plain', 'application/octet-stream']);

let requests = 0;
/** the input unit of one request: `http-<feed>-<UTC time>-<n>` (a file name in coordinates) */
const unitOf = (feed: string) => `http-${feed}-${new Date().toISOString().replace(/[-:]/g, '').replace('.', '-')}-${++requests}`;

/** a text (or binary) body framed as a file of the feed */
async function framedBody(body: unknown, parser: FeedParser, feed: string, unit: string, maxRecords: number): Promise<SourceBatch[]> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : '');
  const out: SourceBatch[] = [];
  let n = 0;
  // the body is bounded by max-body-bytes: frame it whole, then count
  for await (const b of frameChunks(parser, unit, feed, [bytes], maxRecords)) {
    n += b.records.length;
    out.push(b);
  }
  if (n > maxRecords) throw new HttpError(413, 'TOO_MANY_RECORDS', `${n} records, at most ${maxRecords} per request`);
  if (n === 0) throw new HttpError(400, 'EMPTY', 'no records in the body');
  return out;
}

function records(req: FastifyRequest, maxRecords: number, keyField?: string): Array<{ key: string | null; value: string }> {
  const ct = contentType(req);
  const body = req.body;
  let out: Array<{ key: string | null; value: string }>;
  const keyOf = (o: unknown): string | null => {
    if (!keyField || o === null || typeof o !== 'object') return null;
    const v = (o as Record<string, unknown>)[keyField];
    return v === undefined || v === null ? null : String(v);
  };
  if (ct === 'application/json') {
    const list = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { records?: unknown }).records) ? (body as { records: unknown[] }).records : undefined;
    if (!list) throw new HttpError(400, 'BAD_BODY', 'a JSON body must be an array of records or { "records": [...] }');
    if (list.length > maxRecords) throw new HttpError(413, 'TOO_MANY_RECORDS', `${list.length} records, at most ${maxRecords} per request`);
    out = list.map((r) => ({ key: keyOf(r), value: typeof r === 'string' ? r : JSON.stringify(r) }));
  } else if (ct === 'application/x-ndjson' || ct === 'text/csv' || ct === 'text/plain') {
    const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length > maxRecords) throw new HttpError(413, 'TOO_MANY_RECORDS', `${lines.length} records, at most ${maxRecords} per request`);
    out = lines.map((l, i) => {
      if (ct !== 'application/x-ndjson') return { key: null, value: l };
      try {
        return { key: keyOf(JSON.parse(l)), value: l };
      } catch {
        throw new HttpError(400, 'BAD_JSON', `line ${i + 1} is not JSON`);
      }
    });
  } else throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type ${ct || '(none)'}: use application/json, application/x-ndjson, text/csv, text/plain or application/octet-stream`);
  if (out.length === 0) throw new HttpError(400, 'EMPTY', 'no records in the body');
  return out;
}

export function registerIngest(app: FastifyInstance, o: IngestOptions): void {
  const asText = (_req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => done(null, body);
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: o.maxBodyBytes }, asText);
  // bodies framed as files of the feed stay bytes: the framer decodes them in the feed's encoding (BOM, latin1...)
  const asBytes = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, body);
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(['text/csv', 'text/plain', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: o.maxBodyBytes }, asBytes);

  const fail = (reply: FastifyReply, e: HttpError) => {
    o.metrics.ingestErrors.inc({ source: 'http', status: String(e.status) });
    return reply.code(e.status).send({ error: e.code, message: e.message });
  };

  // an answer sent before the body was read to its end closes the connection gently (lingering-close.ts)
  app.addHook('onSend', async (req, reply) => {
    if (req.url.startsWith('/v1/') && !req.raw.complete && String(reply.getHeader('connection')).toLowerCase() === 'close') lingerOnClose(req.raw.socket);
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    if (!authorised(req.headers.authorization, o.token)) {
      o.metrics.ingestErrors.inc({ source: 'http', status: '401' });
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'UNAUTHORIZED', message: 'missing or wrong bearer token' });
    }
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; retryAfter?: number }, _req, reply) => {
    // backpressure (429 BUSY, 503 KAFKA_UNAVAILABLE from the guarded producer: ingest-guard.ts) says when to come back
    if (err.name === 'IngestRefusal' && err.statusCode && err.code) {
      o.metrics.ingestErrors.inc({ source: 'http', status: String(err.statusCode) });
      if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter));
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    o.metrics.ingestErrors.inc({ source: 'http', status: String(status) });
    const code = status === 413 ? 'BODY_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : status === 400 ? 'BAD_BODY' : 'INTERNAL';
    return reply.code(status).send({ error: code, message: status === 500 ? 'internal error' : err.message });
  });

  const sendAll = async (list: ProducerRecord[]) => {
    for (let i = 0; i < list.length; i += 5000) await o.producer.send(list.slice(i, i + 5000), { acks: -1 });
  };
  const produce = (topic: string, recs: Array<{ key: string | null; value: string }>, unit?: string) =>
    sendAll(recs.map((r, i) => ({ topic, key: r.key, value: Buffer.from(r.value), ...(unit && { headers: { [SOURCE_HEADER]: `${unit}:${i + 1}` } }) })));

  app.post<{ Params: { feed: string }; Querystring: { key?: string } }>('/v1/ingest/:feed', { bodyLimit: o.maxBodyBytes }, async (req, reply) => {
    const topic = o.rawTopic(req.params.feed);
    if (!topic) return fail(reply, new HttpError(404, 'UNKNOWN_FEED', `feed ${req.params.feed} is not served here`));
    const feed = req.params.feed;
    const unit = unitOf(feed);
    let accepted: number;
    try {
      const f = o.parserOf(feed);
      if (FRAMED.has(contentType(req)) && f) {
        const batches = await framedBody(req.body, f.parser, feed, unit, o.maxRecords);
        // one key: the request's records stay in order in one partition (as a drop-directory file's)
        const key = ingestKey(feed, unit, f.pairing);
        await sendAll(batches.flatMap((b) => rawProducerRecords(b, topic, key)));
        accepted = batches.reduce((a, b) => a + b.records.length, 0);
      } else {
        const recs = records(req, o.maxRecords, req.query.key);
        await produce(topic, recs, unit);
        accepted = recs.length;
      }
    } catch (e) {
      if (e instanceof HttpError) return fail(reply, e);
      throw e;
    }
    o.metrics.ingestRecords.inc({ source: 'http', feed }, accepted);
    return reply.code(202).send({ accepted, topic });
  });

  app.post('/v1/service-events', { bodyLimit: o.maxBodyBytes }, async (req, reply) => {
    let recs;
    try {
      recs = records(req, o.maxRecords);
      for (const [i, r] of recs.entries()) {
        let ev: { id?: unknown; service?: unknown; to?: unknown; at?: unknown; account?: unknown };
        try { ev = JSON.parse(r.value) as typeof ev; } catch { throw new HttpError(400, 'BAD_JSON', `event ${i + 1} is not JSON`); }
        if (typeof ev.id !== 'string' || typeof ev.service !== 'string' || typeof ev.to !== 'string' || (typeof ev.at !== 'string' && typeof ev.at !== 'number')) {
          throw new HttpError(400, 'BAD_EVENT', `event ${i + 1} needs id, service, to (strings) and at (epoch ms or ISO time)`);
        }
        r.key = ev.service; // one partition per service: its events stay in order
      }
    } catch (e) {
      if (e instanceof HttpError) return fail(reply, e);
      throw e;
    }
    await produce(o.serviceEventsTopic, recs);
    o.metrics.ingestRecords.inc({ source: 'http', feed: 'service-events' }, recs.length);
    return reply.code(202).send({ accepted: recs.length, topic: o.serviceEventsTopic });
  });
}
