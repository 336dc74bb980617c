import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiPaginatedResponse,
  Authenticated,
  CurrentUser,
  PaginationQueryDto,
  uuidParam,
  type AuthUser,
  type Page,
  Endpoint,
} from '#core';
import {
  CreateWebhookDto,
  DeliveryListQueryDto,
  RotateWebhookSecretDto,
  RotateWebhookSecretResponseDto,
  UpdateWebhookDto,
  WebhookCreatedResponseDto,
  WebhookDeliveryAcceptedDto,
  WebhookDeliveryDetailDto,
  WebhookDeliveryResponseDto,
  WebhookEventTypeListDto,
  WebhookResponseDto,
} from './webhook.dto.js';
import { WebhooksAdminService } from './webhooks-admin.service.js';

/** Admin only, with the 401/403 answers documented as problems. */
const AdminOnly = (): MethodDecorator & ClassDecorator => Authenticated({ roles: ['admin'] });

const WEBHOOK_NOT_FOUND = 'Webhook not found';
const DELIVERY_NOT_FOUND = 'Webhook not found / Delivery not found';
const BAD_ID = 'id is not a UUID';
const BAD_IDS = 'id or delivery_id is not a UUID';
const MANAGED_BY_CONFIG = '`webhook_managed_by_config`: an env endpoint (WEBHOOK_TARGET_URLS) is read-only here';
const BAD_ENDPOINT_BODY =
  '`idempotency_key_reused` (create); validation failed (unknown field, bad events/description/secret, malformed URL: `validation_failed`, the URL ' +
  'reason in `errors[].code`); `webhook_url_forbidden` with `reason` (`localhost`, `forbidden_address`, ' +
  '`unresolvable`): the target is not a public address; id is not a UUID';

