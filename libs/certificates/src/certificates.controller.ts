import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApiPaginatedResponse,
  Authenticated,
  CurrentUser,
  PaginationQueryDto,
  Public,
  uuidParam,
  type AuthUser,
  type Page,
  Endpoint,
} from '#core';
import {
  CertificateListResponseDto,
  CertificateResponseDto,
  MyCertificatesQueryDto,
  RevokeCertificateDto,
  VerifyCertificateResponseDto,
} from './dto/certificate.dto.js';
import { CertificatesService } from './certificates.service.js';

/** /certificates (reference §9): generate, list, verify, download, revoke. */
@ApiTags('certificates')
@Controller('certificates')
export class CertificatesController {
  constructor(@Inject(CertificatesService) private readonly certificates: CertificatesService) {}

  @Post('enrollments/:enrollment_id/generate')
  @HttpCode(201)
  @Authenticated()
  @Endpoint({
    summary: "Issue the enrollment's certificate (idempotent)",
    description:
      'Admins, the enrolled student, or the instructor of the course. Certificates are issued automatically when ' +
      'an enrollment completes; this returns the existing certificate (still 201) when there is one. Exactly one ' +
      'certificate per enrollment, whatever the concurrency.',
    operationId: 'generateCertificate',
    errors: {
      400: '`enrollment_not_complete`: Enrollment is not complete yet',
      403: 'Not authorized to generate certificate for this enrollment',
      404: 'Enrollment not found',
      422: 'enrollment_id is not a UUID',
    },
  })
  @ApiCreatedResponse({ type: CertificateResponseDto })
  async generate(
    @CurrentUser() caller: AuthUser,
    @Param('enrollment_id', uuidParam('enrollment_id')) enrollmentId: string,
  ): Promise<CertificateResponseDto> {
    const { certificate } = await this.certificates.issue(enrollmentId, caller);
    return this.certificates.toResponse(certificate);
  }

  @Get('my-certificates')
  @Authenticated()
  @Endpoint({
    summary: "The caller's valid certificates, newest first",
    description: 'Revoked certificates are left out. Optional `page` and `page_size` (default and maximum 100).',
    operationId: 'listMyCertificates',
    errors: { 422: 'Bad page or page_size' },
  })
  @ApiOkResponse({ type: CertificateListResponseDto })
  myCertificates(
    @CurrentUser() caller: AuthUser,
    @Query() query: MyCertificatesQueryDto,
  ): Promise<CertificateListResponseDto> {
    return this.certificates.myCertificates(caller, query);
  }

  @Get('verify/:certificate_number')
  @Public()
  @Endpoint({
    summary: 'Verify a certificate number (public, always 200)',
    description:
      '`valid: true` with the certificate; a revoked certificate answers `valid: false`, `certificate: null`, ' +
      '"Certificate has been revoked" with `revoked_at` and `revocation_reason`; an unknown number "Certificate not found".',
    operationId: 'verifyCertificate',
  })
  @ApiOkResponse({ type: VerifyCertificateResponseDto })
  verify(@Param('certificate_number') number: string): Promise<VerifyCertificateResponseDto> {
    return this.certificates.verifyNumber(number);
  }

  @Get('public/verify/:certificate_id')
  @Public()
  @Endpoint({
    summary: 'A valid certificate by id (public)',
    operationId: 'verifyCertificateById',
    errors: { 404: 'Certificate not found or invalid (unknown or revoked)', 422: 'certificate_id is not a UUID' },
  })
  @ApiOkResponse({ type: CertificateResponseDto })
  publicVerify(@Param('certificate_id', uuidParam('certificate_id')) id: string): Promise<CertificateResponseDto> {
    return this.certificates.publicVerify(id);
  }

  @Get(':certificate_id/download')
  @Authenticated()
  @Endpoint({
    summary: 'Download the certificate PDF',
    description:
      'Admins and the certificate’s student (instructors: 403). Revoked certificates can still be downloaded.',
    operationId: 'downloadCertificate',
    errors: {
      403: 'Not authorized to access this certificate',
      404: 'Certificate not found',
      422: 'certificate_id is not a UUID',
    },
  })
  @ApiProduces('application/pdf')
  @ApiOkResponse({
    description: 'The PDF, `Content-Disposition: attachment; filename="<certificate_number>.pdf"`',
    content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
  })
  async download(
    @CurrentUser() caller: AuthUser,
    @Param('certificate_id', uuidParam('certificate_id')) id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const row = await this.certificates.readable(caller, id);
    const pdf = await this.certificates.pdf(row);
    await reply
      .status(200)
      .header('Content-Type', 'application/pdf')
      .header('Content-Length', String(pdf.size))
      .header('Content-Disposition', `attachment; filename="${row.certificate_number}.pdf"`)
      .header('X-Content-Type-Options', 'nosniff')
      .header('ETag', `"${pdf.sha256}"`)
      .header('Cache-Control', 'private, no-cache')
      .send(pdf.body);
  }

  @Post(':certificate_id/revoke')
  @HttpCode(200)
  @Authenticated()
  @Endpoint({
    summary: 'Revoke a certificate (admin; idempotent)',
    description:
      'Optional `reason` (≤ 500 characters, shown to verifiers). Revoking a revoked certificate answers it unchanged. ' +
      'Verification, the public lookup and the credential status list reflect it at once.',
    operationId: 'revokeCertificate',
    errors: {
      403: 'Only admins can revoke certificates',
      404: 'Certificate not found',
      422: 'Bad certificate_id or reason',
    },
  })
  @ApiOkResponse({ type: CertificateResponseDto })
  revoke(
    @CurrentUser() caller: AuthUser,
    @Param('certificate_id', uuidParam('certificate_id')) id: string,
    @Body() body: RevokeCertificateDto,
  ): Promise<CertificateResponseDto> {
    return this.certificates.revoke(caller, id, body.reason);
  }
}

/** GET /courses/{course_id}/certificates: a course's certificates for its managers. */
@ApiTags('certificates')
@Controller('courses')
export class CourseCertificatesController {
  constructor(@Inject(CertificatesService) private readonly certificates: CertificatesService) {}

  @Get(':course_id/certificates')
  @Authenticated()
  @Endpoint({
    summary: "A course's certificates, revoked ones included, newest first (the course's manager)",
    operationId: 'listCourseCertificates',
    errors: { 403: 'Not the course manager', 404: 'Course not found', 422: 'Bad course_id, page or page_size' },
  })
  @ApiPaginatedResponse(CertificateResponseDto)
  list(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<CertificateResponseDto>> {
    return this.certificates.courseCertificates(caller, courseId, query);
  }
}
