/** The port's connection options reach @platformatic/kafka's client options unchanged (TLS, SASL, timeouts, retries). */
import { describe, expect, it } from 'vitest';
import { toBaseOptions } from '../../../engine/runtime/kafka/platformatic-adapter.ts';

describe('platformatic adapter: connection options', () => {
  it('maps brokers, client id, TLS, SASL, timeouts and retries', () => {
    expect(
      toBaseOptions({
        brokers: ['b1:9093', 'b2:9093'],
        clientId: 'rs',
        tls: { ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false, servername: 'kafka.example' },
        sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
        connectionTimeoutMs: 5000,
        requestTimeoutMs: 20000,
        retry: { retries: 3, initialRetryTimeMs: 100 },
      }),
    ).toEqual({
      clientId: 'rs',
      bootstrapBrokers: ['b1:9093', 'b2:9093'],
      retries: 3,
      retryDelay: 100,
      connectTimeout: 5000,
      requestTimeout: 20000,
      tls: { ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false, servername: 'kafka.example' },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
    });
  });

  it('defaults: client id ratestream, TLS with system CAs for `true`, no SASL; refuses an empty broker list', () => {
    expect(toBaseOptions({ brokers: ['k:9092'], tls: true, sasl: { mechanism: 'plain', username: 'a', password: 'b' } })).toEqual({
      clientId: 'ratestream',
      bootstrapBrokers: ['k:9092'],
      retries: 10,
      retryDelay: 300,
      tls: {},
      sasl: { mechanism: 'PLAIN', username: 'a', password: 'b' },
    });
    expect(() => toBaseOptions({ brokers: [] })).toThrow('kafka: brokers must not be empty');
  });
});
