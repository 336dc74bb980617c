import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  ValidateBy,
} from 'class-validator';
import { MaxCodePoints, NotNullWhenPresent, PaginationQueryDto, QueryFilter, Trim } from '#core';
import { SECRET_PREFIX, secretKey } from '../delivery/signing.js';
import { WEBHOOK_EVENT_TYPES, isWebhookEventType } from '../event-catalog.js';
import {
  DELIVERY_STATUSES,
  WEBHOOK_DESCRIPTION_MAX,
  WEBHOOK_EVENTS_MAX,
  WEBHOOK_SOURCES,
  WEBHOOK_URL_MAX,
  type DeliveryStatus,
  type WebhookSource,
} from '../webhook.entity.js';

/** Subscribing to every event (alone in `events`). */
export const ALL_EVENTS = '*';
/** Sent by POST /webhooks/{id}/test to one endpoint; nobody subscribes to it. */
export const TEST_EVENT = 'webhook.test';
/** The event names an endpoint may list. */
export const SUBSCRIBABLE_EVENTS = WEBHOOK_EVENT_TYPES.filter((e) => e !== TEST_EVENT);
/** Longest event name accepted in a list (longer ones cannot be catalogue names anyway). */
const EVENT_NAME_MAX = 100;
/** Bytes of key a caller-chosen secret must carry (Standard Webhooks: 24–64). */
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;
/** Longest secret: the prefix and the padded base64 of SECRET_MAX_BYTES bytes. */
const SECRET_MAX_LENGTH = 'whsec_'.length + Math.ceil(SECRET_MAX_BYTES / 3) * 4;
const SECRET_PATTERN = '^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** Every name of `events` is a subscribable catalogue event (or `*`); names the others. */
function KnownWebhookEvents(): PropertyDecorator {
  return ValidateBy({
    name: 'knownWebhookEvents',
    validator: {
      validate: (value: unknown) =>
        strings(value).every((e) => e === ALL_EVENTS || (isWebhookEventType(e) && e !== TEST_EVENT)),
      defaultMessage: (args) => {
        const names = strings(args?.value);
        const unknown = [...new Set(names.filter((e) => e !== ALL_EVENTS && !isWebhookEventType(e)))];
        const parts: string[] = [];
        if (unknown.length > 0) parts.push(`events has unknown event names: ${unknown.join(', ')}`);
        if (names.includes(TEST_EVENT)) {
          parts.push(`${TEST_EVENT} cannot be subscribed to (POST /webhooks/{id}/test sends it to one endpoint)`);
        }
        return parts.join('; ') || 'events has unknown event names';
      },
    },
  });
}

/** `*` is the only item when present. */
function WildcardAlone(): PropertyDecorator {
  return ValidateBy({
    name: 'wildcardAlone',
    validator: {
      validate: (value: unknown) => {
        const names = strings(value);
        return !names.includes(ALL_EVENTS) || names.every((e) => e === ALL_EVENTS);
      },
      defaultMessage: () => `"${ALL_EVENTS}" must be the only item of events`,
    },
  });
}

/** `whsec_` + standard base64 of 24–64 bytes. */
function WebhookSecret(): PropertyDecorator {
  return ValidateBy({
    name: 'webhookSecret',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || !value.startsWith(SECRET_PREFIX)) return false;
        try {
          const n = secretKey(value).length;
          return n >= SECRET_MIN_BYTES && n <= SECRET_MAX_BYTES;
        } catch {
          return false;
        }
      },
      defaultMessage: () =>
        `secret must be "${SECRET_PREFIX}" followed by the standard (padded) base64 of ` +
        `${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} random bytes`,
    },
  });
}

const EVENTS_DESCRIPTION =
  `Event names from GET /webhooks/event-types, or ["${ALL_EVENTS}"] for every event (then alone). ` +
  `1–${WEBHOOK_EVENTS_MAX} items as sent; duplicates are removed; unknown names → 422; ` +
  `${TEST_EVENT} cannot be subscribed to.`;
