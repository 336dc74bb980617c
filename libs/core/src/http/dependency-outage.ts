/**
 * Errors that mean "a service the API depends on (PostgreSQL, Redis) cannot be reached right now",
 * as opposed to a bug: they become 503 service_unavailable with Retry-After, not 500, and an outage
 * is logged once (with a count when it ends) instead of once per failed request.
 */

/** SQLSTATEs of a connection lost or refused by the server (class 08, 57P01-57P03, too many connections). */
const UNAVAILABLE_SQLSTATES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
/** Socket-level error codes of Node, pg and ioredis. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/** Messages of pg, pg-pool and ioredis for a lost connection or an exhausted pool (they carry no code). */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /Client has encountered a connection error and is not queryable/,
  /^Connection is closed\.?$/,
  /Reached the max retries per request limit/,
  /Stream isn't writeable and enableOfflineQueue options is false/,
  /^Command timed out$/,
  /^Redis is unavailable \(circuit open\)/,
];

/** Seconds a client is told to wait (Retry-After) while a dependency is unavailable. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** The dependency error in `error` or its causes (TypeORM's QueryFailedError keeps pg's as driverError). */
export function isDependencyUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_CODES.has(e.code))) return true;
    if (e.name === 'MaxRetriesPerRequestError') return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string))) return true;
    current = e.driverError ?? e.cause;
  }
  return false;
}

/** The part of a logger the tracker writes to. */
export interface OutageLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * One log line when an outage starts (its first error), then silence while it lasts, and one line
 * with the count of failed requests once `quietMs` pass without a new one (the outage is over) or
 * every `summaryMs` while it goes on. `report` (Sentry) is called for the first error of an outage only.
 */
export class DependencyOutageTracker {
  private failures = 0;
  private startedAt = 0;
  private lastAt = 0;
  private lastSummaryAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: OutageLogger,
    private readonly report: (error: unknown) => void = () => undefined,
    private readonly quietMs = 10_000,
    private readonly summaryMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(error: unknown, context: { route?: string; request_id?: string }): void {
    const at = this.now();
    if (this.failures === 0) {
      this.startedAt = at;
      this.lastSummaryAt = at;
      this.logger.warn(
        { err: error, ...context, retry_after_s: DEPENDENCY_RETRY_AFTER_SECONDS },
        'dependency unavailable: answering 503 until it is back',
      );
      this.report(error);
    } else if (at - this.lastSummaryAt >= this.summaryMs) {
      this.lastSummaryAt = at;
      this.logger.warn(
        { failed_requests: this.failures + 1, since: new Date(this.startedAt).toISOString() },
        'dependency still unavailable',
      );
    }
    this.failures += 1;
    this.lastAt = at;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.check(), this.quietMs);
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    if (this.failures === 0) return;
    const quiet = this.now() - this.lastAt;
    if (quiet < this.quietMs) {
      this.timer = setTimeout(() => this.check(), this.quietMs - quiet);
      this.timer.unref();
      return;
    }
    this.flush();
  }

  /** Ends the current outage: one line with how many requests failed and for how long. */
  flush(): void {
    if (this.failures === 0) return;
    this.logger.info(
      { failed_requests: this.failures, duration_ms: this.lastAt - this.startedAt },
      'dependency outage over (no failure for a while)',
    );
    this.failures = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
