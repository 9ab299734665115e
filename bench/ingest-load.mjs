#!/usr/bin/env node
// HTTP ingest load from a second process (autocannon), for test/integration/ingest-load.test.ts and by hand:
//
//   node bench/ingest-load.mjs --url http://127.0.0.1:8080/v1/ingest/carrier-cdr --token-env RATESTREAM_INGEST_TOKEN \
//     --body-file batch.csv --content-type text/csv --connections 8 --amount 2000 --max-seconds 60
//
// Bounded in count (--amount requests) and in time (--max-seconds, then it stops). Loopback only: any other host is
// refused. Prints one JSON line: requests, status counts, how many 429/503 answers lacked Retry-After, records
// accepted (the 202 bodies' `accepted`), errors/timeouts/resets, latency (ms) and requests per second.
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' },
    'token-env': { type: 'string', default: 'RATESTREAM_INGEST_TOKEN' },
    'body-file': { type: 'string' },
    'content-type': { type: 'string', default: 'text/csv' },
    connections: { type: 'string', default: '8' },
    amount: { type: 'string', default: '1000' },
    'max-seconds': { type: 'string', default: '60' },
    'timeout-seconds': { type: 'string', default: '30' },
  },
});
if (!a.url || !a['body-file']) {
  process.stderr.write('usage: ingest-load.mjs --url URL --body-file FILE [--content-type T] [--token-env VAR] [--connections N] [--amount N] [--max-seconds S]\n');
  process.exit(2);
}
const url = new URL(a.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  process.stderr.write(`ingest-load: loopback only, not ${url.hostname}\n`);
  process.exit(2);
}
const token = process.env[a['token-env']];
if (!token) {
  process.stderr.write(`ingest-load: ${a['token-env']} is not set\n`);
  process.exit(2);
}

const body = readFileSync(a['body-file']);
let accepted = 0;
let retryAfterMissing = 0;
const retryAfter = new Set();
const t0 = Date.now();
const instance = autocannon({
  url: a.url,
  connections: Number(a.connections),
  amount: Number(a.amount),
  timeout: Number(a['timeout-seconds']),
  requests: [{
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': a['content-type'] },
    body,
    onResponse: (status, resBody, _context, headers) => {
      if (status === 202) accepted += JSON.parse(resBody).accepted;
      if (status === 429 || status === 503) {
        const ra = headers['retry-after'] ?? headers['Retry-After'];
        if (ra === undefined) retryAfterMissing++;
        else retryAfter.add(String(ra));
      }
    },
  }],
}, (err, r) => {
  clearTimeout(stopper);
  if (err) {
    process.stderr.write(`ingest-load: ${err.message}\n`);
    process.exit(1);
  }
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count]));
  const requests = Object.values(statusCodes).reduce((n, c) => n + c, 0);
  const seconds = (Date.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({
    requests, statusCodes, accepted, retryAfterMissing, retryAfterValues: [...retryAfter], errors: r.errors, timeouts: r.timeouts, resets: r.resets,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max }, seconds, requestsPerSecond: Math.round(requests / seconds),
  })}\n`);
});
const stopper = setTimeout(() => instance.stop(), Number(a['max-seconds']) * 1000);
