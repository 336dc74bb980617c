import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  AppConfig,
  Clock,
  ProblemException,
  offset,
  paginate,
  runSql,
  type AuthUser,
  type Page,
  type PageQuery,
} from '#core';
import { generateWebhookSecret } from '../delivery/signing.js';
import type { LookupFn } from '../delivery/lookup.js';
import { checkWebhookUrl } from '../delivery/url-policy.js';
import { WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES } from '../event-catalog.js';
import { WEBHOOK_URL_MAX, type DeliveryStatus, type WebhookSource } from '../webhook.entity.js';
import { WEBHOOK_RESOLVER, WebhookDispatcher } from '../webhook-dispatcher.js';
import { WebhookSecrets } from '../webhook-secrets.js';
import {
  TEST_EVENT,
  type CreateWebhookDto,
  type DeliveryListQueryDto,
  type RotateWebhookSecretResponseDto,
  type UpdateWebhookDto,
  type WebhookCreatedResponseDto,
  type WebhookDeliveryAttemptDto,
  type WebhookDeliveryDetailDto,
  type WebhookDeliveryResponseDto,
  type WebhookEventTypeListDto,
  type WebhookResponseDto,
} from './webhook.dto.js';

/** URL check reasons that mean "not a usable URL" (422 validation_failed); the others are policy refusals. */
const MALFORMED_URL_REASONS: ReadonlySet<string> = new Set([
  'too_long',
  'invalid_url',
  'scheme_not_allowed',
  'credentials_not_allowed',
  'host_required',
]);

const URL_MESSAGES: Readonly<Record<string, string>> = {
  too_long: `url must be at most ${WEBHOOK_URL_MAX} characters`,
  invalid_url: 'url must be an absolute URL',
  scheme_not_allowed: 'url must use http or https',
  credentials_not_allowed: 'url must not contain a user name or password',
  host_required: 'url must have a host',
};

const ENDPOINT_COLUMNS = `id, url, events, description, is_active, source, disabled_reason, disabled_at, failing_since,
  last_success_at, created_at, updated_at, previous_secret_expires_at`;
const DELIVERY_COLUMNS = `id, event_id, event_type, status, attempts, last_status_code, last_error, last_duration_ms,
  last_response_excerpt, next_attempt_at, created_at, completed_at`;

interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  is_active: boolean;
  source: WebhookSource;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  created_at: Date;
  updated_at: Date;
  previous_secret_expires_at: Date | null;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  last_response_excerpt: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  completed_at: Date | null;
}

interface AttemptRow {
  attempt: number;
  attempted_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
}

const iso = (d: Date | string): string => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null): string | null => (d === null ? null : iso(d));

export const webhookNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Webhook not found');
const deliveryNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Delivery not found');
const managedByConfig = (): ProblemException =>
  new ProblemException(
    409,
    'webhook_managed_by_config',
    'This endpoint comes from WEBHOOK_TARGET_URLS: change the configuration to change it',
  );
const disabled = (): ProblemException =>
  new ProblemException(409, 'webhook_disabled', 'The webhook endpoint is disabled: enable it first (is_active: true)');

/** Description as stored: trimmed by the DTO, empty → null. */
const storedDescription = (d: string | null | undefined): string | null => (d ? d : null);

/** Event list as stored: duplicates removed, order kept. */
const storedEvents = (events: string[]): string[] => [...new Set(events)];

/**
 * The /webhooks admin routes: endpoints (managed ones; env ones are listed read-only), their
 * secrets (shown once, sealed at rest with the row id as associated data), test sends and the
 * delivery log with redelivery.
 */
