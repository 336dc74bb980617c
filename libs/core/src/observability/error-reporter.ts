/** Request context attached to a reported error. */
export interface ErrorContext {
  requestId?: string;
  method?: string;
  route?: string;
}

/** The part of the Sentry SDK the reporter uses (set by initSentry; a fake in unit tests). */
export interface ErrorReporterClient {
  captureException(error: unknown, hint: { tags: Record<string, string> }): unknown;
}

let client: ErrorReporterClient | undefined;

/** Installs (or, with undefined, removes) the client errors are sent to. */
export function setErrorReporterClient(next: ErrorReporterClient | undefined): void {
  client = next;
}

export function errorReporterEnabled(): boolean {
  return client !== undefined;
}

/**
 * Reports an unexpected (5xx) error with its request context to Sentry, when Sentry was initialised
 * (SENTRY_DSN set); a no-op otherwise. Never throws.
 */
export function reportError(error: unknown, context: ErrorContext = {}): void {
  if (!client) return;
  try {
    const tags: Record<string, string> = {};
    if (context.requestId) tags.request_id = context.requestId;
    if (context.route) tags.route = context.route;
    if (context.method) tags.method = context.method;
    client.captureException(error, { tags });
  } catch {
    // Reporting must never turn into a second failure.
  }
}
