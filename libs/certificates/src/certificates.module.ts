import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FileStorageModule } from '#files';
import { Certificate } from './certificate.entity.js';
import { CertificatesController, CourseCertificatesController } from './certificates.controller.js';
import { CertificatesService } from './certificates.service.js';
import { CredentialsController, WellKnownController } from './credentials.controller.js';
import { CredentialsService } from './credentials.service.js';
import { IssueCertificateHandler } from './issue-certificate.handler.js';

/**
 * Certificates: the entity and service; where workers run, the issue-certificate job; with `http`,
 * the /certificates routes, the course's certificate list, the credential routes and the JWKS.
 */
@Module({})
export class CertificatesModule {
  static forRoot(opts: { workers: boolean; http?: boolean }): DynamicModule {
    return {
      module: CertificatesModule,
      imports: [
        TypeOrmModule.forFeature([Certificate]),
        // The PDFs live in the files storage (local or Azure). EmailService comes from the global NotificationsModule.
        FileStorageModule,
      ],
      controllers: opts.http
        ? [CertificatesController, CourseCertificatesController, CredentialsController, WellKnownController]
        : [],
      providers: [
        CertificatesService,
        ...(opts.http ? [CredentialsService] : []),
        ...(opts.workers ? [IssueCertificateHandler] : []),
      ],
      exports: [CertificatesService],
    };
  }
}
