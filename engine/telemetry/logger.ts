/** pino JSON logs for the streaming runtime; secrets are redacted by path wherever they might appear. */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'token', '*.token', 'sasl', '*.sasl', 'authorization', '*.authorization',
  'headers.authorization', 'req.headers.authorization', 'url', '*.url',
];

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'ratestream',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
