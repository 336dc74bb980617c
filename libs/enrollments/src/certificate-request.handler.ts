import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobHandler, type IssueCertificatePayload } from '#core';

/** certificates / issue-certificate: records the request (idempotent) until certificates exist. */
@Injectable()
export class CertificateRequestHandler {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @JobHandler('certificates', 'issue-certificate')
  async handle(payload: IssueCertificatePayload): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO certificate_requests (enrollment_id) VALUES ($1)
       ON CONFLICT (enrollment_id) DO UPDATE SET requests = certificate_requests.requests + 1`,
      [payload.enrollment_id],
    );
  }
}
