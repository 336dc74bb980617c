import { Module, type DynamicModule } from '@nestjs/common';

// STUB: replaced by the email transport work.
@Module({})
export class NotificationsModule {
  static forRoot(opts: { workers: boolean }): DynamicModule {
    void opts;
    return { module: NotificationsModule };
  }
}
