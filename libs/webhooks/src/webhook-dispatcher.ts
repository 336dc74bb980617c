import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Agent } from 'undici';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig, Clock, JobProducer, runSql } from '#core';
import { EmailService } from '#notifications';
import { createPinnedAgent } from './delivery/pinned-agent.js';
import { nextAttemptDelay } from './delivery/retry-schedule.js';
import { sendWebhook, type DeliveryOutcome } from './delivery/sender.js';
import { buildWebhookHeaders } from './delivery/signing.js';
import type { LookupFn } from './delivery/lookup.js';
import { DOMAIN_WEBHOOK_EVENTS, type WebhookEventType, type WebhookTestEvent } from './event-catalog.js';
import { WebhookSecrets } from './webhook-secrets.js';

/** Optional provider: the resolver the pinned agent uses (tests inject one; default: the system's). */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');
/** Optional provider: the random source of the retry jitter (tests pin it). */
export const WEBHOOK_RANDOM = Symbol('WEBHOOK_RANDOM');

/** Extra time a claim outlives the request timeout (the attempt's bookkeeping). */
const CLAIM_MARGIN_MS = 5_000;
/**
 * How long a delivery waits when its endpoint already has WEBHOOK_ENDPOINT_CONCURRENCY attempts
 * running here: about twice the endpoint's recent attempt time (a fast endpoint frees a slot within
 * milliseconds, a black hole only at the timeout), at least this, at most the timeout, with jitter.
 */
const ENDPOINT_BUSY_MIN_DELAY_MS = 50;
/** Weight of the latest attempt in an endpoint's moving average of attempt time. */
const DURATION_EWMA_WEIGHT = 0.3;

/** Reference timestamp format: UTC ISO-8601 with +00:00 (Python's isoformat of an aware datetime). */
export function webhookTimestamp(at: Date): string {
  return at.toISOString().replace('Z', '+00:00');
}