const URL_DESCRIPTION =
  'An absolute http(s) URL without credentials, stored normalized (WHATWG). A malformed URL, another scheme or ' +
  'user:password@ → 422 `validation_failed` (the `errors[].code` is the reason); a host that is or resolves to a ' +
  'loopback, private, link-local or otherwise non-public address (unless WEBHOOK_ALLOW_PRIVATE_TARGETS; ' +
  'link-local and metadata addresses always), `localhost`, or a name that does not resolve → 422 ' +
  '`webhook_url_forbidden` with `reason`.';
const SECRET_DESCRIPTION =
  `Optional signing secret, "${SECRET_PREFIX}" + standard base64 of ${SECRET_MIN_BYTES}–${SECRET_MAX_BYTES} bytes; ` +
  'default: a new random one (32 bytes).';

const EVENTS_SCHEMA = {
  type: String,
  isArray: true,
  minItems: 1,
  maxItems: WEBHOOK_EVENTS_MAX,
  example: ['enrollment.created', 'certificate.issued'],
};

/** POST /webhooks. */
export class CreateWebhookDto {
  @ApiProperty({ type: String, format: 'uri', maxLength: WEBHOOK_URL_MAX, description: URL_DESCRIPTION })
  @Trim()
  @IsString()
  @MaxCodePoints(WEBHOOK_URL_MAX)
  url!: string;

  @ApiProperty({ ...EVENTS_SCHEMA, description: EVENTS_DESCRIPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS_MAX)
  @IsString({ each: true })
  @MaxCodePoints(EVENT_NAME_MAX, { each: true })
  @KnownWebhookEvents()
  @WildcardAlone()
  events!: string[];

  @ApiPropertyOptional({
    type: String,
    maxLength: WEBHOOK_DESCRIPTION_MAX,
    nullable: true,
    description: 'Free text (trimmed; empty → null)',
  })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(WEBHOOK_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ type: Boolean, default: true })
  @NotNullWhenPresent('is_active')
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({
    type: String,
    pattern: SECRET_PATTERN,
    maxLength: SECRET_MAX_LENGTH,
    description: SECRET_DESCRIPTION,
  })
  @NotNullWhenPresent('secret')
  @IsString()
  @WebhookSecret()
  secret?: string;
}

/** PATCH /webhooks/{id}: left out = unchanged; description null clears; url/events/is_active null → 422. */
export class UpdateWebhookDto {
  @ApiPropertyOptional({ type: String, format: 'uri', maxLength: WEBHOOK_URL_MAX, description: URL_DESCRIPTION })
  @NotNullWhenPresent('url')
  @Trim()
  @IsString()
  @MaxCodePoints(WEBHOOK_URL_MAX)
  url?: string;

  @ApiPropertyOptional({ ...EVENTS_SCHEMA, description: `Replaces the list. ${EVENTS_DESCRIPTION}` })
  @NotNullWhenPresent('events')
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS_MAX)
  @IsString({ each: true })
  @MaxCodePoints(EVENT_NAME_MAX, { each: true })
  @KnownWebhookEvents()
  @WildcardAlone()
  events?: string[];

  @ApiPropertyOptional({
    type: String,
    maxLength: WEBHOOK_DESCRIPTION_MAX,
    nullable: true,
    description: 'Free text (trimmed; empty or null clears it)',
  })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(WEBHOOK_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({
    type: Boolean,
    description:
      'false switches the endpoint off (pending deliveries fail at their next attempt); true switches it on again ' +
      'and clears disabled_reason, disabled_at and failing_since.',
  })
  @NotNullWhenPresent('is_active')
  @IsBoolean()
  is_active?: boolean;
}

/** POST /webhooks/{id}/rotate-secret (the body is optional). */
export class RotateWebhookSecretDto {
  @ApiPropertyOptional({
    type: String,
    pattern: SECRET_PATTERN,
    maxLength: SECRET_MAX_LENGTH,
    description: SECRET_DESCRIPTION,
  })
  @NotNullWhenPresent('secret')
  @IsString()
  @WebhookSecret()
  secret?: string;
}

