import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Nest contexts whose info lines describe the bootstrap piece by piece (one line per module and per
 * route, about 125 per start): debug level, so a start logs a handful of info lines.
 */
export const NEST_BOOTSTRAP_CONTEXTS: ReadonlySet<string> = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
]);

/** Routes Nest's own log lines into the pino root logger (JSON, redacted). */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...optional: unknown[]): void {
    const context = optional[optional.length - 1];
    this.write(
      typeof context === 'string' && NEST_BOOTSTRAP_CONTEXTS.has(context) ? 'debug' : 'info',
      message,
      optional,
    );
  }
  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }
  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('trace', message, optional);
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }
  setLogLevels(_levels: LogLevel[]): void {
    // Levels come from LOG_LEVEL.
  }

  private write(
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal',
    message: unknown,
    optional: unknown[],
  ): void {
    const last = optional[optional.length - 1];
    const context = typeof last === 'string' ? last : undefined;
    const rest = context === undefined ? optional : optional.slice(0, -1);
    const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...message });
    } else {
      this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}
