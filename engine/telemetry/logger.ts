/**
 * pino JSON logs for the streaming runtime. Secrets are redacted by path wherever they might appear (a config, a
 * resolved connection, request headers); the config itself is logged through redactConfig, which shows where each
 * secret comes from (`[env NAME]`, `[file PATH]`) and never its value.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'token', '*.token', '*.*.token', 'passphrase', '*.passphrase', '*.*.passphrase',
  'sasl', '*.sasl', '*.*.sasl', 'ssl', '*.ssl', 'tls.key', '*.tls.key', '*.*.tls.key', 'authorization', '*.authorization',
  'headers.authorization', 'req.headers.authorization', 'url', '*.url', '*.*.url',
];

export function createLogger(opts: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const options = {
    name: opts.name ?? 'ratestream',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
