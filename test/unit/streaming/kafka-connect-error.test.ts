/**
 * A failed first Kafka connection is said plainly (engine/runtime/kafka/connect-error.ts): the error shapes kafkajs
 * and Node produce for a refused SASL login, an untrusted / expired / misnamed certificate, TLS against a plaintext
 * port and nothing listening each become a message that names the problem and the setting to check; anything else
 * passes through unchanged. The real broker cases run in test/integration/kafka-secured.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { classifyKafkaConnectError, explainKafkaConnectError } from '../../../engine/runtime/kafka/connect-error.ts';
import type { KafkaConnectionOptions } from '../../../engine/runtime/kafka/port.ts';

const opts: KafkaConnectionOptions = {
  brokers: ['kafka-1:9094'], tls: { ca: 'PEM' }, sasl: { mechanism: 'scram-sha-512', username: 'billing', password: 'p4ss-w0rd' },
};
const named = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name }, extra);
/** kafkajs: KafkaJSNumberOfRetriesExceeded wrapping a KafkaJSConnectionError that carries Node's TLS code */
const retried = (message: string, code: string) =>
  named('KafkaJSNumberOfRetriesExceeded', `Connection error: ${message}`, { cause: named('KafkaJSConnectionError', `Connection error: ${message}`, { code }) });

describe('Kafka connection errors', () => {
  it('a refused SASL login names authentication, the mechanism and the user, never the password', () => {
    const err = named('KafkaJSSASLAuthenticationError', 'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
    expect(classifyKafkaConnectError(err)?.problem).toBe('authentication');
    const out = explainKafkaConnectError(err, opts) as Error;
    expect(out.message).toBe("Kafka authentication failed at kafka-1:9094: the broker refused SASL scram-sha-512 for user 'billing' — check kafka.sasl username and password"
      + ' (SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512)');
    expect(out.message).not.toContain('p4ss-w0rd');
    expect(out.cause).toBe(err);
  });

  it('certificate problems: untrusted CA, expired, wrong host name', () => {
    for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
      expect(classifyKafkaConnectError(retried('x', code))?.problem, code).toBe('untrusted-certificate');
    }
    expect((explainKafkaConnectError(retried('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), opts) as Error).message).toBe(
      "Kafka TLS: the certificate of kafka-1:9094 is not trusted (not signed by a CA this client trusts; TLS with the configured CA) — set kafka.tls.ca-file to the CA that signed the broker's certificate"
      + ' (SELF_SIGNED_CERT_IN_CHAIN: Connection error: self-signed certificate in certificate chain)');
    expect((explainKafkaConnectError(retried('certificate has expired', 'CERT_HAS_EXPIRED'), opts) as Error).message)
      .toMatch(/^Kafka TLS: the certificate of kafka-1:9094 is expired or not yet valid/);
    expect((explainKafkaConnectError(retried("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), opts) as Error).message)
      .toMatch(/^Kafka TLS: the certificate of kafka-1:9094 does not name that host — .*kafka\.tls\.servername/);
  });

  it('TLS against a plaintext listener, and nothing listening', () => {
    expect(classifyKafkaConnectError(retried('write EPROTO ...:error:0A00010B:SSL routines::wrong version number', 'EPROTO'))?.problem).toBe('tls-mismatch');
    const refused = retried('connect ECONNREFUSED 127.0.0.1:9094', 'ECONNREFUSED');
    expect((explainKafkaConnectError(refused, { brokers: ['127.0.0.1:9094'] }) as Error).message)
      .toBe('Kafka: no broker reachable at 127.0.0.1:9094 (plaintext) — check kafka.brokers and that the broker runs (Connection error: connect ECONNREFUSED 127.0.0.1:9094)');
  });

  it('@platformatic/kafka shapes: the reason inside aggregate errors and causes', () => {
    const agg = (message: string, ...errors: Error[]) => Object.assign(new AggregateError(errors, message), { code: 'PLT_KFK_MULTIPLE' });
    const conn = (cause: Error) => Object.assign(new Error('Connection to 127.0.0.1:19094 failed.', { cause }), { code: 'PLT_KFK_NETWORK' });
    const auth = agg('metadata failed 11 times.', agg('Cannot connect to any broker.', conn(Object.assign(new Error('SASL authentication failed.'), { code: 'PLT_KFK_AUTHENTICATION' }))));
    expect((explainKafkaConnectError(auth, opts) as Error).message)
      .toBe("Kafka authentication failed at kafka-1:9094: the broker refused SASL scram-sha-512 for user 'billing' — check kafka.sasl username and password (PLT_KFK_AUTHENTICATION: SASL authentication failed.)");
    const tls = agg('metadata failed 11 times.', agg('Cannot connect to any broker.', conn(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))));
    expect(classifyKafkaConnectError(tls)?.problem).toBe('untrusted-certificate');
  });

  it('anything else passes through unchanged', () => {
    const err = named('KafkaJSProtocolError', 'This server does not host this topic-partition');
    expect(classifyKafkaConnectError(err)).toBeUndefined();
    expect(explainKafkaConnectError(err, opts)).toBe(err);
    expect(explainKafkaConnectError('a string', opts)).toBe('a string');
  });
});
