import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  AppConfig,
  Clock,
  OutboxService,
  ProblemException,
  offset,
  paginate,
  runSql,
  type AuthUser,
  type Page,
  type PageQuery,
} from '#core';
import { canManageCourse } from '#courses';
import { FILE_STORAGE, FileNotInStorageError, type FileStorage, type StoredObject } from '#files';
import { EmailService } from '#notifications';
import { CERTIFICATE_TEXT_MAX } from './certificate.entity.js';
import { newCertificateNumber } from './certificate-number.js';
import {
  CertificateListResponseDto,
  CertificateResponseDto,
  VerifyCertificateResponseDto,
  type CertificateRow,
} from './dto/certificate.dto.js';
import { renderCertificatePdf } from './pdf/certificate-pdf.js';

const COLUMNS = `c.id, c.certificate_number, c.enrollment_id, c.student_id, c.course_id, c.completion_date,
  c.issued_at, c.student_name, c.course_title, c.instructor_name, c.status_index, c.pdf_storage_key,
  c.pdf_sha256, c.pdf_size, c.is_revoked, c.revoked_at, c.revocation_reason`;

/** The enrollment an issue is for, locked, with everything the certificate prints. $1 enrollment id. */
const ISSUE_SOURCE_SQL = `
  SELECT e.id, e.student_id, e.course_id, e.status, e.completed_at, s.full_name AS student_name,
    s.email AS student_email, co.title AS course_title, co.instructor_id, i.full_name AS instructor_name
  FROM enrollments e
  JOIN users s ON s.id = e.student_id
  JOIN courses co ON co.id = e.course_id
  LEFT JOIN users i ON i.id = co.instructor_id
  WHERE e.id = $1
  FOR UPDATE OF e`;

interface IssueSource {
  id: string;
  student_id: string;
  course_id: string;
  status: string;
  completed_at: Date | null;
  student_name: string;
  student_email: string;
  course_title: string;
  instructor_id: string;
  instructor_name: string | null;
}

/** Attempts at a free certificate number before giving up (a collision needs the same day and 24 random bits). */
const NUMBER_ATTEMPTS = 5;

const certificateNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Certificate not found');

/** A name or title as printed: never longer than the snapshot column. */
const snapshot = (text: string): string => Array.from(text).slice(0, CERTIFICATE_TEXT_MAX).join('');

export interface IssueResult {
  certificate: CertificateRow;
  created: boolean;
}

/**
 * Certificates: issue (exactly once per enrollment), list, verify, download, revoke.
 *
 * Issuing locks the enrollment row, so a redelivered job, a manual generate and any number of
 * concurrent generates queue behind one another: the first renders the PDF, stores it and inserts
 * the row in one transaction (with the enrollment's certificate_issued_at, the certificate.issued
 * event and the student's email); the others find that row. The PDF is stored before the row
 * commits, so a row always has its bytes; a PDF whose transaction failed is deleted (and, if the
 * process died, removed by the files orphan sweep an hour later).
 */
