import { Module, type DynamicModule } from '@nestjs/common';

// STUB: replaced by the outbox work.
@Module({})
export class OutboxModule {
  static forRoot(opts: { relay: boolean }): DynamicModule {
    void opts;
    return { module: OutboxModule, global: true };
  }
}
