import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxEvent } from './outbox-event.entity.js';
import { OutboxRelay } from './outbox.relay.js';
import { OutboxService } from './outbox.service.js';

/** The transactional outbox: OutboxService.record() everywhere; the relay where `relay` is true. */
@Module({})
export class OutboxModule {
  static forRoot(opts: { relay: boolean }): DynamicModule {
    return {
      module: OutboxModule,
      global: true,
      imports: [TypeOrmModule.forFeature([OutboxEvent])],
      providers: [OutboxService, ...(opts.relay ? [OutboxRelay] : [])],
      exports: [OutboxService],
    };
  }
}
