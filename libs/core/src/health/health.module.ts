import { Module } from '@nestjs/common';

// STUB: replaced by the health/ready work.
@Module({})
export class HealthModule {}
