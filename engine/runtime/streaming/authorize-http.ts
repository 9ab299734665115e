/**
 * `GET /authorize?account=A&destination=D&start=ISO[&service=S][&usageClass=C][&catalog=NAME]` on serve's HTTP
 * server: the maximum usage per usage class a session may have (engine/rating/authorize.ts) from the rate role's
 * live rating state (balances and pools as rated so far, including the batch in hand). With ingest enabled it asks
 * for the same bearer token. The answer says which partition's state it read (`state.partition`) and whether the
 * account was found there (`state.found: false` = answered from the opening balances: nothing of the account was
 * rated by this process, or its partition is owned by another serve process — ask that one).
 */
import type { FastifyInstance } from 'fastify';
import { authorize } from '../../rating/authorize.ts';
import { parseDate } from '../../rating/durations.ts';
import type { Rater } from '../../rating/rater.ts';
import { authorised } from '../sources/http.ts';

export interface AuthorizeRouteOptions {
  /** the rating state of the account (undefined: no rate role in this process, or no partition assigned yet) */
  stateFor(account: string, catalog?: string): { rater: Rater; partition: number; found: boolean } | undefined;
  /** bearer token to ask for (the ingest token), if any */
  token?: string;
}

type Query = Partial<Record<'account' | 'destination' | 'start' | 'service' | 'usageClass' | 'catalog', string>>;

export function registerAuthorize(app: FastifyInstance, o: AuthorizeRouteOptions): void {
  app.get('/authorize', async (req, reply) => {
    if (o.token && !authorised(req.headers.authorization, o.token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'UNAUTHORIZED', message: 'missing or wrong bearer token' });
    }
    const q = req.query as Query;
    if (!q.account || !q.start) return reply.code(400).send({ error: 'BAD_REQUEST', message: 'account and start are required (e.g. /authorize?account=A&destination=D&start=2025-03-03T10:00:00Z)' });
    const found = o.stateFor(q.account, q.catalog);
    if (!found) return reply.code(503).send({ error: 'NOT_READY', message: `no rating state here: this process has no rate role, no partition assigned yet${q.catalog ? `, or no catalog ${q.catalog}` : ''}` });
    const cat = found.rater.catalog;
    let start: number;
    try { start = parseDate(q.start, cat.timezone); } catch (e) { return reply.code(400).send({ error: 'BAD_REQUEST', message: `start ${JSON.stringify(q.start)}: ${(e as Error).message}` }); }
    const r = authorize(cat, found.rater.state, { account: q.account, destination: q.destination ?? '', start, service: q.service, usageClass: q.usageClass });
    return reply.send({ ...r, catalog: cat.name, state: { partition: found.partition, found: found.found } });
  });
}
