import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig, Clock, ProblemException, dataPath, runSql } from '#core';
import type { CertificateRow } from './dto/certificate.dto.js';
import { buildIssuerProfile, buildOpenBadgeCredential, type IssuerProfile } from './credential/open-badge.js';
import { loadSigningKeys, type CredentialKeyRing, type CredentialPublicJwk } from './credential/signing-keys.js';
import { buildStatusListCredential, encodeStatusList, MIN_STATUS_LIST_LENGTH } from './credential/status-list.js';
import { signCredentialJwt } from './credential/vc-jwt.js';

/** Bits per status list credential (the Bitstring Status List minimum, for herd privacy). */
export const STATUS_LIST_LENGTH = MIN_STATUS_LIST_LENGTH;
/** How long verifiers may cache a status list (the credential's `ttl`; the HTTP Cache-Control matches). */
export const STATUS_LIST_TTL_SECONDS = 300;

/** Where a certificate's bit lives: status_index n (from 1) → list ⌊(n−1)/L⌋, bit (n−1) mod L. */
export function statusPosition(statusIndex: number): { list: number; bit: number } {
  const n = statusIndex - 1;
  return { list: Math.floor(n / STATUS_LIST_LENGTH), bit: n % STATUS_LIST_LENGTH };
}

/**
 * Open Badges 3.0 credentials for certificates: each an OpenBadgeCredential secured as a VC-JWT
 * (EdDSA), its revocation published in a Bitstring Status List credential (also a VC-JWT) that
 * verifiers fetch, so a check reveals nothing about which certificate is being verified.
 */
@Injectable()
export class CredentialsService implements OnModuleInit {
  private keys!: CredentialKeyRing;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Loads the signing key (production: CERTIFICATE_SIGNING_KEY, checked at start; else DATA_DIR's). */
  async onModuleInit(): Promise<void> {
    this.keys = await loadSigningKeys({
      signingKey: this.config.CERTIFICATE_SIGNING_KEY,
      previousKeys: this.config.CERTIFICATE_SIGNING_PREVIOUS_KEYS,
      dataDir: dataPath(this.config),
      production: this.config.isProduction,
    });
  }

  private get base(): string {
    return `${this.config.publicApiUrl}${this.config.API_V1_PREFIX}`;
  }

  issuerId(): string {
    return `${this.base}/certificates/issuer`;
  }

  statusListUrl(list: number): string {
    return `${this.base}/certificates/status/${list}`;
  }

  jwks(): { keys: CredentialPublicJwk[] } {
    return this.keys.jwks();
  }

  issuer(): IssuerProfile & { '@context': string[] } {
    return buildIssuerProfile({
      id: this.issuerId(),
      name: this.config.CERTIFICATE_ISSUER_NAME,
      url: this.config.FRONTEND_BASE_URL,
    });
  }

  /** The certificate's OpenBadgeCredential and its VC-JWT (admins and the certificate's student). */
  async credential(row: CertificateRow): Promise<{ jwt: string; credential: Record<string, unknown> }> {
    const [extra] = (
      await runSql<{ email: string; description: string | null }>(
        this.dataSource.manager,
        `SELECT u.email, co.description FROM certificates c
         JOIN users u ON u.id = c.student_id JOIN courses co ON co.id = c.course_id WHERE c.id = $1`,
        [row.id],
      )
    ).rows;
    if (!extra) throw new ProblemException(404, 'not_found', 'Certificate not found');
    const { list, bit } = statusPosition(row.status_index);
    const credential = buildOpenBadgeCredential({
      certificate: { id: row.id, number: row.certificate_number, issuedAt: new Date(row.issued_at) },
      issuer: { id: this.issuerId(), name: this.config.CERTIFICATE_ISSUER_NAME, url: this.config.FRONTEND_BASE_URL },
      recipient: { name: row.student_name, email: extra.email },
      achievement: {
        id: `${this.base}/courses/${row.course_id}`,
        name: row.course_title,
        description: extra.description?.trim() || `Completion of the course "${row.course_title}".`,
      },
      status: { listCredentialUrl: this.statusListUrl(list), index: bit },
    });
    const jwt = await signCredentialJwt(credential, this.keys, { now: this.clock.now() });
    return { jwt, credential: credential as unknown as Record<string, unknown> };
  }

  /** Status list `list` as a signed VC-JWT: one bit per certificate, set when revoked. */
  async statusList(list: number): Promise<string> {
    const first = list * STATUS_LIST_LENGTH + 1;
    const { rows } = await runSql<{ status_index: number }>(
      this.dataSource.manager,
      `SELECT status_index FROM certificates WHERE is_revoked AND status_index BETWEEN $1 AND $2`,
      [first, first + STATUS_LIST_LENGTH - 1],
    );
    const [{ max }] = (
      await runSql<{ max: number | null }>(this.dataSource.manager, 'SELECT max(status_index) AS max FROM certificates')
    ).rows;
    if (list > 0 && (max === null || statusPosition(max).list < list)) {
      throw new ProblemException(404, 'not_found', 'Status list not found');
    }
    const credential = buildStatusListCredential({
      id: this.statusListUrl(list),
      issuerId: this.issuerId(),
      validFrom: this.clock.now(),
      encodedList: encodeStatusList(rows.map((r) => statusPosition(r.status_index).bit)),
      purpose: 'revocation',
      ttlMs: STATUS_LIST_TTL_SECONDS * 1000,
    });
    return signCredentialJwt(credential, this.keys, { now: this.clock.now() });
  }
}