@Injectable()
export class CertificatesService {
  private readonly logger = new Logger(CertificatesService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    @Inject(OutboxService) private readonly outbox: OutboxService,
    @Inject(EmailService) private readonly email: EmailService,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  // ── Links ───────────────────────────────────────────────────────────────

  verificationUrl(row: Pick<CertificateRow, 'id' | 'certificate_number'>): string {
    const template =
      this.config.CERTIFICATE_VERIFY_URL_TEMPLATE ??
      `${this.config.FRONTEND_BASE_URL.replace(/\/+$/, '')}/certificates/verify/{certificate_number}`;
    return template
      .replaceAll('{certificate_number}', encodeURIComponent(row.certificate_number))
      .replaceAll('{certificate_id}', encodeURIComponent(row.id));
  }

  /** The download route, relative to the API origin (as the files' `file_url`). */
  pdfPath(id: string): string {
    return `${this.config.API_V1_PREFIX}/certificates/${id}/download`;
  }

  toResponse(row: CertificateRow): CertificateResponseDto {
    return {
      id: row.id,
      certificate_number: row.certificate_number,
      enrollment_id: row.enrollment_id,
      student_id: row.student_id,
      course_id: row.course_id,
      completion_date: new Date(row.completion_date).toISOString(),
      issued_at: new Date(row.issued_at).toISOString(),
      student_name: row.student_name,
      course_title: row.course_title,
      instructor_name: row.instructor_name,
      pdf_url: this.pdfPath(row.id),
      verification_url: this.verificationUrl(row),
      is_revoked: row.is_revoked,
      revoked_at: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
      revocation_reason: row.revocation_reason,
    };
  }

  // ── Issue ───────────────────────────────────────────────────────────────

  /**
   * The enrollment's certificate, issued now if it has none. With `caller` (manual generate) the
   * reference's permission and state checks apply; without (the issue-certificate job) an absent
   * enrollment is 404 and an incomplete one 400 all the same, for the job to log and drop.
   */
  async issue(enrollmentId: string, caller?: AuthUser): Promise<IssueResult> {
    let storedKey: string | undefined;
    try {
      return await this.dataSource.transaction(async (m) => {
        const [source] = (await runSql<IssueSource>(m, ISSUE_SOURCE_SQL, [enrollmentId])).rows;
        if (!source) throw new ProblemException(404, 'not_found', 'Enrollment not found');
        if (caller && !this.mayGenerate(caller, source)) {
          throw new ProblemException(403, 'forbidden', 'Not authorized to generate certificate for this enrollment');
        }
        const existing = await this.byEnrollment(m, enrollmentId);
        if (existing) return { certificate: existing, created: false };
        if (source.status !== 'completed') {
          throw new ProblemException(400, 'enrollment_not_complete', 'Enrollment is not complete yet');
        }
        const issuedAt = this.clock.now();
        const completionDate = source.completed_at ? new Date(source.completed_at) : issuedAt;
        const printed = {
          student_name: snapshot(source.student_name),
          course_title: snapshot(source.course_title),
          instructor_name: snapshot(source.instructor_name ?? ''),
        };
        for (let attempt = 1; attempt <= NUMBER_ATTEMPTS; attempt++) {
          const number = newCertificateNumber(issuedAt);
          const taken = await runSql(m, 'SELECT 1 FROM certificates WHERE certificate_number = $1', [number]);
          if (taken.rows.length > 0) continue;
          const key = this.pdfKey(number);
          // The id is chosen here so the verification URL (which may carry it) is printed on the PDF.
          const id = randomUUID();
          storedKey = key;
          const { stored } = await this.storePdf(key, {
            id,
            certificate_number: number,
            completion_date: completionDate,
            ...printed,
          });
          const inserted = (
            await runSql<CertificateRow>(
              m,
              `INSERT INTO certificates AS c (id, certificate_number, enrollment_id, student_id, course_id,
                 completion_date, issued_at, student_name, course_title, instructor_name, pdf_storage_key,
                 pdf_sha256, pdf_size)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
               ON CONFLICT (certificate_number) DO NOTHING
               RETURNING ${COLUMNS}`,
              [
                id,
                number,
                source.id,
                source.student_id,
                source.course_id,
                completionDate,
                issuedAt,
                printed.student_name,
                printed.course_title,
                printed.instructor_name,
                key,
                stored.sha256,
                stored.size,
              ],
            )
          ).rows;
          const row = inserted[0];
          if (!row) {
            // Another issue took the number between the check and the insert: drop our PDF, draw again.
            await this.storage.delete(key);
            storedKey = undefined;
            continue;
          }
          await runSql(m, 'UPDATE enrollments SET certificate_issued_at = $2 WHERE id = $1', [source.id, issuedAt]);
          await this.outbox.record(m, 'certificate.issued', {
            certificate_id: row.id,
            certificate_number: row.certificate_number,
            enrollment_id: row.enrollment_id,
            student_id: row.student_id,
            course_id: row.course_id,
            completion_date: completionDate.toISOString(),
            issued_at: issuedAt.toISOString(),
          });
          await this.email.queue(this.issuedEmail(row, source.student_email), m);
          return { certificate: row, created: true };
        }
        throw new Error(`no free certificate number after ${NUMBER_ATTEMPTS} attempts`);
      });
    } catch (err) {
      // The transaction did not commit: the PDF it stored belongs to no row.
      if (storedKey) {
        await this.storage
          .delete(storedKey)
          .catch((cleanupErr: unknown) =>
            this.logger.warn(
              `could not delete the PDF of a failed issue (${storedKey}); the orphan sweep will: ${String(cleanupErr)}`,
            ),
          );
      }
      throw err;
    }
  }

  private mayGenerate(caller: AuthUser, source: IssueSource): boolean {
    return (
      caller.role === 'admin' ||
      (caller.role === 'student' && caller.id === source.student_id) ||
      canManageCourse(caller, { instructorId: source.instructor_id })
    );
  }

  private pdfKey(number: string): string {
    return `${this.config.CERTIFICATES_DIR.replace(/^\/+|\/+$/g, '')}/${number}.pdf`;
  }

  private issuedEmail(row: CertificateRow, to: string): { to: string; subject: string; text: string } {
    const download = `${this.config.publicApiUrl}${this.pdfPath(row.id)}`;
    return {
      to,
      subject: `Your certificate for ${row.course_title}`,
      text:
        `Congratulations, ${row.student_name}!\n\n` +
        `You completed "${row.course_title}". Your certificate ${row.certificate_number} is ready.\n\n` +
        `Download it (sign in first): ${download}\n` +
        `Anyone can verify it at: ${this.verificationUrl(row)}\n`,
    };
  }

  private async byEnrollment(m: EntityManager, enrollmentId: string): Promise<CertificateRow | undefined> {
    return (
      await runSql<CertificateRow>(m, `SELECT ${COLUMNS} FROM certificates c WHERE c.enrollment_id = $1`, [
        enrollmentId,
      ])
    ).rows[0];
  }

  private async byId(id: string): Promise<CertificateRow | undefined> {
    return (
      await runSql<CertificateRow>(this.dataSource.manager, `SELECT ${COLUMNS} FROM certificates c WHERE c.id = $1`, [
        id,
      ])
    ).rows[0];
  }

  // ── Reads ───────────────────────────────────────────────────────────────

  /** The caller's valid (not revoked) certificates, newest first. */
  async myCertificates(caller: AuthUser, query: PageQuery): Promise<CertificateListResponseDto> {
    const { rows } = await runSql<CertificateRow & { total: string }>(
      this.dataSource.manager,
      `SELECT ${COLUMNS}, count(*) OVER () AS total FROM certificates c
       WHERE c.student_id = $1 AND NOT c.is_revoked
       ORDER BY c.issued_at DESC, c.id DESC LIMIT $2 OFFSET $3`,
      [caller.id, query.page_size, offset(query)],
    );
    let total = rows[0] ? Number(rows[0].total) : 0;
    if (rows.length === 0 && query.page > 1) {
      const [{ n }] = (
        await runSql<{ n: string }>(
          this.dataSource.manager,
          'SELECT count(*) AS n FROM certificates WHERE student_id = $1 AND NOT is_revoked',
          [caller.id],
        )
      ).rows;
      total = Number(n);
    }
    return { certificates: rows.map((r) => this.toResponse(r)), total };
  }

  /** Public verification by number: always an answer, telling valid, revoked and unknown apart. */
  async verifyNumber(number: string): Promise<VerifyCertificateResponseDto> {
    const row = (
      await runSql<CertificateRow>(
        this.dataSource.manager,
        `SELECT ${COLUMNS} FROM certificates c WHERE c.certificate_number = $1`,
        [number],
      )
    ).rows[0];
    if (!row) {
      return {
        valid: false,
        certificate: null,
        message: 'Certificate not found',
        revoked_at: null,
        revocation_reason: null,
      };
    }
    if (row.is_revoked) {
      return {
        valid: false,
        certificate: null,
        message: 'Certificate has been revoked',
        revoked_at: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
        revocation_reason: row.revocation_reason,
      };
    }
    return {
      valid: true,
      certificate: this.toResponse(row),
      message: 'Certificate is valid',
      revoked_at: null,
      revocation_reason: null,
    };
  }

  /** Public verification by id: the certificate, or 404 when unknown or revoked (reference). */
  async publicVerify(id: string): Promise<CertificateResponseDto> {
    const row = await this.byId(id);
    if (!row || row.is_revoked) throw new ProblemException(404, 'not_found', 'Certificate not found or invalid');
    return this.toResponse(row);
  }

  /** A certificate its student or an admin may read (download, credential); 404, then 403. */
  async readable(caller: AuthUser, id: string): Promise<CertificateRow> {
    const row = await this.byId(id);
    if (!row) throw certificateNotFound();
    if (caller.role !== 'admin' && caller.id !== row.student_id) {
      throw new ProblemException(403, 'forbidden', 'Not authorized to access this certificate');
    }
    return row;
  }

  /**
   * The PDF's bytes. When storage has lost them they are rendered again from the row (the same
   * names, date, number and URL: the same document) and stored back.
   */
  async pdf(row: CertificateRow): Promise<{ body: Readable; size: number; sha256: string }> {
    try {
      return { body: await this.storage.get(row.pdf_storage_key), size: row.pdf_size, sha256: row.pdf_sha256 };
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name !== FileNotInStorageError.name) throw err;
    }
    this.logger.warn(`certificate ${row.certificate_number}: stored PDF missing, rendering it again`);
    const { pdf, stored } = await this.storePdf(row.pdf_storage_key, row);
    return { body: Readable.from([pdf]), size: stored.size, sha256: stored.sha256 };
  }

