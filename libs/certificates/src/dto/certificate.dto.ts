import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { MAX_PAGE_SIZE, MaxCodePoints, PaginationQueryDto, Trim } from '#core';
import { REVOCATION_REASON_MAX } from '../certificate.entity.js';

/** A certificates row as the SQL of the service reads it. */
export interface CertificateRow {
  id: string;
  certificate_number: string;
  enrollment_id: string;
  student_id: string;
  course_id: string;
  completion_date: Date;
  issued_at: Date;
  student_name: string;
  course_title: string;
  instructor_name: string;
  status_index: number;
  pdf_storage_key: string;
  pdf_sha256: string;
  pdf_size: number;
  is_revoked: boolean;
  revoked_at: Date | null;
  revocation_reason: string | null;
}

/** The reference's CertificateResponse, plus revocation details and the names printed on it. */
export class CertificateResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'CERT-20261201-3FA9C2', pattern: '^CERT-\\d{8}-[0-9A-F]{6}$' }) certificate_number!: string;
  @ApiProperty({ format: 'uuid' }) enrollment_id!: string;
  @ApiProperty({ format: 'uuid' }) student_id!: string;
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty({ format: 'date-time' }) completion_date!: string;
  @ApiProperty({ format: 'date-time' }) issued_at!: string;
  @ApiProperty({ description: 'The student name printed on the certificate (as at issue)' }) student_name!: string;
  @ApiProperty({ description: 'The course title printed on the certificate (as at issue)' }) course_title!: string;
  @ApiProperty({ description: 'The instructor name printed on the certificate (as at issue)' })
  instructor_name!: string;
  @ApiProperty({ example: '/api/v1/certificates/2f1c…/download', description: 'Download route of the PDF' })
  pdf_url!: string;
  @ApiProperty({ description: 'The public verification page (CERTIFICATE_VERIFY_URL_TEMPLATE), also in the QR code' })
  verification_url!: string;
  @ApiProperty() is_revoked!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) revocation_reason!: string | null;
}

export class CertificateListResponseDto {
  @ApiProperty({ type: [CertificateResponseDto] }) certificates!: CertificateResponseDto[];
  @ApiProperty({ type: 'integer', description: 'All of the caller’s valid certificates (not only this page)' })
  total!: number;
}

export class VerifyCertificateResponseDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ type: CertificateResponseDto, nullable: true, description: 'Null unless valid' })
  certificate!: CertificateResponseDto | null;
  @ApiProperty({ enum: ['Certificate is valid', 'Certificate has been revoked', 'Certificate not found'] })
  message!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Set when revoked' })
  revoked_at!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Set when revoked with a reason' })
  revocation_reason!: string | null;
}

export class RevokeCertificateDto {
  @ApiPropertyOptional({ maxLength: REVOCATION_REASON_MAX, description: 'Shown to verifiers' })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(REVOCATION_REASON_MAX)
  reason?: string;
}

export class MyCertificatesQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_PAGE_SIZE, default: MAX_PAGE_SIZE })
  override page_size: number = MAX_PAGE_SIZE;
}

export class CertificateCredentialResponseDto {
  @ApiProperty({ enum: ['vc+jwt'] }) format!: 'vc+jwt';
  @ApiProperty({
    description:
      'The OpenBadgeCredential secured as a VC-JWT (EdDSA/Ed25519; header kid names a key of /.well-known/jwks.json)',
  })
  jwt!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The credential the JWT carries as its payload (Open Badges 3.0, VC Data Model 2.0), for display',
  })
  credential!: Record<string, unknown>;
}

export class JwksResponseDto {
  @ApiProperty({
    type: 'array',
    items: {
      type: 'object',
      properties: {
        kty: { type: 'string', enum: ['OKP'] },
        crv: { type: 'string', enum: ['Ed25519'] },
        x: { type: 'string' },
        kid: { type: 'string' },
        alg: { type: 'string', enum: ['EdDSA'] },
        use: { type: 'string', enum: ['sig'] },
      },
      required: ['kty', 'crv', 'x', 'kid'],
    },
  })
  keys!: Array<Record<string, string>>;
}