@Injectable()
export class WebhooksAdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WebhookSecrets) private readonly secrets: WebhookSecrets,
    @Inject(WebhookDispatcher) private readonly dispatcher: WebhookDispatcher,
    @Optional() @Inject(WEBHOOK_RESOLVER) private readonly lookup?: LookupFn,
  ) {}

  // ── Endpoints ───────────────────────────────────────────────────────────

  async create(caller: AuthUser, body: CreateWebhookDto): Promise<WebhookCreatedResponseDto> {
    const url = await this.checkedUrl(body.url);
    const id = randomUUID();
    const secret = body.secret ?? generateWebhookSecret();
    const [row] = (
      await runSql<EndpointRow>(
        this.dataSource.manager,
        `INSERT INTO webhook_endpoints (id, source, url, description, events, is_active, secret_sealed, created_by)
         VALUES ($1, 'managed', $2, $3, $4::jsonb, $5, $6, $7) RETURNING ${ENDPOINT_COLUMNS}`,
        [
          id,
          url,
          storedDescription(body.description),
          JSON.stringify(storedEvents(body.events)),
          body.is_active ?? true,
          this.secrets.seal(secret, id),
          caller.id,
        ],
      )
    ).rows;
    return { ...this.toResponse(row!), secret };
  }

  async list(query: PageQuery): Promise<Page<WebhookResponseDto>> {
    const m = this.dataSource.manager;
    const [{ rows }, count] = await Promise.all([
      runSql<EndpointRow>(
        m,
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`,
        [query.page_size, offset(query)],
      ),
      runSql<{ total: number }>(m, 'SELECT count(*)::int AS total FROM webhook_endpoints'),
    ]);
    return paginate(
      rows.map((r) => this.toResponse(r)),
      count.rows[0]?.total ?? 0,
      query,
    );
  }

  async get(id: string): Promise<WebhookResponseDto> {
    return this.toResponse(await this.endpoint(id));
  }

  async update(id: string, body: UpdateWebhookDto): Promise<WebhookResponseDto> {
    const current = await this.managedEndpoint(id);
    const url = body.url !== undefined ? await this.checkedUrl(body.url) : undefined;
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown, cast = ''): void => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (url !== undefined) set('url', url);
    if (body.events !== undefined) set('events', JSON.stringify(storedEvents(body.events)), '::jsonb');
    if (body.description !== undefined) set('description', storedDescription(body.description));
    if (body.is_active === true) {
      // Switching on (again): the system's reason and the failing run go with the old state.
      sets.push(
        'is_active = true',
        'disabled_reason = CASE WHEN is_active THEN disabled_reason ELSE NULL END',
        'disabled_at = CASE WHEN is_active THEN disabled_at ELSE NULL END',
        'failing_since = CASE WHEN is_active THEN failing_since ELSE NULL END',
      );
    } else if (body.is_active === false) {
      // Switched off by an admin: no system reason; when (kept if it was off already).
      params.push(this.clock.now());
      sets.push(`disabled_at = CASE WHEN is_active THEN $${params.length}::timestamptz ELSE disabled_at END`);
      sets.push('is_active = false');
    }
    if (sets.length === 0) return this.toResponse(current);
    const [row] = (
      await runSql<EndpointRow>(
        this.dataSource.manager,
        `UPDATE webhook_endpoints SET ${sets.join(', ')}, updated_at = now()
         WHERE id = $1 AND source = 'managed' RETURNING ${ENDPOINT_COLUMNS}`,
        params,
      )
    ).rows;
    if (!row) throw webhookNotFound();
    return this.toResponse(row);
  }

  async remove(id: string): Promise<void> {
    await this.managedEndpoint(id);
    // Deliveries and their attempts go with it (ON DELETE CASCADE); queued attempts find nothing to send.
    const { affected } = await runSql(
      this.dataSource.manager,
      `DELETE FROM webhook_endpoints WHERE id = $1 AND source = 'managed'`,
      [id],
    );
    if (affected === 0) throw webhookNotFound();
  }

  async rotateSecret(id: string, given?: string): Promise<RotateWebhookSecretResponseDto> {
    await this.managedEndpoint(id);
    const secret = given ?? generateWebhookSecret();
    const expires = new Date(
      this.clock.now().getTime() + this.config.WEBHOOK_SECRET_ROTATION_OVERLAP_HOURS * 3_600_000,
    );
    // The current sealed secret becomes the previous one as is (same row id, same associated data).
    const { affected } = await runSql(
      this.dataSource.manager,
      `UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed, previous_secret_expires_at = $2,
         secret_sealed = $3, updated_at = now()
       WHERE id = $1 AND source = 'managed'`,
      [id, expires, this.secrets.seal(secret, id)],
    );
    if (affected === 0) throw webhookNotFound();
    return { secret, previous_secret_expires_at: expires.toISOString() };
  }

  // ── Sends ───────────────────────────────────────────────────────────────

  async test(caller: AuthUser, id: string): Promise<{ delivery_id: string }> {
    const endpoint = await this.endpoint(id);
    if (!endpoint.is_active) throw disabled();
    return { delivery_id: await this.dispatcher.createTestDelivery(id, caller.id) };
  }

  async redeliver(id: string, deliveryId: string): Promise<{ delivery_id: string }> {
    const endpoint = await this.endpoint(id);
    await this.deliveryRow(id, deliveryId);
    if (!endpoint.is_active) throw disabled();
    if (!(await this.dispatcher.redeliver(deliveryId))) {
      throw new ProblemException(409, 'delivery_pending', 'The delivery is still pending: it will be attempted again');
    }
    return { delivery_id: deliveryId };
  }

  // ── Delivery log ────────────────────────────────────────────────────────

  async deliveries(id: string, query: DeliveryListQueryDto): Promise<Page<WebhookDeliveryResponseDto>> {
    await this.endpoint(id);
    const m = this.dataSource.manager;
    const filter = `endpoint_id = $1 AND ($2::varchar IS NULL OR status = $2) AND ($3::varchar IS NULL OR event_type = $3)`;
    const params = [id, query.status ?? null, query.event ?? null];
    const [{ rows }, count] = await Promise.all([
      runSql<DeliveryRow>(
        m,
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ${filter}
         ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5`,
        [...params, query.page_size, offset(query)],
      ),
      runSql<{ total: number }>(m, `SELECT count(*)::int AS total FROM webhook_deliveries WHERE ${filter}`, params),
    ]);
    return paginate(
      rows.map((r) => this.toDelivery(r)),
      count.rows[0]?.total ?? 0,
      query,
    );
  }

  async delivery(id: string, deliveryId: string): Promise<WebhookDeliveryDetailDto> {
    await this.endpoint(id);
    const row = await this.deliveryRow(id, deliveryId);
    const { rows: attempts } = await runSql<AttemptRow>(
      this.dataSource.manager,
      `SELECT attempt, attempted_at, duration_ms, status_code, error, response_excerpt
       FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [deliveryId],
    );
    const { attempts: _count, ...summary } = this.toDelivery(row);
    return { ...summary, body: row.body, attempts: attempts.map((a) => this.toAttempt(a)) };
  }

  eventTypes(): WebhookEventTypeListDto {
    return {
      items: WEBHOOK_EVENT_TYPES.map((name) => ({
        name,
        description: WEBHOOK_EVENTS[name].description,
        schema: WEBHOOK_EVENTS[name].schema as Record<string, unknown>,
        subscribable: name !== TEST_EVENT,
      })),
    };
  }

  // ── Helpers ─────────────────────────────────────────────────────────────

  /** The URL as it will be stored (normalized), or 422: malformed → validation_failed, refused → webhook_url_forbidden. */
  private async checkedUrl(raw: string): Promise<string> {
    const result = await checkWebhookUrl(raw, {
      allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      ...(this.lookup ? { lookup: this.lookup } : {}),
    });
    const reason = result.ok ? (result.url.href.length > WEBHOOK_URL_MAX ? 'too_long' : undefined) : result.reason;
    if (reason === undefined && result.ok) return result.url.href;
    if (reason !== undefined && MALFORMED_URL_REASONS.has(reason)) {
      const message = URL_MESSAGES[reason] ?? 'url is not a valid webhook URL';
      throw new ProblemException(422, 'validation_failed', `Validation failed: ${message}`, {
        errors: [{ field: 'url', message, code: reason }],
      });
    }
    const detail = !result.ok && result.detail ? ` (${result.detail})` : '';
    throw new ProblemException(
      422,
      'webhook_url_forbidden',
      `The webhook URL is not allowed: ${reason ?? 'forbidden'}${detail}`,
      { reason },
    );
  }

  private async endpoint(id: string): Promise<EndpointRow> {
    const [row] = (
      await runSql<EndpointRow>(
        this.dataSource.manager,
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1`,
        [id],
      )
    ).rows;
    if (!row) throw webhookNotFound();
    return row;
  }

  /** An endpoint admins may change: 404 unknown, 409 one of WEBHOOK_TARGET_URLS. */
  private async managedEndpoint(id: string): Promise<EndpointRow> {
    const row = await this.endpoint(id);
    if (row.source !== 'managed') throw managedByConfig();
    return row;
  }

  private async deliveryRow(endpointId: string, deliveryId: string): Promise<DeliveryRow & { body: string }> {
    const [row] = (
      await runSql<DeliveryRow & { body: string }>(
        this.dataSource.manager,
        `SELECT ${DELIVERY_COLUMNS}, body FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2`,
        [deliveryId, endpointId],
      )
    ).rows;
    if (!row) throw deliveryNotFound();
    return row;
  }

  private toResponse(row: EndpointRow): WebhookResponseDto {
    const rotatedUntil =
      row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > this.clock.now()
        ? iso(row.previous_secret_expires_at)
        : null;
    return {
      id: row.id,
      url: row.url,
      events: row.events,
      description: row.description,
      is_active: row.is_active,
      source: row.source,
      disabled_reason: row.disabled_reason,
      disabled_at: isoOrNull(row.disabled_at),
      failing_since: isoOrNull(row.failing_since),
      last_success_at: isoOrNull(row.last_success_at),
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
      secret_rotated_until: rotatedUntil,
    };
  }

  private toDelivery(row: DeliveryRow): WebhookDeliveryResponseDto {
    return {
      id: row.id,
      event_id: row.event_id,
      event_type: row.event_type,
      status: row.status,
      attempts: row.attempts,
      last_status_code: row.last_status_code,
      last_error: row.last_error,
      last_duration_ms: row.last_duration_ms,
      last_response_excerpt: row.last_response_excerpt,
      next_attempt_at: isoOrNull(row.next_attempt_at),
      created_at: iso(row.created_at),
      completed_at: isoOrNull(row.completed_at),
    };
  }

  private toAttempt(row: AttemptRow): WebhookDeliveryAttemptDto {
    return {
      attempt: row.attempt,
      attempted_at: iso(row.attempted_at),
      duration_ms: row.duration_ms,
      status_code: row.status_code,
      error: row.error,
      response_excerpt: row.response_excerpt,
    };
  }
}
