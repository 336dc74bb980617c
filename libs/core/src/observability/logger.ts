import pino, { type Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';

/** Paths whose values never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.secret',
  '*.code',
];

export function createRootLogger(config: AppConfig, name = 'lms'): Logger {
  return pino({
    name,
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    base: { service: name, env: config.ENVIRONMENT },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