/** The id of an env endpoint: stable per URL, so every process's sync upserts the same row. */
export function envEndpointId(url: string): string {
  const h = createHash('sha256').update(`env-webhook:${url}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The deliver job id of attempt `n` of a delivery (deterministic: re-adding it is a no-op). */
export const deliverJobId = (deliveryId: string, attempt: number, suffix = ''): string =>
  `whd.${deliveryId}.${attempt}${suffix}`;

interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  event_type: string;
  body: string;
  event_timestamp: string;
  attempts: number;
  url: string;
  source: 'managed' | 'env';
  is_active: boolean;
  secret_sealed: string | null;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
}

export interface AttemptResult {
  /** What happened: sent (any outcome recorded), or why nothing was sent. */
  state: 'sent' | 'not_pending' | 'claimed' | 'endpoint_busy' | 'endpoint_disabled';
  outcome?: DeliveryOutcome;
  /** The next attempt's delay (a retry was scheduled), or null (succeeded, failed for good, disabled). */
  retryInMs?: number | null;
}

/**
 * The delivery engine: fans committed events out to the endpoints subscribed to them (one delivery
 * row per endpoint × event, one deliver job per attempt with a deterministic id), sends each
 * attempt through an SSRF-pinned agent with both signature schemes, records it, and schedules the
 * next attempt (exponential backoff with jitter for about a day), disabling endpoints that answer
 * 410 or have failed every attempt for WEBHOOK_DISABLE_AFTER_DAYS.
 *
 * A delivery is claimed (claimed_until) for the length of an attempt, so the retry job, a
 * redelivery and a sweep never send it twice at once; a claim left by a dead process runs out.
 * At most WEBHOOK_ENDPOINT_CONCURRENCY attempts per endpoint run in one process: a slow or dead
 * endpoint occupies that many of the WEBHOOK_DELIVERY_CONCURRENCY slots, never all of them.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly agent: Agent;
  private readonly inFlight = new Map<string, number>();
  /** Moving average of each endpoint's attempt time here (ms), for the busy wait. */
  private readonly attemptMs = new Map<string, number>();
  private waits = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(JobProducer) private readonly producer: JobProducer,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(EmailService) private readonly email: EmailService,
    @Inject(WebhookSecrets) private readonly secrets: WebhookSecrets,
    @Optional() @Inject(WEBHOOK_RESOLVER) lookup?: LookupFn,
    @Optional() @Inject(WEBHOOK_RANDOM) private readonly random: () => number = Math.random,
  ) {
    this.agent = createPinnedAgent({
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      lookup,
      connectTimeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
      // Per origin. Several endpoints may share a host: the per-endpoint bound is `inFlight` below.
      connections: config.WEBHOOK_DELIVERY_CONCURRENCY,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }

  // ── Fan-out ─────────────────────────────────────────────────────────────

  /**
   * Creates the deliveries of outbox event `eventId` (endpoints active and subscribed now) and
   * enqueues their first attempt. Idempotent: a redelivered fan-out finds the rows (unique endpoint ×
   * event) and re-adds the same job ids.
   */
  async fanOut(eventId: string): Promise<{ deliveries: number }> {
    const [event] = (
      await runSql<{ event_type: string; payload: unknown; created_at: Date }>(
        this.dataSource.manager,
        'SELECT event_type, payload, created_at FROM outbox_events WHERE id = $1',
        [eventId],
      )
    ).rows;
    if (!event || !(DOMAIN_WEBHOOK_EVENTS as readonly string[]).includes(event.event_type)) return { deliveries: 0 };
    const timestamp = webhookTimestamp(new Date(event.created_at));
    const body = JSON.stringify({ event: event.event_type, timestamp, data: event.payload });
    await runSql(
      this.dataSource.manager,
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body, event_timestamp, next_attempt_at)
       SELECT e.id, $1::uuid, $2::text, $3::text, $4::text, $5::timestamptz FROM webhook_endpoints e
       WHERE e.is_active AND (e.events @> '["*"]'::jsonb OR e.events @> jsonb_build_array($2::text))
       ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
      [eventId, event.event_type, body, timestamp, this.clock.now()],
    );
    const { rows } = await runSql<{ id: string; endpoint_id: string; attempts: number }>(
      this.dataSource.manager,
      `SELECT id, endpoint_id, attempts FROM webhook_deliveries WHERE event_id = $1 AND status = 'pending'`,
      [eventId],
    );
    for (const d of rows) await this.enqueue(d.id, d.endpoint_id, d.attempts + 1);
    return { deliveries: rows.length };
  }

  /** A webhook.test delivery to one endpoint (whatever it subscribes to), attempted at once. */
  async createTestDelivery(endpointId: string, requestedBy: string): Promise<string> {
    const now = this.clock.now();
    const timestamp = webhookTimestamp(now);
    const data: WebhookTestEvent = {
      webhook_id: endpointId,
      message: 'Test event from the LMS: your endpoint is reachable and verifies signatures.',
      requested_by: requestedBy,
      requested_at: now.toISOString(),
    };
    const type: WebhookEventType = 'webhook.test';
    const body = JSON.stringify({ event: type, timestamp, data });
    const [row] = (
      await runSql<{ id: string }>(
        this.dataSource.manager,
        `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body, event_timestamp, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [endpointId, randomUUID(), type, body, timestamp, now],
      )
    ).rows;
    await this.enqueue(row!.id, endpointId, 1);
    return row!.id;
  }

  /**
   * Sends a finished delivery again (same webhook-id and body): back to pending with its attempt
   * count kept, and an attempt enqueued now. Returns false when it is still pending (nothing to do).
   */
  async redeliver(deliveryId: string): Promise<boolean> {
    const now = this.clock.now();
    const [row] = (
      await runSql<{ endpoint_id: string; attempts: number }>(
        this.dataSource.manager,
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, completed_at = NULL
         WHERE id = $1 AND status <> 'pending' RETURNING endpoint_id, attempts`,
        [deliveryId, now],
      )
    ).rows;
    if (!row) return false;
    await this.enqueue(deliveryId, row.endpoint_id, row.attempts + 1, `.r${now.getTime()}`);
    return true;
  }

  private enqueue(deliveryId: string, endpointId: string, attempt: number, suffix = '', delayMs = 0): Promise<string> {
    return this.producer.enqueue(
      'webhooks',
      'deliver',
      { delivery_id: deliveryId, endpoint_id: endpointId },
      {
        jobId: deliverJobId(deliveryId, attempt, suffix),
        // The attempt's own failure handling retries (the schedule above); BullMQ retries only when
        // the bookkeeping itself failed (database down), with its backoff.
        ...(delayMs > 0 ? { delay: delayMs } : {}),
      },
    );
  }

  // ── Attempts ────────────────────────────────────────────────────────────

  /** One attempt of a delivery (the deliver job). */
  async attempt(deliveryId: string, endpointId: string): Promise<AttemptResult> {
    const running = this.inFlight.get(endpointId) ?? 0;
    if (running >= this.config.WEBHOOK_ENDPOINT_CONCURRENCY) {
      // Busy here: wait outside the worker's slots (a new delayed job), so other endpoints go on.
      const [row] = (
        await runSql<{ attempts: number }>(
          this.dataSource.manager,
          `SELECT attempts FROM webhook_deliveries WHERE id = $1 AND status = 'pending'`,
          [deliveryId],
        )
      ).rows;
      if (!row) return { state: 'not_pending' };
      this.waits += 1;
      await this.enqueue(
        deliveryId,
        endpointId,
        row.attempts + 1,
        `.w${Date.now()}-${this.waits}`,
        this.busyDelay(endpointId),
      );
      return { state: 'endpoint_busy' };
    }
    this.inFlight.set(endpointId, running + 1);
    try {
      const result = await this.attemptClaimed(deliveryId);
      if (result.outcome) {
        const previous = this.attemptMs.get(endpointId) ?? result.outcome.durationMs;
        this.attemptMs.set(endpointId, previous + DURATION_EWMA_WEIGHT * (result.outcome.durationMs - previous));
      }
      return result;
    } finally {
      const left = (this.inFlight.get(endpointId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(endpointId);
      else this.inFlight.set(endpointId, left);
    }
  }

  /** The busy wait of an endpoint (see ENDPOINT_BUSY_MIN_DELAY_MS). */
  busyDelay(endpointId: string): number {
    const timeoutMs = this.config.WEBHOOK_TIMEOUT_SECONDS * 1000;
    const base = Math.min(timeoutMs, Math.max(ENDPOINT_BUSY_MIN_DELAY_MS, 2 * (this.attemptMs.get(endpointId) ?? 0)));
    return Math.round(base * (0.75 + 0.5 * this.random()));
  }

  private async attemptClaimed(deliveryId: string): Promise<AttemptResult> {
    const now = this.clock.now();
    const timeoutMs = this.config.WEBHOOK_TIMEOUT_SECONDS * 1000;
    const [d] = (
      await runSql<ClaimedDelivery>(
        this.dataSource.manager,
        `UPDATE webhook_deliveries d SET claimed_until = $2
         FROM webhook_endpoints e
         WHERE d.id = $1 AND e.id = d.endpoint_id AND d.status = 'pending'
           AND (d.claimed_until IS NULL OR d.claimed_until < $3)
         RETURNING d.id, d.endpoint_id, d.event_type, d.body, d.event_timestamp, d.attempts, e.url, e.source,
           e.is_active, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at`,
        [deliveryId, new Date(now.getTime() + timeoutMs + CLAIM_MARGIN_MS), now],
      )
    ).rows;
    if (!d) {
      const [row] = (
        await runSql<{ status: string; claimed_until: Date | null; endpoint_id: string; attempts: number }>(
          this.dataSource.manager,
          'SELECT status, claimed_until, endpoint_id, attempts FROM webhook_deliveries WHERE id = $1',
          [deliveryId],
        )
      ).rows;
      if (!row || row.status !== 'pending') return { state: 'not_pending' };
      // Another attempt holds it: look again once that claim has run out (if its sender died).
      const wait = Math.max(0, new Date(row.claimed_until ?? now).getTime() - now.getTime()) + 1000;
      await this.enqueue(deliveryId, row.endpoint_id, row.attempts + 1, `.c${Date.now()}`, wait);
      return { state: 'claimed' };
    }
    if (!d.is_active) {
      await runSql(
        this.dataSource.manager,
        `UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint_disabled', claimed_until = NULL,
           next_attempt_at = NULL, completed_at = $2 WHERE id = $1`,
        [d.id, now],
      );
      return { state: 'endpoint_disabled' };
    }

    const headers = this.headers(d, now);
    const outcome = headers
      ? await sendWebhook({ url: d.url, headers, body: d.body, timeoutMs, dispatcher: this.agent })
      : ({ ok: false, status: null, durationMs: 0, excerpt: null, error: 'secret_unavailable', gone: false } as const);
    const retryInMs = await this.record(d, outcome);
    if (retryInMs !== null) await this.enqueue(d.id, d.endpoint_id, d.attempts + 2, '', retryInMs);
    return { state: 'sent', outcome, retryInMs };
  }

  /** Both signature schemes for this endpoint; null when its secret cannot be opened (SECRET_KEY changed). */
  private headers(d: ClaimedDelivery, now: Date): Record<string, string> | null {
    const standard: string[] = [];
    let legacy: string | undefined;
    try {
      if (d.source === 'env') {
        const env = this.secrets.envStandardSecret();
        if (env) standard.push(env);
        legacy = this.config.WEBHOOK_SIGNING_SECRET || undefined;
      } else {
        if (!d.secret_sealed) return null;
        const current = this.secrets.open(d.secret_sealed, d.endpoint_id);
        standard.push(current);
        legacy = current;
        if (d.previous_secret_sealed && d.previous_secret_expires_at && new Date(d.previous_secret_expires_at) > now) {
          standard.push(this.secrets.open(d.previous_secret_sealed, d.endpoint_id));
        }
      }
    } catch (err) {
      this.logger.error(`webhook ${d.endpoint_id}: its secret cannot be opened: ${String(err)}`);
      return null;
    }
    return buildWebhookHeaders({
      msgId: `msg_${d.id}`,
      timestampSec: Math.floor(now.getTime() / 1000),
      body: d.body,
      event: d.event_type,
      secrets: standard,
      legacyTimestamp: d.event_timestamp,
      ...(legacy !== undefined ? { legacySecret: legacy } : {}),
    });
  }

  /** Records the attempt and its consequences in one transaction; returns the next attempt's delay or null. */
  private async record(d: ClaimedDelivery, outcome: DeliveryOutcome): Promise<number | null> {
    const now = this.clock.now();
    const attempt = d.attempts + 1;
    const error = outcome.error ? outcome.error.slice(0, 500) : null;
    const retryIn = outcome.ok || outcome.gone ? null : nextAttemptDelay(attempt, this.random);
    const status = outcome.ok ? 'succeeded' : retryIn === null ? 'failed' : 'pending';
    return this.dataSource.transaction(async (m) => {
      await runSql(
        m,
        `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error,
           response_excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (delivery_id, attempt) DO NOTHING`,
        [d.id, attempt, now, Math.round(outcome.durationMs), outcome.status, error, outcome.excerpt],
      );
      await runSql(
        m,
        `UPDATE webhook_deliveries SET attempts = $2, status = $3, last_status_code = $4, last_error = $5,
           last_duration_ms = $6, last_response_excerpt = $7, next_attempt_at = $8, claimed_until = NULL,
           completed_at = $9
         WHERE id = $1`,
        [
          d.id,
          attempt,
          status,
          outcome.status,
          error,
          Math.round(outcome.durationMs),
          outcome.excerpt,
          retryIn === null ? null : new Date(now.getTime() + retryIn),
          status === 'pending' ? null : now,
        ],
      );
      if (outcome.ok) {
        await runSql(m, 'UPDATE webhook_endpoints SET failing_since = NULL, last_success_at = $2 WHERE id = $1', [
          d.endpoint_id,
          now,
        ]);
        return null;
      }
      if (outcome.gone) {
        await this.disable(m, d, now, 'The endpoint answered 410 Gone');
        return null;
      }
      const [endpoint] = (
        await runSql<{ failing_since: Date }>(
          m,
          `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2) WHERE id = $1
           RETURNING failing_since`,
          [d.endpoint_id, now],
        )
      ).rows;
      const failingMs = endpoint ? now.getTime() - new Date(endpoint.failing_since).getTime() : 0;
      if (failingMs >= this.config.WEBHOOK_DISABLE_AFTER_DAYS * 86_400_000) {
        await this.disable(m, d, now, `Every attempt failed for ${this.config.WEBHOOK_DISABLE_AFTER_DAYS} days`);
        // This delivery keeps its schedule: it fails for good (endpoint disabled) at its next attempt.
      }
      return retryIn;
    });
  }

  /** Switches the endpoint off (system reason) and emails every active admin. */
  private async disable(m: EntityManager, d: ClaimedDelivery, now: Date, reason: string): Promise<void> {
    const { rows } = await runSql<{ id: string }>(
      m,
      `UPDATE webhook_endpoints SET is_active = false, disabled_reason = $2, disabled_at = $3
       WHERE id = $1 AND is_active RETURNING id`,
      [d.endpoint_id, reason, now],
    );
    if (rows.length === 0) return;
    this.logger.warn(`webhook endpoint ${d.endpoint_id} disabled: ${reason}`);
    const admins = await runSql<{ email: string }>(
      m,
      `SELECT email FROM users WHERE role = 'admin' AND is_active ORDER BY created_at LIMIT 50`,
    );
    for (const admin of admins.rows) {
      await this.email.queue(
        {
          to: admin.email,
          subject: 'A webhook endpoint was disabled',
          text:
            `The webhook endpoint ${d.url} (id ${d.endpoint_id}) was disabled: ${reason}.\n\n` +
            `Its delivery log is at GET ${this.config.API_V1_PREFIX}/webhooks/${d.endpoint_id}/deliveries. ` +
            `Fix the receiver, then switch it on again with PATCH ${this.config.API_V1_PREFIX}/webhooks/${d.endpoint_id} ` +
            `{"is_active": true} and redeliver what it missed.\n`,
        },
        m,
      );
    }
  }

  // ── Sweep ───────────────────────────────────────────────────────────────

  /**
   * Re-enqueues pending deliveries whose attempt is overdue by more than a minute and that nobody
   * holds (a process died between recording an attempt and enqueuing the next, or a queue lost its
   * jobs). The job id is the attempt's, so a job that still exists is not duplicated.
   */
  async resumeOverdue(limit = 1000): Promise<number> {
    const now = this.clock.now();
    const { rows } = await runSql<{ id: string; endpoint_id: string; attempts: number }>(
      this.dataSource.manager,
      `SELECT id, endpoint_id, attempts FROM webhook_deliveries
       WHERE status = 'pending' AND next_attempt_at < $1 AND (claimed_until IS NULL OR claimed_until < $2)
       ORDER BY next_attempt_at LIMIT $3`,
      [new Date(now.getTime() - 60_000), now, limit],
    );
    // A suffix of its own (one per minute): the attempt's plain job id may exist already, completed.
    const suffix = `.s${Math.floor(now.getTime() / 60_000)}`;
    for (const d of rows) await this.enqueue(d.id, d.endpoint_id, d.attempts + 1, suffix);
    return rows.length;
  }
}
