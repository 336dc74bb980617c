import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import {
  ApiPaginatedResponse,
  Authenticated,
  CurrentUser,
  PaginationQueryDto,
  PROBLEM_SCHEMA_REF,
  uuidParam,
  type AuthUser,
  type Page,
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

const PROBLEM = PROBLEM_SCHEMA_REF;

/** Admin only, with the 401/403 answers documented as problems. */
const AdminOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    Authenticated({ roles: ['admin'] }),
    ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked access token', schema: PROBLEM }),
    ApiForbiddenResponse({ description: 'Requires role: admin', schema: PROBLEM }),
  );

const WEBHOOK_NOT_FOUND = { description: 'Webhook not found', schema: PROBLEM };
const DELIVERY_NOT_FOUND = { description: 'Webhook not found / Delivery not found', schema: PROBLEM };
const BAD_ID = { description: 'id is not a UUID', schema: PROBLEM };
const BAD_IDS = { description: 'id or delivery_id is not a UUID', schema: PROBLEM };
const MANAGED_BY_CONFIG = {
  description: '`webhook_managed_by_config`: an env endpoint (WEBHOOK_TARGET_URLS) is read-only here',
  schema: PROBLEM,
};
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
  @ApiOperation({
    summary: 'The event catalogue: every event name with its description and the JSON Schema of its `data`',
    description: '`webhook.test` is listed with `subscribable: false`: it is sent on request to one endpoint.',
  })
  @ApiOkResponse({ type: WebhookEventTypeListDto })
  eventTypes(): WebhookEventTypeListDto {
    return this.webhooks.eventTypes();
  }

  @Post()
  @HttpCode(201)
  @AdminOnly()
  @ApiOperation({
    summary: 'Create a webhook endpoint (admin)',
    description:
      'The answer carries the signing `secret`, shown only here (sealed at rest). The URL is checked against the ' +
      'SSRF policy now, and every address is checked again at delivery. Not idempotent (no `Idempotency-Key`): a ' +
      'stored answer would keep the secret in plain form; a client that lost the answer rotates the secret.',
  })
  @ApiBody({ type: CreateWebhookDto })
  @ApiCreatedResponse({ type: WebhookCreatedResponseDto })
  @ApiUnprocessableEntityResponse({ description: BAD_ENDPOINT_BODY, schema: PROBLEM })
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateWebhookDto): Promise<WebhookCreatedResponseDto> {
    return this.webhooks.create(caller, body);
  }

  @Get()
  @AdminOnly()
  @ApiOperation({
    summary: 'Webhook endpoints, newest first (admin)',
    description: 'Env endpoints (WEBHOOK_TARGET_URLS, `source: env`) are included, read-only.',
  })
  @ApiPaginatedResponse(WebhookResponseDto)
  @ApiUnprocessableEntityResponse({ description: 'Bad page or page_size', schema: PROBLEM })
  list(@Query() query: PaginationQueryDto): Promise<Page<WebhookResponseDto>> {
    return this.webhooks.list(query);
  }

  @Get(':id')
  @AdminOnly()
  @ApiOperation({ summary: 'One webhook endpoint (admin)' })
  @ApiOkResponse({ type: WebhookResponseDto })
  @ApiNotFoundResponse(WEBHOOK_NOT_FOUND)
  @ApiUnprocessableEntityResponse(BAD_ID)
  get(@Param('id', uuidParam('id')) id: string): Promise<WebhookResponseDto> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @AdminOnly()
  @ApiOperation({
    summary: 'Update a webhook endpoint (admin)',
    description:
      'Left-out fields are unchanged; `description: null` clears it; null url/events/is_active is 422. A new URL is ' +
      'checked as on create. `is_active: true` on a disabled endpoint clears disabled_reason, disabled_at and ' +
      'failing_since (deliveries it missed can be redelivered).',
  })
  @ApiBody({ type: UpdateWebhookDto })
  @ApiOkResponse({ type: WebhookResponseDto })
  @ApiNotFoundResponse(WEBHOOK_NOT_FOUND)
  @ApiConflictResponse(MANAGED_BY_CONFIG)
  @ApiUnprocessableEntityResponse({ description: BAD_ENDPOINT_BODY, schema: PROBLEM })
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateWebhookDto): Promise<WebhookResponseDto> {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminOnly()
  @ApiOperation({ summary: 'Delete a webhook endpoint and its delivery log (admin)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse(WEBHOOK_NOT_FOUND)
  @ApiConflictResponse(MANAGED_BY_CONFIG)
  @ApiUnprocessableEntityResponse(BAD_ID)
  async remove(@Param('id', uuidParam('id')) id: string): Promise<void> {
    await this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary: "Rotate an endpoint's signing secret (admin)",
    description:
      'A new secret (generated, or the one given), shown only here. The previous secret keeps signing too (a second ' +
      '`v1,` signature) for WEBHOOK_SECRET_ROTATION_OVERLAP_HOURS. One previous secret is kept: rotating again ' +
      'replaces it, whether or not its overlap had run out.',
  })
  @ApiBody({ type: RotateWebhookSecretDto, required: false })
  @ApiOkResponse({ type: RotateWebhookSecretResponseDto })
  @ApiNotFoundResponse(WEBHOOK_NOT_FOUND)
  @ApiConflictResponse(MANAGED_BY_CONFIG)
  @ApiUnprocessableEntityResponse({ description: 'Bad secret, unknown field, id is not a UUID', schema: PROBLEM })
  rotateSecret(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: RotateWebhookSecretDto,
  ): Promise<RotateWebhookSecretResponseDto> {
    return this.webhooks.rotateSecret(id, body?.secret);
  }

  @Post(':id/test')
  @HttpCode(202)
  @AdminOnly()
  @ApiOperation({
    summary: 'Send a webhook.test event to this endpoint (admin)',
    description: 'Enqueued at once, whatever the endpoint subscribes to; follow it in the delivery log.',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryAcceptedDto })
  @ApiNotFoundResponse(WEBHOOK_NOT_FOUND)
  @ApiConflictResponse({ description: '`webhook_disabled`: the endpoint is switched off', schema: PROBLEM })
  @ApiUnprocessableEntityResponse(BAD_ID)
  test(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string): Promise<WebhookDeliveryAcceptedDto> {
    return this.webhooks.test(caller, id);
  }

  @Get(':id/deliveries')
  @AdminOnly()
  @ApiOperation({
    summary: "An endpoint's deliveries, newest first (admin)",
    description: 'Optional filters `status` (pending, succeeded, failed) and `event` (an event name).',
  })
  @ApiPaginatedResponse(WebhookDeliveryResponseDto)
  @ApiNotFoundResponse(WEBHOOK_NOT_FOUND)
  @ApiUnprocessableEntityResponse({
    description: 'Bad status, event, page or page_size; id is not a UUID',
    schema: PROBLEM,
  })
  deliveries(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: DeliveryListQueryDto,
  ): Promise<Page<WebhookDeliveryResponseDto>> {
    return this.webhooks.deliveries(id, query);
  }

  @Get(':id/deliveries/:delivery_id')
  @AdminOnly()
  @ApiOperation({ summary: 'One delivery with the body sent and every attempt (admin)' })
  @ApiOkResponse({ type: WebhookDeliveryDetailDto })
  @ApiNotFoundResponse(DELIVERY_NOT_FOUND)
  @ApiUnprocessableEntityResponse(BAD_IDS)
  delivery(
    @Param('id', uuidParam('id')) id: string,
    @Param('delivery_id', uuidParam('delivery_id')) deliveryId: string,
  ): Promise<WebhookDeliveryDetailDto> {
    return this.webhooks.delivery(id, deliveryId);
  }

  @Post(':id/deliveries/:delivery_id/redeliver')
  @HttpCode(202)
  @AdminOnly()
  @ApiOperation({
    summary: 'Send a finished delivery again (admin)',
    description:
      'Same webhook-id and body; back to pending with its attempt count kept, and an attempt enqueued now. A ' +
      'delivery that had used up its retries is not retried again if this attempt fails.',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryAcceptedDto })
  @ApiNotFoundResponse(DELIVERY_NOT_FOUND)
  @ApiConflictResponse({
    description: '`delivery_pending`: still pending (it will be attempted); `webhook_disabled`: endpoint switched off',
    schema: PROBLEM,
  })
  @ApiUnprocessableEntityResponse(BAD_IDS)
  redeliver(
    @Param('id', uuidParam('id')) id: string,
    @Param('delivery_id', uuidParam('delivery_id')) deliveryId: string,
  ): Promise<WebhookDeliveryAcceptedDto> {
    return this.webhooks.redeliver(id, deliveryId);
  }
}
