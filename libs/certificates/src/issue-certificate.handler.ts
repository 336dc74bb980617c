import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobHandler, ProblemException, type IssueCertificatePayload } from '#core';
import { CertificatesService } from './certificates.service.js';

/**
 * certificates / issue-certificate (from enrollment.completed, at least once): issues the
 * enrollment's certificate unless it has one. Redelivery is harmless (the issue is exactly-once);
 * an enrollment that no longer exists or is not completed (e.g. reset by an admin) is logged and
 * dropped rather than retried; any other failure (database, storage) is retried with backoff.
 */
@Injectable()
export class IssueCertificateHandler {
  private readonly logger = new Logger(IssueCertificateHandler.name);

  constructor(@Inject(CertificatesService) private readonly certificates: CertificatesService) {}

  @JobHandler('certificates', 'issue-certificate')
  async handle(payload: IssueCertificatePayload): Promise<{ certificate_id: string | null; created: boolean }> {
    try {
      const { certificate, created } = await this.certificates.issue(payload.enrollment_id);
      return { certificate_id: certificate.id, created };
    } catch (err) {
      if (err instanceof ProblemException && (err.getStatus() === 404 || err.getStatus() === 400)) {
        this.logger.warn(`no certificate for enrollment ${payload.enrollment_id}: ${err.detail}`);
        return { certificate_id: null, created: false };
      }
      throw err;
    }
  }
}
