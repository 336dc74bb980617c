import type { AppConfig } from '../config/app-config.js';
import { setErrorReporterClient } from './error-reporter.js';

let initialised = false;

/** The Sentry.init options this application uses. */
export interface SentryInitOptions {
  dsn: string;
  environment: string;
  release?: string;
  tracesSampleRate: number;
  sendDefaultPii: boolean;
}

/**
 * Maps the config to Sentry.init options; undefined when SENTRY_DSN is unset.
 * SENTRY_PROFILES_SAMPLE_RATE is accepted but not passed on: profiling needs @sentry/profiling-node,
 * which is not installed.
 */
export function sentryOptions(config: AppConfig): SentryInitOptions | undefined {
  if (!config.SENTRY_DSN) return undefined;
  return {
    dsn: config.SENTRY_DSN,
    environment: config.SENTRY_ENVIRONMENT || config.ENVIRONMENT,
    release: config.SENTRY_RELEASE || `${config.PROJECT_NAME.toLowerCase().replace(/\s+/g, '-')}@${config.VERSION}`,
    tracesSampleRate: config.SENTRY_TRACES_SAMPLE_RATE,
    sendDefaultPii: config.SENTRY_SEND_PII,
  };
}

/**
 * Initialises Sentry when SENTRY_DSN is set and routes reportError to it. Call once, before the
 * Nest application is created. @sentry/nestjs is imported lazily: it is only loaded when a DSN
 * is set, and, being CommonJS requiring the ESM-only Nest packages, it cannot be imported statically
 * under jest (ERR_REQUIRE_CYCLE_MODULE while jest links the ES module graph; see rate-limit.guard.ts).
 * Returns whether Sentry was initialised.
 */
export async function initSentry(config: AppConfig): Promise<boolean> {
  const options = sentryOptions(config);
  if (!options) return false;
  const Sentry = await import('@sentry/nestjs');
  Sentry.init(options);
  initialised = true;
  setErrorReporterClient({
    captureException: (error, hint) => Sentry.captureException(error, hint),
  });
  return true;
}

/** Waits (up to timeoutMs) for queued Sentry events to be sent; for shutdown. */
export async function flushSentry(timeoutMs = 2000): Promise<void> {
  if (!initialised) return;
  const Sentry = await import('@sentry/nestjs');
  await Sentry.flush(timeoutMs);
}
