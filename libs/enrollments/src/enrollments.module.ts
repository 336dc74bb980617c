import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CertificateRequest } from './certificate-request.entity.js';
import { CertificateRequestHandler } from './certificate-request.handler.js';
import { Enrollment, LessonProgress } from './enrollment.entity.js';

/** Enrollment entities and, where workers run, the job handlers of this feature. */
@Module({})
export class EnrollmentsModule {
  static forRoot(opts: { workers: boolean }): DynamicModule {
    return {
      module: EnrollmentsModule,
      imports: [TypeOrmModule.forFeature([Enrollment, LessonProgress, CertificateRequest])],
      providers: opts.workers ? [CertificateRequestHandler] : [],
      exports: [TypeOrmModule],
    };
  }
}
