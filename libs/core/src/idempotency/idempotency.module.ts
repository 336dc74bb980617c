import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from './idempotency-key.entity.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * Storage and purge of Idempotency-Key responses. Global: the interceptor that @Idempotent()
 * attaches to a route resolves IdempotencyService from here, so an app only imports this module
 * (importing it more than once is harmless: Nest keeps one instance of a static module).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([IdempotencyKey])],
  providers: [IdempotencyService],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
