// STUB: the observability work makes this forward to Sentry when SENTRY_DSN is set.
/** Reports an unexpected (5xx) error with its request context. Never throws. */
export function reportError(
  error: unknown,
  context: { requestId?: string; method?: string; route?: string } = {},
): void {
  void error;
  void context;
}
