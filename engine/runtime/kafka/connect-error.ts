/**
 * A failed first connection to Kafka, said plainly: which broker, what went wrong (authentication, an untrusted or
 * mismatched certificate, TLS against a plaintext port, nothing listening, a timeout) and which setting to look at.
 * Client-neutral: it reads the error's name, message and `code` along its `cause` chain and inside aggregate errors
 * (kafkajs and @platformatic/kafka shapes). Unrecognised errors pass through unchanged.
 */
import type { KafkaConnectionOptions } from './port.ts';

export type KafkaConnectProblem = 'authentication' | 'untrusted-certificate' | 'certificate-name' | 'certificate-expired' | 'tls-mismatch' | 'unreachable';

/** Node / OpenSSL verification codes of a server certificate chain that does not lead to a trusted CA. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_REJECTED',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const NAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const TLS_MISMATCH = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'EPROTO']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET']);

interface Found {
  problem: KafkaConnectProblem;
  detail: string;
}

/** The error and what it wraps, breadth first: `cause` chains and the `errors` of aggregate errors (clients retry and
 * collect: "metadata failed 11 times" → "cannot connect to any broker" → "connection … failed" → the real reason). */
function chain(err: unknown): Array<{ name?: string; message?: string; code?: string }> {
  const out: Array<{ name?: string; message?: string; code?: string }> = [];
  const queue: unknown[] = [err];
  const seen = new Set<unknown>();
  while (queue.length && out.length < 64) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    out.push(e as (typeof out)[number]);
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    if (cause) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return out;
}

export function classifyKafkaConnectError(err: unknown): Found | undefined {
  const links = chain(err);
  for (const e of links) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const msg = String(e.message ?? '');
    const detail = code && !msg.includes(code) ? `${code}: ${msg}` : msg;
    if (/SASLAuthentication|Authentication/i.test(String(e.name ?? '')) || code === 'PLT_KFK_AUTHENTICATION' || /authentication failed|invalid credentials|SASL_AUTHENTICATION_FAILED/i.test(msg)) {
      return { problem: 'authentication', detail };
    }
    if (code && UNTRUSTED.has(code)) return { problem: 'untrusted-certificate', detail };
    if (code && EXPIRED.has(code)) return { problem: 'certificate-expired', detail };
    if (code && NAME.has(code)) return { problem: 'certificate-name', detail };
    if ((code && TLS_MISMATCH.has(code)) || /wrong version number|packet length too long/i.test(msg)) return { problem: 'tls-mismatch', detail };
  }
  // only when nothing more specific was found: refused / unknown host / timeout
  for (const e of links) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const msg = String(e.message ?? '');
    if ((code && UNREACHABLE.has(code)) || /ECONNREFUSED|ENOTFOUND|Connection timeout|connect ETIMEDOUT/i.test(msg)) {
      return { problem: 'unreachable', detail: code && !msg.includes(code) ? `${code}: ${msg}` : msg };
    }
  }
  return undefined;
}

/** An Error whose message names the problem (the original error is its `cause`), or `err` itself if unrecognised. */
export function explainKafkaConnectError(err: unknown, o: KafkaConnectionOptions): unknown {
  const found = classifyKafkaConnectError(err);
  if (!found) return err;
  const at = o.brokers.join(', ');
  const tls = o.tls ? (o.tls === true ? 'TLS with the system CAs' : `TLS${o.tls.ca ? ' with the configured CA' : ' with the system CAs'}`) : 'plaintext';
  let text: string;
  switch (found.problem) {
    case 'authentication':
      text = `Kafka authentication failed at ${at}: the broker refused SASL ${o.sasl?.mechanism ?? '(none configured)'} for user '${o.sasl?.username ?? ''}' — check kafka.sasl username and password`;
      break;
    case 'untrusted-certificate':
      text = `Kafka TLS: the certificate of ${at} is not trusted (not signed by a CA this client trusts; ${tls}) — set kafka.tls.ca-file to the CA that signed the broker's certificate`;
      break;
    case 'certificate-expired':
      text = `Kafka TLS: the certificate of ${at} is expired or not yet valid — renew the broker's certificate`;
      break;
    case 'certificate-name':
      text = `Kafka TLS: the certificate of ${at} does not name that host — connect by a name the certificate lists, or set kafka.tls.servername`;
      break;
    case 'tls-mismatch':
      text = `Kafka TLS: ${at} did not answer TLS (${tls}) — is this a plaintext listener? Check the broker port and kafka.tls`;
      break;
    case 'unreachable':
      text = `Kafka: no broker reachable at ${at} (${tls}${o.sasl ? `, SASL ${o.sasl.mechanism}` : ''}) — check kafka.brokers and that the broker runs`;
      break;
  }
  return new Error(`${text} (${found.detail})`, { cause: err });
}
