import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxEvent } from './outbox-event.entity.js';
import { OutboxRelay } from './outbox.relay.js';
import { OutboxService } from './outbox.service.js';
import { ProcessedEvent } from './processed-event.entity.js';
import { ProcessedEvents } from './processed-events.js';

/**
 * The transactional outbox: OutboxService.record() everywhere; the relay where `relay` is true;
 * ProcessedEvents (processed_events) for the queue processors and handlers.
 */
@Module({})
export class OutboxModule {
  static forRoot(opts: { relay: boolean }): DynamicModule {
    return {
      module: OutboxModule,
      global: true,
      imports: [TypeOrmModule.forFeature([OutboxEvent, ProcessedEvent])],
      providers: [OutboxService, ProcessedEvents, ...(opts.relay ? [OutboxRelay] : [])],
      exports: [OutboxService, ProcessedEvents],
    };
  }
}
