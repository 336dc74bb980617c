import { Module, type DynamicModule } from '@nestjs/common';

// STUB: replaced by the queue work.
@Module({})
export class QueueModule {
  static forRoot(opts: { workers: boolean }): DynamicModule {
    void opts;
    return { module: QueueModule, global: true };
  }
}
