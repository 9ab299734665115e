/** The process's HTTP surface: /healthz, /readyz, /metrics (fastify). Ingest routes are added by the runtime. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { StreamMetrics } from './metrics.ts';

export interface OpsServerOptions {
  metrics: StreamMetrics;
  /** readiness: partitions assigned and state restored */
  ready(): boolean | { ready: boolean; detail: Record<string, unknown> };
  bodyLimit?: number;
}

export function createOpsServer(o: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: o.bodyLimit ?? 1 << 20 });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = o.ready();
    const ready = typeof r === 'boolean' ? r : r.ready;
    o.metrics.ready.set(ready ? 1 : 0);
    return reply.code(ready ? 200 : 503).send({ ready, ...(typeof r === 'object' ? r.detail : {}) });
  });
  app.get('/metrics', async (_req, reply) => {
    const r = o.ready();
    o.metrics.ready.set((typeof r === 'boolean' ? r : r.ready) ? 1 : 0);
    return reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics());
  });
  return app;
}
