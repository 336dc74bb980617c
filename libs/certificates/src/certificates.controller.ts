import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApiPaginatedResponse,
  Authenticated,
  CurrentUser,
  PaginationQueryDto,
  Public,
  PROBLEM_SCHEMA_REF,
  uuidParam,
  type AuthUser,
  type Page,
} from '#core';
import {
  CertificateListResponseDto,
  CertificateResponseDto,
  MyCertificatesQueryDto,
  RevokeCertificateDto,
  VerifyCertificateResponseDto,
} from './dto/certificate.dto.js';
import { CertificatesService } from './certificates.service.js';

const PROBLEM = PROBLEM_SCHEMA_REF;

/** /certificates (reference §9): generate, list, verify, download, revoke. */
@ApiTags('certificates')
@Controller('certificates')
export class CertificatesController {
  constructor(@Inject(CertificatesService) private readonly certificates: CertificatesService) {}

  @Post('enrollments/:enrollment_id/generate')
  @HttpCode(201)
  @Authenticated()
  @ApiOperation({
    summary: "Issue the enrollment's certificate (idempotent)",
    description:
      'Admins, the enrolled student, or the instructor of the course. Certificates are issued automatically when ' +
      'an enrollment completes; this returns the existing certificate (still 201) when there is one. Exactly one ' +
      'certificate per enrollment, whatever the concurrency.',
  })
  @ApiCreatedResponse({ type: CertificateResponseDto })
  @ApiBadRequestResponse({ description: '`enrollment_not_complete`: Enrollment is not complete yet', schema: PROBLEM })
  @ApiForbiddenResponse({ description: 'Not authorized to generate certificate for this enrollment', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Enrollment not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'enrollment_id is not a UUID', schema: PROBLEM })
  async generate(
    @CurrentUser() caller: AuthUser,
    @Param('enrollment_id', uuidParam('enrollment_id')) enrollmentId: string,
  ): Promise<CertificateResponseDto> {
    const { certificate } = await this.certificates.issue(enrollmentId, caller);
    return this.certificates.toResponse(certificate);
  }

  @Get('my-certificates')
  @Authenticated()
  @ApiOperation({
    summary: "The caller's valid certificates, newest first",
    description: 'Revoked certificates are left out. Optional `page` and `page_size` (default and maximum 100).',
  })
  @ApiOkResponse({ type: CertificateListResponseDto })
  @ApiUnprocessableEntityResponse({ description: 'Bad page or page_size', schema: PROBLEM })
  myCertificates(
    @CurrentUser() caller: AuthUser,
    @Query() query: MyCertificatesQueryDto,
  ): Promise<CertificateListResponseDto> {
    return this.certificates.myCertificates(caller, query);
  }

  @Get('verify/:certificate_number')
  @Public()
  @ApiOperation({
    summary: 'Verify a certificate number (public, always 200)',
    description:
      '`valid: true` with the certificate; a revoked certificate answers `valid: false`, `certificate: null`, ' +
      '"Certificate has been revoked" with `revoked_at` and `revocation_reason`; an unknown number "Certificate not found".',
  })
  @ApiOkResponse({ type: VerifyCertificateResponseDto })
  verify(@Param('certificate_number') number: string): Promise<VerifyCertificateResponseDto> {
    return this.certificates.verifyNumber(number);
  }

  @Get('public/verify/:certificate_id')
  @Public()
  @ApiOperation({ summary: 'A valid certificate by id (public)' })
  @ApiOkResponse({ type: CertificateResponseDto })
  @ApiNotFoundResponse({ description: 'Certificate not found or invalid (unknown or revoked)', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'certificate_id is not a UUID', schema: PROBLEM })
  publicVerify(@Param('certificate_id', uuidParam('certificate_id')) id: string): Promise<CertificateResponseDto> {
    return this.certificates.publicVerify(id);
  }

  @Get(':certificate_id/download')
  @Authenticated()
  @ApiOperation({
    summary: 'Download the certificate PDF',
    description:
      'Admins and the certificate’s student (instructors: 403). Revoked certificates can still be downloaded.',
  })
  @ApiProduces('application/pdf')
  @ApiOkResponse({
    description: 'The PDF, `Content-Disposition: attachment; filename="<certificate_number>.pdf"`',
    content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiForbiddenResponse({ description: 'Not authorized to access this certificate', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Certificate not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'certificate_id is not a UUID', schema: PROBLEM })
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
  @ApiOperation({
    summary: 'Revoke a certificate (admin; idempotent)',
    description:
      'Optional `reason` (≤ 500 characters, shown to verifiers). Revoking a revoked certificate answers it unchanged. ' +
      'Verification, the public lookup and the credential status list reflect it at once.',
  })
  @ApiOkResponse({ type: CertificateResponseDto })
  @ApiForbiddenResponse({ description: 'Only admins can revoke certificates', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Certificate not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Bad certificate_id or reason', schema: PROBLEM })
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
  @ApiOperation({ summary: "A course's certificates, revoked ones included, newest first (the course's manager)" })
  @ApiPaginatedResponse(CertificateResponseDto)
  @ApiForbiddenResponse({ description: 'Not the course manager', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Bad course_id, page or page_size', schema: PROBLEM })
  list(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<CertificateResponseDto>> {
    return this.certificates.courseCertificates(caller, courseId, query);
  }
}