  /**
   * Renders the certificate's PDF (its printed names, completion date, number and verification URL:
   * the same input always gives the same bytes) and stores it under `key`; the storage reports the
   * size and SHA-256 it wrote.
   */
  private async storePdf(
    key: string,
    c: Pick<
      CertificateRow,
      'id' | 'certificate_number' | 'completion_date' | 'student_name' | 'course_title' | 'instructor_name'
    >,
  ): Promise<{ pdf: Buffer; stored: StoredObject }> {
    const pdf = await renderCertificatePdf({
      studentName: c.student_name,
      courseTitle: c.course_title,
      instructorName: c.instructor_name,
      completionDate: new Date(c.completion_date),
      certificateNumber: c.certificate_number,
      verificationUrl: this.verificationUrl(c),
    });
    const stored = await this.storage.put(key, Readable.from([pdf]), { contentType: 'application/pdf' });
    return { pdf, stored };
  }

  /** A course's certificates (revoked ones included), newest first: the course's managers. */
  async courseCertificates(
    caller: AuthUser,
    courseId: string,
    query: PageQuery,
  ): Promise<Page<CertificateResponseDto>> {
    const [course] = (
      await runSql<{ instructor_id: string }>(
        this.dataSource.manager,
        'SELECT instructor_id FROM courses WHERE id = $1',
        [courseId],
      )
    ).rows;
    if (!course) throw new ProblemException(404, 'not_found', 'Course not found');
    if (!canManageCourse(caller, { instructorId: course.instructor_id })) {
      throw new ProblemException(403, 'forbidden', "Not authorized to view this course's certificates");
    }
    const { rows } = await runSql<CertificateRow>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM certificates c WHERE c.course_id = $1
       ORDER BY c.issued_at DESC, c.id DESC LIMIT $2 OFFSET $3`,
      [courseId, query.page_size, offset(query)],
    );
    const [{ n }] = (
      await runSql<{ n: string }>(
        this.dataSource.manager,
        'SELECT count(*) AS n FROM certificates WHERE course_id = $1',
        [courseId],
      )
    ).rows;
    return paginate(
      rows.map((r) => this.toResponse(r)),
      Number(n),
      query,
    );
  }

  // ── Revoke ──────────────────────────────────────────────────────────────

  /** Admins only; revoking a revoked certificate changes nothing and answers the same (idempotent). */
  async revoke(caller: AuthUser, id: string, reason: string | undefined): Promise<CertificateResponseDto> {
    if (caller.role !== 'admin') throw new ProblemException(403, 'forbidden', 'Only admins can revoke certificates');
    return this.dataSource.transaction(async (m) => {
      const revokedAt = this.clock.now();
      const [row] = (
        await runSql<CertificateRow>(
          m,
          `UPDATE certificates c SET is_revoked = true, revoked_at = $2, revocation_reason = $3, revoked_by = $4
           WHERE c.id = $1 AND NOT c.is_revoked
           RETURNING ${COLUMNS}`,
          [id, revokedAt, reason && reason.length > 0 ? reason : null, caller.id],
        )
      ).rows;
      if (!row) {
        const [current] = (
          await runSql<CertificateRow>(m, `SELECT ${COLUMNS} FROM certificates c WHERE c.id = $1`, [id])
        ).rows;
        if (!current) throw certificateNotFound();
        return this.toResponse(current);
      }
      await this.outbox.record(m, 'certificate.revoked', {
        certificate_id: row.id,
        certificate_number: row.certificate_number,
        enrollment_id: row.enrollment_id,
        student_id: row.student_id,
        course_id: row.course_id,
        revoked_at: revokedAt.toISOString(),
        reason: row.revocation_reason,
      });
      return this.toResponse(row);
    });
  }
}
