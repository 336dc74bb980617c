export {
  WebhookEndpoint,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  WEBHOOK_URL_MAX,
  WEBHOOK_DESCRIPTION_MAX,
  WEBHOOK_EVENTS_MAX,
  DELIVERY_STATUSES,
  type DeliveryStatus,
} from './webhook.entity.js';
export { WebhooksModule } from './webhooks.module.js';
export {
  WebhookDispatcher,
  WEBHOOK_RESOLVER,
  WEBHOOK_RANDOM,
  envEndpointId,
  webhookTimestamp,
  deliverJobId,
  type AttemptResult,
} from './webhook-dispatcher.js';
export { WebhookJobsHandler, RESUME_DELIVERIES_SCHEDULER_ID } from './webhook-jobs.handler.js';
export { WebhookSecrets } from './webhook-secrets.js';
export {
  WEBHOOK_EVENTS,
  WEBHOOK_EVENT_TYPES,
  DOMAIN_WEBHOOK_EVENTS,
  isWebhookEventType,
  type WebhookEventType,
  type WebhookEventPayloads,
  type JsonSchema,
} from './event-catalog.js';
export { checkWebhookUrl, type UrlCheckResult } from './delivery/url-policy.js';
export { generateWebhookSecret, legacySignature, standardSignature } from './delivery/signing.js';
export { RETRY_DELAYS_MS, MAX_DELIVERY_ATTEMPTS, nextAttemptDelay } from './delivery/retry-schedule.js';
export { type LookupFn } from './delivery/lookup.js';
export { WebhooksController } from './http/webhooks.controller.js';
export { WebhooksAdminService } from './http/webhooks-admin.service.js';
export {
  CreateWebhookDto,
  UpdateWebhookDto,
  RotateWebhookSecretDto,
  DeliveryListQueryDto,
  WebhookResponseDto,
  WebhookCreatedResponseDto,
  RotateWebhookSecretResponseDto,
  WebhookDeliveryAcceptedDto,
  WebhookDeliveryResponseDto,
  WebhookDeliveryDetailDto,
  WebhookDeliveryAttemptDto,
  WebhookEventTypeDto,
  WebhookEventTypeListDto,
  SUBSCRIBABLE_EVENTS,
  SECRET_MIN_BYTES,
  SECRET_MAX_BYTES,
} from './http/webhook.dto.js';
