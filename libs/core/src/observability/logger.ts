import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';

/** Field names whose values never reach the logs, at the top level and one or two levels down. */
const SECRET_FIELDS = [
  'password',
  'current_password',
  'new_password',
  'refresh_token',
  'access_token',
  'token',
  'secret',
  'code',
];

/** Paths whose values never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
];

/** JSON logger with secrets redacted. `destination` defaults to stdout (tests pass a stream). */
export function createRootLogger(config: AppConfig, name = 'lms', destination?: DestinationStream): Logger {
  const options = {
    name,
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    base: { service: name, env: config.ENVIRONMENT },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