/** GET /webhooks/{id}/deliveries. */
export class DeliveryListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, description: 'Only deliveries in this state (blank = all)' })
  @QueryFilter()
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: `status must be one of: ${DELIVERY_STATUSES.join(', ')}` })
  status?: DeliveryStatus;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, description: 'Only deliveries of this event (blank = all)' })
  @QueryFilter()
  @IsOptional()
  @IsIn(WEBHOOK_EVENT_TYPES, { message: 'event must be an event name of GET /webhooks/event-types' })
  event?: string;
}

/** An endpoint as the admin routes show it: never its secret, sealed or not. */
export class WebhookResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uri' }) url!: string;
  @ApiProperty({ type: [String], description: `Event names, or ["${ALL_EVENTS}"]` }) events!: string[];
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty() is_active!: boolean;
  @ApiProperty({
    enum: WEBHOOK_SOURCES,
    description: '`env`: one of WEBHOOK_TARGET_URLS, read-only here (signed with WEBHOOK_SIGNING_SECRET)',
  })
  source!: WebhookSource;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Why the system switched it off (410 Gone, failing too long); null when on or switched off by an admin',
  })
  disabled_reason!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When it was switched off' })
  disabled_at!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Start of the current run of failed attempts (null after a success)',
  })
  failing_since!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_success_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'After a rotation: until when the previous secret still signs too (null when it no longer does)',
  })
  secret_rotated_until!: string | null;
}

/** POST /webhooks: the endpoint and its secret, shown this once. */
export class WebhookCreatedResponseDto extends WebhookResponseDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret (Standard Webhooks). Shown only here: store it now.',
  })
  secret!: string;
}

export class RotateWebhookSecretResponseDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The new secret, shown only here' })
  secret!: string;
  @ApiProperty({
    format: 'date-time',
    description:
      'Until when the previous secret also signs (now + WEBHOOK_SECRET_ROTATION_OVERLAP_HOURS): both signatures are sent',
  })
  previous_secret_expires_at!: string;
}

export class WebhookDeliveryAcceptedDto {
  @ApiProperty({ format: 'uuid', description: 'The delivery (GET /webhooks/{id}/deliveries/{delivery_id})' })
  delivery_id!: string;
}

export class WebhookDeliveryResponseDto {
  @ApiProperty({ format: 'uuid', description: 'Also the `webhook-id` header, as `msg_<id>`' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The event (for webhook.test, a fresh id)' }) event_id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) event_type!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: DeliveryStatus;
  @ApiProperty({ type: 'integer', minimum: 0 }) attempts!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'HTTP status of the last attempt' })
  last_status_code!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed (timeout, refused…)' })
  last_error!: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) last_duration_ms!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Start of the last response body' })
  last_response_excerpt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) next_attempt_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completed_at!: string | null;
}

export class WebhookDeliveryAttemptDto {
  @ApiProperty({ type: 'integer', minimum: 1 }) attempt!: number;
  @ApiProperty({ format: 'date-time' }) attempted_at!: string;
  @ApiProperty({ type: 'integer', minimum: 0 }) duration_ms!: number;
  @ApiProperty({ type: 'integer', nullable: true }) status_code!: number | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: String, nullable: true }) response_excerpt!: string | null;
}

/** One delivery with what was sent and its attempts (`attempts` is the log here, not the count). */
export class WebhookDeliveryDetailDto extends OmitType(WebhookDeliveryResponseDto, ['attempts'] as const) {
  @ApiProperty({
    description: 'The exact body sent on every attempt: compact JSON `{"event","timestamp","data"}`, as a string',
  })
  body!: string;
  @ApiProperty({
    type: [WebhookDeliveryAttemptDto],
    description: "Every attempt, first to last (its length is the list's `attempts` count)",
  })
  attempts!: WebhookDeliveryAttemptDto[];
}

export class WebhookEventTypeDto {
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "JSON Schema (draft 2020-12) of the event's `data`",
  })
  schema!: Record<string, unknown>;
  @ApiProperty({ description: `false for ${TEST_EVENT} (sent on request to one endpoint)` }) subscribable!: boolean;
}

export class WebhookEventTypeListDto {
  @ApiProperty({ type: [WebhookEventTypeDto] }) items!: WebhookEventTypeDto[];
}
