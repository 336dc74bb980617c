import { Controller, Get, Header, Inject, Param, ParseIntPipe, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated, CurrentUser, ProblemException, Public, uuidParam, type AuthUser, Endpoint } from '#core';
import { CertificateCredentialResponseDto, JwksResponseDto } from './dto/certificate.dto.js';
import { CertificatesService } from './certificates.service.js';
import { CredentialsService, STATUS_LIST_TTL_SECONDS } from './credentials.service.js';

/** Highest status list number accepted in the path (2^31 bits of lists is far beyond any deployment). */
const MAX_STATUS_LIST = 16_383;

const listParam = new ParseIntPipe({
  exceptionFactory: () =>
    new ProblemException(422, 'validation_failed', 'Validation failed: list must be a non-negative integer', {
      errors: [{ field: 'list', message: 'list must be a non-negative integer', code: 'is_int' }],
    }),
});

/** Open Badges 3.0 credentials of certificates, the issuer profile and the revocation status lists. */
@ApiTags('certificates')
@Controller('certificates')
export class CredentialsController {
  constructor(
    @Inject(CredentialsService) private readonly credentials: CredentialsService,
    @Inject(CertificatesService) private readonly certificates: CertificatesService,
  ) {}

  @Get('issuer')
  @Public()
  @Endpoint({
    summary: 'The issuer profile of the certificate credentials (Open Badges 3.0 Profile, public)',
    operationId: 'getCredentialIssuer',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['@context', 'id', 'type', 'name', 'url'],
      properties: {
        '@context': { type: 'array', items: { type: 'string' } },
        id: { type: 'string', format: 'uri' },
        type: { type: 'array', items: { type: 'string', enum: ['Profile'] } },
        name: { type: 'string' },
        url: { type: 'string', format: 'uri' },
      },
    },
  })
  issuer(): ReturnType<CredentialsService['issuer']> {
    return this.credentials.issuer();
  }

  @Get('status/:list')
  @Public()
  @Endpoint({
    summary: 'A revocation status list (Bitstring Status List credential as a VC-JWT, public)',
    description:
      'The `credentialStatus.statusListCredential` of the certificate credentials. One bit per certificate ' +
      `(131,072 per list), set when revoked; verifiers may cache it for ${STATUS_LIST_TTL_SECONDS} s.`,
    operationId: 'getCredentialStatusList',
    errors: { 404: 'No such list', 422: 'list is not a non-negative integer' },
  })
  @ApiProduces('application/vc+jwt')
  @ApiOkResponse({ content: { 'application/vc+jwt': { schema: { type: 'string' } } } })
  async statusList(@Param('list', listParam) list: number, @Res() reply: FastifyReply): Promise<void> {
    if (list < 0 || list > MAX_STATUS_LIST) throw new ProblemException(404, 'not_found', 'Status list not found');
    const jwt = await this.credentials.statusList(list);
    await reply
      .status(200)
      .header('Content-Type', 'application/vc+jwt')
      .header('Cache-Control', `public, max-age=${STATUS_LIST_TTL_SECONDS}`)
      .send(jwt);
  }

  @Get(':certificate_id/credential')
  @Authenticated()
  @Endpoint({
    summary: "The certificate's Open Badges 3.0 credential (VC-JWT)",
    description:
      'Admins and the certificate’s student. An `OpenBadgeCredential` (VC Data Model 2.0) signed as a VC-JWT with ' +
      'Ed25519 (`alg: EdDSA`, `typ: vc+jwt`, `kid` of a key in `/.well-known/jwks.json`). Revocation shows in its ' +
      '`credentialStatus` (a Bitstring Status List entry).',
    operationId: 'getCertificateCredential',
    errors: {
      403: 'Not authorized to access this certificate',
      404: 'Certificate not found',
      422: 'certificate_id is not a UUID',
    },
  })
  @ApiOkResponse({ type: CertificateCredentialResponseDto })
  async credential(
    @CurrentUser() caller: AuthUser,
    @Param('certificate_id', uuidParam('certificate_id')) id: string,
  ): Promise<CertificateCredentialResponseDto> {
    const row = await this.certificates.readable(caller, id);
    return { format: 'vc+jwt', ...(await this.credentials.credential(row)) };
  }
}

/** GET /.well-known/jwks.json (outside the API prefix): the credential signing keys, current and retired. */
@ApiTags('certificates')
@Controller('.well-known')
export class WellKnownController {
  constructor(@Inject(CredentialsService) private readonly credentials: CredentialsService) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=3600')
  @Endpoint({ summary: 'Public keys that verify certificate credentials (JWK Set)', operationId: 'getJwks' })
  @ApiOkResponse({ type: JwksResponseDto })
  jwks(): JwksResponseDto {
    return this.credentials.jwks() as unknown as JwksResponseDto;
  }
}
