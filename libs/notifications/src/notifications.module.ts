import { Module, type DynamicModule } from '@nestjs/common';
import { EmailService } from './email.service.js';
import { EmailTransport } from './email.transport.js';
import { SendEmailHandler } from './send-email.handler.js';

/**
 * Email: EmailService everywhere; the send-email job handler and its transport where workers run
 * (the transport is exported there for other features' email jobs, e.g. auth's account emails).
 */
@Module({})
export class NotificationsModule {
  static forRoot(opts: { workers: boolean }): DynamicModule {
    return {
      module: NotificationsModule,
      global: true,
      providers: [EmailService, ...(opts.workers ? [EmailTransport, SendEmailHandler] : [])],
      exports: [EmailService, ...(opts.workers ? [EmailTransport] : [])],
    };
  }
}
