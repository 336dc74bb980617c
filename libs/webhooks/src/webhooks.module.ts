import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EnvEndpointsSync } from './env-endpoints.js';
import { WebhooksAdminService } from './http/webhooks-admin.service.js';
import { WebhooksController } from './http/webhooks.controller.js';
import { WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint } from './webhook.entity.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookJobsHandler } from './webhook-jobs.handler.js';
import { WebhookSecrets } from './webhook-secrets.js';

/**
 * Webhooks: the entities, the delivery engine and the env targets' sync everywhere; where workers
 * run, the webhooks queue's handlers; with `http`, the /webhooks admin routes.
 */
@Module({})
export class WebhooksModule {
  static forRoot(opts: { workers: boolean; http?: boolean }): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [TypeOrmModule.forFeature([WebhookEndpoint, WebhookDelivery, WebhookDeliveryAttempt])],
      controllers: opts.http ? [WebhooksController] : [],
      providers: [
        WebhookSecrets,
        WebhookDispatcher,
        EnvEndpointsSync,
        ...(opts.workers ? [WebhookJobsHandler] : []),
        ...(opts.http ? [WebhooksAdminService] : []),
      ],
      exports: [WebhookDispatcher, WebhookSecrets],
    };
  }
}
