import { Module } from '@nestjs/common';

// STUB: rate limiting (replaced by that work).
@Module({})
export class RateLimitModule {}