/** /webhooks: outgoing webhook endpoints and their delivery log (admins). */
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(@Inject(WebhooksAdminService) private readonly webhooks: WebhooksAdminService) {}

  @Get('event-types')
  @AdminOnly()
  @Endpoint({
    summary: 'The event catalogue: every event name with its description and the JSON Schema of its `data`',
    description: '`webhook.test` is listed with `subscribable: false`: it is sent on request to one endpoint.',
    operationId: 'listWebhookEventTypes',
  })
  @ApiOkResponse({ type: WebhookEventTypeListDto })
  eventTypes(): WebhookEventTypeListDto {
    return this.webhooks.eventTypes();
  }

  @Post()
  @HttpCode(201)
  @AdminOnly()
  @Endpoint({
    summary: 'Create a webhook endpoint (admin)',
    description:
      'The answer carries the signing `secret`, shown only here (sealed at rest). The URL is checked against the ' +
      'SSRF policy now, and every address is checked again at delivery. Not idempotent (no `Idempotency-Key`): a ' +
      'stored answer would keep the secret in plain form; a client that lost the answer rotates the secret.',
    operationId: 'createWebhook',
    errors: { 422: BAD_ENDPOINT_BODY },
  })
  @ApiBody({ type: CreateWebhookDto })
  @ApiCreatedResponse({ type: WebhookCreatedResponseDto })
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateWebhookDto): Promise<WebhookCreatedResponseDto> {
    return this.webhooks.create(caller, body);
  }

  @Get()
  @AdminOnly()
  @Endpoint({
    summary: 'Webhook endpoints, newest first (admin)',
    description: 'Env endpoints (WEBHOOK_TARGET_URLS, `source: env`) are included, read-only.',
    operationId: 'listWebhooks',
    errors: { 422: 'Bad page or page_size' },
  })
  @ApiPaginatedResponse(WebhookResponseDto)
  list(@Query() query: PaginationQueryDto): Promise<Page<WebhookResponseDto>> {
    return this.webhooks.list(query);
  }

  @Get(':id')
  @AdminOnly()
  @Endpoint({
    summary: 'One webhook endpoint (admin)',
    operationId: 'getWebhook',
    errors: { 404: WEBHOOK_NOT_FOUND, 422: BAD_ID },
  })
  @ApiOkResponse({ type: WebhookResponseDto })
  get(@Param('id', uuidParam('id')) id: string): Promise<WebhookResponseDto> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @AdminOnly()
  @Endpoint({
    summary: 'Update a webhook endpoint (admin)',
    description:
      'Left-out fields are unchanged; `description: null` clears it; null url/events/is_active is 422. A new URL is ' +
      'checked as on create. `is_active: true` on a disabled endpoint clears disabled_reason, disabled_at and ' +
      'failing_since (deliveries it missed can be redelivered).',
    operationId: 'updateWebhook',
    errors: { 404: WEBHOOK_NOT_FOUND, 409: MANAGED_BY_CONFIG, 422: BAD_ENDPOINT_BODY },
  })
  @ApiBody({ type: UpdateWebhookDto })
  @ApiOkResponse({ type: WebhookResponseDto })
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateWebhookDto): Promise<WebhookResponseDto> {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminOnly()
  @Endpoint({
    summary: 'Delete a webhook endpoint and its delivery log (admin)',
    operationId: 'deleteWebhook',
    errors: { 404: WEBHOOK_NOT_FOUND, 409: MANAGED_BY_CONFIG, 422: BAD_ID },
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@Param('id', uuidParam('id')) id: string): Promise<void> {
    await this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @AdminOnly()
  @Endpoint({
    summary: "Rotate an endpoint's signing secret (admin)",
    description:
      'A new secret (generated, or the one given), shown only here. The previous secret keeps signing too (a second ' +
      '`v1,` signature) for WEBHOOK_SECRET_ROTATION_OVERLAP_HOURS. One previous secret is kept: rotating again ' +
      'replaces it, whether or not its overlap had run out.',
    operationId: 'rotateWebhookSecret',
    errors: { 404: WEBHOOK_NOT_FOUND, 409: MANAGED_BY_CONFIG, 422: 'Bad secret, unknown field, id is not a UUID' },
  })
  @ApiBody({ type: RotateWebhookSecretDto, required: false })
  @ApiOkResponse({ type: RotateWebhookSecretResponseDto })
  rotateSecret(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: RotateWebhookSecretDto,
  ): Promise<RotateWebhookSecretResponseDto> {
    return this.webhooks.rotateSecret(id, body?.secret);
  }

  @Post(':id/test')
  @HttpCode(202)
  @AdminOnly()
  @Endpoint({
    summary: 'Send a webhook.test event to this endpoint (admin)',
    description: 'Enqueued at once, whatever the endpoint subscribes to; follow it in the delivery log.',
    operationId: 'sendWebhookTest',
    errors: { 404: WEBHOOK_NOT_FOUND, 409: '`webhook_disabled`: the endpoint is switched off', 422: BAD_ID },
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryAcceptedDto })
  test(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string): Promise<WebhookDeliveryAcceptedDto> {
    return this.webhooks.test(caller, id);
  }

  @Get(':id/deliveries')
  @AdminOnly()
  @Endpoint({
    summary: "An endpoint's deliveries, newest first (admin)",
    description: 'Optional filters `status` (pending, succeeded, failed) and `event` (an event name).',
    operationId: 'listWebhookDeliveries',
    errors: { 404: WEBHOOK_NOT_FOUND, 422: 'Bad status, event, page or page_size; id is not a UUID' },
  })
  @ApiPaginatedResponse(WebhookDeliveryResponseDto)
  deliveries(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: DeliveryListQueryDto,
  ): Promise<Page<WebhookDeliveryResponseDto>> {
    return this.webhooks.deliveries(id, query);
  }

  @Get(':id/deliveries/:delivery_id')
  @AdminOnly()
  @Endpoint({
    summary: 'One delivery with the body sent and every attempt (admin)',
    operationId: 'getWebhookDelivery',
    errors: { 404: DELIVERY_NOT_FOUND, 422: BAD_IDS },
  })
  @ApiOkResponse({ type: WebhookDeliveryDetailDto })
  delivery(
    @Param('id', uuidParam('id')) id: string,
    @Param('delivery_id', uuidParam('delivery_id')) deliveryId: string,
  ): Promise<WebhookDeliveryDetailDto> {
    return this.webhooks.delivery(id, deliveryId);
  }

  @Post(':id/deliveries/:delivery_id/redeliver')
  @HttpCode(202)
  @AdminOnly()
  @Endpoint({
    summary: 'Send a finished delivery again (admin)',
    description:
      'Same webhook-id and body; back to pending with its attempt count kept, and an attempt enqueued now. A ' +
      'delivery that had used up its retries is not retried again if this attempt fails.',
    operationId: 'redeliverWebhookDelivery',
    errors: {
      404: DELIVERY_NOT_FOUND,
      409: '`delivery_pending`: still pending (it will be attempted); `webhook_disabled`: endpoint switched off',
      422: BAD_IDS,
    },
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryAcceptedDto })
  redeliver(
    @Param('id', uuidParam('id')) id: string,
    @Param('delivery_id', uuidParam('delivery_id')) deliveryId: string,
  ): Promise<WebhookDeliveryAcceptedDto> {
    return this.webhooks.redeliver(id, deliveryId);
  }
}
