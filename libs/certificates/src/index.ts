export { Certificate, REVOCATION_REASON_MAX, CERTIFICATE_TEXT_MAX } from './certificate.entity.js';
export { CertificatesModule } from './certificates.module.js';
export { CertificatesService, type IssueResult } from './certificates.service.js';
export { IssueCertificateHandler } from './issue-certificate.handler.js';
export { newCertificateNumber, CERTIFICATE_NUMBER_PATTERN } from './certificate-number.js';
export {
  CertificateResponseDto,
  CertificateListResponseDto,
  VerifyCertificateResponseDto,
  type CertificateRow,
} from './dto/certificate.dto.js';
export { renderCertificatePdf, type CertificatePdfInput } from './pdf/certificate-pdf.js';
export { CredentialsService, STATUS_LIST_LENGTH, statusPosition } from './credentials.service.js';
export { loadSigningKeys, type CredentialKeyRing } from './credential/signing-keys.js';
export { verifyCredentialJwt } from './credential/vc-jwt.js';
export { decodeStatusList, isRevoked } from './credential/status-list.js';
