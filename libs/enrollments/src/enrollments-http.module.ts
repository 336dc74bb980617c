import { Module } from '@nestjs/common';

// STUB: /enrollments endpoints (replaced by that work).
@Module({})
export class EnrollmentsHttpModule {}
