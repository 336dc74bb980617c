import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { fileTypeFromBuffer } from 'file-type';
import type { DataSource } from 'typeorm';
import {
  AppConfig,
  Clock,
  handlerFingerprint,
  OutboxService,
  ProblemException,
  parseQueryBoolean,
  requestHash,
  runSql,
  type AuthUser,
  type DeleteFileObjectPayload,
} from '#core';
import { FileListResponseDto, FileResponseDto, MyFilesQueryDto, SignedUrlResponseDto } from './dto/file.dto.js';
import { ORIGINAL_FILENAME_MAX, type FileType } from './file.entity.js';
import {
  checkExtension,
  checkFolder,
  classifyFile,
  contentDisposition,
  contentMismatchError,
  emptyFileError,
  extensionOf,
  fileTooLargeError,
  hasControlCharacter,
  matchContent,
  quotaExceededError,
  sanitizeOriginalName,
} from './file-rules.js';
import { DownloadSigner } from './signed-url.js';
import { FILE_STORAGE, type FileStorage } from './storage/file-storage.js';

/** Bytes of the upload's beginning given to file-type (enough for its zip/OOXML container probes). */
const SNIFF_BYTES = 64 * 1024;
const FIELD_NAMES = ['folder', 'is_public', 'course_id'] as const;
type FieldName = (typeof FIELD_NAMES)[number];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A files row as read by the SQL below. */
export interface FileRow {
  id: string;
  owner_id: string;
  course_id: string | null;
  filename: string;
  original_filename: string;
  folder: string;
  storage_key: string;
  storage_provider: 'local' | 'azure';
  file_type: FileType;
  mime_type: string;
  file_size: string;
  sha256: string;
  is_public: boolean;
  created_at: Date;
}

/** A file with what access decisions need: the course's instructor and whether the caller is enrolled. */
interface AccessRow extends FileRow {
  course_instructor_id: string | null;
  enrolled: boolean;
}

const FILE_COLUMNS = `f.id, f.owner_id, f.course_id, f.filename, f.original_filename, f.folder, f.storage_key,
  f.storage_provider, f.file_type, f.mime_type, f.file_size, f.sha256, f.is_public, f.created_at`;

/** One file with its course's instructor and the caller's enrollment (active or completed). $1 file, $2 caller. */
const FILE_ACCESS_SQL = `
  SELECT ${FILE_COLUMNS}, c.instructor_id AS course_instructor_id,
    (f.course_id IS NOT NULL AND EXISTS (
      SELECT 1 FROM enrollments e
      WHERE e.course_id = f.course_id AND e.student_id = $2 AND e.status IN ('active', 'completed'))) AS enrolled
  FROM files f LEFT JOIN courses c ON c.id = f.course_id
  WHERE f.id = $1`;

const validation = (field: string, message: string, code: string): ProblemException =>
  new ProblemException(422, 'validation_failed', `Validation failed: ${message}`, {
    errors: [{ field, message, code }],
  });

export const fileNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'File not found');
const fileGone = (): ProblemException => new ProblemException(404, 'not_found', 'File no longer exists');
const accessDenied = (): ProblemException =>
  new ProblemException(403, 'forbidden', 'Not authorized to access this file');

const isFileTooLarge = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE';

/** What a download needs: the row and how to answer (a stream, or a redirect for Azure). */
export interface DownloadTarget {
  file: FileRow;
  redirect?: string;
}

/**
 * Uploads (multipart streamed into FileStorage), listing, access, signed URLs and deletion.
 * The row is written only after the bytes are stored; any failure leaves neither row nor object.
 */
@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);
  private readonly signer: DownloadSigner;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    @Inject(OutboxService) private readonly outbox: OutboxService,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {
    // loadConfig always provides one (a generated, persisted key outside production); never sign with ''.
    if (!config.SECRET_KEY) throw new Error('SECRET_KEY is required to sign download URLs');
    this.signer = new DownloadSigner(config.SECRET_KEY);
  }

  toResponse(row: FileRow): FileResponseDto {
    return {
      id: row.id,
      filename: row.filename,
      original_filename: row.original_filename,
      file_url: `${this.config.API_V1_PREFIX}/files/download/${row.id}`,
      file_type: row.file_type,
      mime_type: row.mime_type,
      file_size: Number(row.file_size),
      storage_provider: row.storage_provider,
      is_public: row.is_public,
      course_id: row.course_id,
      sha256: row.sha256,
      created_at: new Date(row.created_at).toISOString(),
    };
  }

  // ── Upload ──────────────────────────────────────────────────────────────

  /**
   * POST /files/upload. Form fields (`folder`, `is_public`, `course_id`) must come before the `file`
   * part: the key and the access check are decided before the bytes are streamed.
   *
   * With an Idempotency-Key, the fingerprint (the fields as sent, the file name, and the stored
   * bytes' SHA-256 and size) is given once the body is read and before the row is inserted: a
   * replay or a reused key (422) deletes the bytes just stored, like any other failure.
   */
  async upload(caller: AuthUser, request: FastifyRequest): Promise<FileResponseDto> {
    if (!request.isMultipart()) throw validation('file', 'file is required (multipart/form-data)', 'is_defined');
    const idempotency = handlerFingerprint(request);
    const fields: Partial<Record<FieldName, string>> = {};
    let stored: FileRow | undefined;
    let storedKey: string | undefined;
    let clientName = '';
    try {
      const parts = request.parts({
        // One byte over the limit reaches onProgress (413 while streaming); busboy's cut-off is the backstop.
        limits: { fileSize: this.config.maxUploadBytes + 1, files: 1, fields: 10, fieldSize: 4096, parts: 12 },
      });
      for await (const part of parts) {
        if (part.type === 'field') {
          if (stored) throw validation(part.fieldname, 'form fields must come before the file', 'field_order');
          this.acceptField(fields, part);
          continue;
        }
        if (part.fieldname !== 'file') {
          throw validation(part.fieldname, `${part.fieldname} is not an accepted file field`, 'unknown_field');
        }
        clientName = part.filename ?? '';
        // A retry that can only replay (or 422) stores nothing in the end: the quota does not apply.
        const result = await this.storeFile(caller, part, fields, idempotency?.replaying === true);
        stored = result;
        storedKey = result.storage_key;
      }
      if (!stored) throw validation('file', 'file is required', 'is_defined');
      idempotency?.settle(
        requestHash({
          fields,
          file: { filename: clientName, size: Number(stored.file_size), sha256: stored.sha256 },
        }),
      );
      return this.toResponse(await this.insert(stored));
    } catch (err) {
      if (storedKey) await this.discard(storedKey);
      if (isFileTooLarge(err)) throw fileTooLargeError(this.config.MAX_UPLOAD_MB);
      if (err instanceof ProblemException) throw err;
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && code.startsWith('FST_')) {
        throw new ProblemException(400, 'invalid_multipart', 'Malformed multipart request', {}, { cause: err });
      }
      throw err;
    }
  }

  private acceptField(fields: Partial<Record<FieldName, string>>, part: MultipartValue): void {
    const name = part.fieldname as FieldName;
    if (!FIELD_NAMES.includes(name)) {
      throw validation(part.fieldname, `${part.fieldname} should not exist`, 'whitelist');
    }
    if (fields[name] !== undefined) throw validation(name, `${name} must be given once`, 'duplicate');
    const value = typeof part.value === 'string' ? part.value : String(part.value);
    if (part.valueTruncated) throw validation(name, `${name} is too long`, 'max_length');
    if (hasControlCharacter(value)) throw validation(name, `${name} contains a control character`, 'nul_character');
    fields[name] = value;
  }

  /** Access, rules in the reference's order, then the bytes into storage; returns the row to insert. */
  private async storeFile(
    caller: AuthUser,
    part: MultipartFile,
    fields: Partial<Record<FieldName, string>>,
    replaying: boolean,
  ): Promise<FileRow> {
    const source = part.file;
    try {
      const isPublic = this.parsePublic(fields.is_public);
      const courseId = await this.checkCourseUpload(caller, fields.course_id);
      const name = part.filename ?? '';
      if (hasControlCharacter(name)) {
        throw validation('file', 'file name contains a control character', 'invalid_filename');
      }
      const ext = extensionOf(name);
      const folder = checkFolder(fields.folder);
      const ruleError =
        typeof folder === 'string' ? checkExtension(ext, this.config.ALLOWED_UPLOAD_EXTENSIONS) : folder;
      const remaining = replaying ? Number.POSITIVE_INFINITY : await this.remainingQuota(caller.id);

      const max = this.config.maxUploadBytes;
      const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const head: Buffer[] = [];
      let headBytes = 0;
      let ended = false;
      while (headBytes < SNIFF_BYTES) {
        const next = await chunks.next();
        if (next.done) {
          ended = true;
          break;
        }
        head.push(next.value);
        headBytes += next.value.length;
      }
      if (headBytes === 0) throw emptyFileError();
      if (headBytes > max) throw fileTooLargeError(this.config.MAX_UPLOAD_MB);
      if (ruleError || typeof folder !== 'string') {
        await this.drain(chunks, ended, headBytes);
        throw ruleError ?? emptyFileError();
      }
      const sample = Buffer.concat(head);
      const detected = await fileTypeFromBuffer(sample);
      const sniff = matchContent(ext, detected, sample.subarray(0, SNIFF_BYTES));
      if (!sniff.ok) {
        await this.drain(chunks, ended, headBytes);
        throw contentMismatchError(ext);
      }

      const id = randomUUID();
      const filename = `${id}.${ext}`;
      const key = `${folder}/${filename}`;
      async function* body(): AsyncGenerator<Buffer> {
        yield* head;
        if (ended) return;
        for (;;) {
          const next = await chunks.next();
          if (next.done) return;
          yield next.value;
        }
      }
      const put = await this.storage.put(key, Readable.from(body()), {
        contentType: sniff.mime,
        onProgress: (bytes) => {
          if (bytes > max) throw fileTooLargeError(this.config.MAX_UPLOAD_MB);
          if (bytes > remaining) throw quotaExceededError(this.config.USER_STORAGE_QUOTA_MB);
        },
      });
      if (source.truncated) {
        await this.discard(put.key);
        throw fileTooLargeError(this.config.MAX_UPLOAD_MB);
      }
      return {
        id,
        owner_id: caller.id,
        course_id: courseId,
        filename,
        original_filename: sanitizeOriginalName(name, ORIGINAL_FILENAME_MAX),
        folder,
        storage_key: put.key,
        storage_provider: this.storage.provider,
        file_type: classifyFile(sniff.mime, ext),
        mime_type: sniff.mime,
        file_size: String(put.size),
        sha256: put.sha256,
        is_public: isPublic,
        created_at: new Date(),
      };
    } finally {
      // A refused or failed upload is not read any further: the rest of the body is dropped and the
      // connection closed after the answer, rather than receiving up to MAX_UPLOAD_MB for nothing.
      if (!source.readableEnded) source.destroy();
    }
  }

  /**
   * Reads (and drops) the rest of a refused upload, so "too large" still wins over the later rules,
   * as in the reference's order; stops at MAX_UPLOAD_MB + 1 byte.
   */
  private async drain(chunks: AsyncIterator<Buffer>, ended: boolean, bytes: number): Promise<void> {
    let total = bytes;
    while (!ended) {
      const next = await chunks.next();
      if (next.done) return;
      total += next.value.length;
      if (total > this.config.maxUploadBytes) throw fileTooLargeError(this.config.MAX_UPLOAD_MB);
    }
  }

  private parsePublic(raw: string | undefined): boolean {
    if (raw === undefined || raw.trim() === '') return false;
    const parsed = parseQueryBoolean(raw);
    if (typeof parsed !== 'boolean') throw validation('is_public', 'is_public must be a boolean value', 'is_boolean');
    return parsed;
  }

  /** course_id: a UUID of an existing course the caller manages (owning instructor or admin). */
  private async checkCourseUpload(caller: AuthUser, raw: string | undefined): Promise<string | null> {
    if (raw === undefined || raw.trim() === '') return null;
    if (!UUID.test(raw)) throw validation('course_id', 'course_id must be a UUID', 'is_uuid');
    const { rows } = await runSql<{ instructor_id: string }>(
      this.dataSource.manager,
      'SELECT instructor_id FROM courses WHERE id = $1',
      [raw],
    );
    const course = rows[0];
    if (!course) throw new ProblemException(404, 'not_found', 'Course not found');
    const manager = caller.role === 'admin' || (caller.role === 'instructor' && course.instructor_id === caller.id);
    if (!manager)
      throw new ProblemException(403, 'forbidden', "Only the course's instructor or an admin may upload course files");
    return raw.toLowerCase();
  }

  private quotaBytes(): number {
    const mb = this.config.USER_STORAGE_QUOTA_MB;
    return mb === 0 ? Number.POSITIVE_INFINITY : mb * 1024 * 1024;
  }

  /** Bytes the user may still store (checked again, under the user's row lock, when the row is inserted). */
  private async remainingQuota(userId: string): Promise<number> {
    const quota = this.quotaBytes();
    if (!Number.isFinite(quota)) return quota;
    const { rows } = await runSql<{ used: string }>(
      this.dataSource.manager,
      'SELECT coalesce(sum(file_size), 0)::text AS used FROM files WHERE owner_id = $1',
      [userId],
    );
    const remaining = quota - Number(rows[0]?.used ?? 0);
    if (remaining <= 0) throw quotaExceededError(this.config.USER_STORAGE_QUOTA_MB);
    return remaining;
  }

  /**
   * Inserts the row after the bytes are stored. The owner's users row is locked (FOR NO KEY UPDATE,
   * which does not block foreign-key checks) so concurrent uploads of one user re-check the quota
   * one at a time.
   */
  private async insert(row: FileRow): Promise<FileRow> {
    return this.dataSource.transaction(async (m) => {
      const quota = this.quotaBytes();
      if (Number.isFinite(quota)) {
        await runSql(m, 'SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [row.owner_id]);
        const { rows } = await runSql<{ used: string }>(
          m,
          'SELECT coalesce(sum(file_size), 0)::text AS used FROM files WHERE owner_id = $1',
          [row.owner_id],
        );
        if (Number(rows[0]?.used ?? 0) + Number(row.file_size) > quota) {
          throw quotaExceededError(this.config.USER_STORAGE_QUOTA_MB);
        }
      }
      const { rows } = await runSql<FileRow>(
        m,
        `INSERT INTO files AS f (id, owner_id, course_id, filename, original_filename, folder, storage_key,
           storage_provider, file_type, mime_type, file_size, sha256, is_public)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING ${FILE_COLUMNS}`,
        [
          row.id,
          row.owner_id,
          row.course_id,
          row.filename,
          row.original_filename,
          row.folder,
          row.storage_key,
          row.storage_provider,
          row.file_type,
          row.mime_type,
          row.file_size,
          row.sha256,
          row.is_public,
        ],
      );
      const inserted = rows[0];
      if (!inserted) throw new Error('file insert returned no row');
      return inserted;
    });
  }

  /** Deletes an object no row references (a failed upload); the orphan sweep retries if this fails. */
  private async discard(key: string): Promise<void> {
    await this.storage.delete(key).catch((err: unknown) => {
      this.logger.warn(`could not delete ${key} after a failed upload (the orphan sweep will): ${String(err)}`);
    });
  }

  // ── Reads ───────────────────────────────────────────────────────────────

  async myFiles(caller: AuthUser, query: MyFilesQueryDto): Promise<FileListResponseDto> {
    const params: unknown[] = [caller.id];
    let filter = '';
    if (query.file_type !== undefined) {
      params.push(query.file_type);
      filter = ` AND f.file_type = $${params.length}`;
    }
    const m = this.dataSource.manager;
    const [{ rows }, count] = await Promise.all([
      runSql<FileRow>(
        m,
        `SELECT ${FILE_COLUMNS} FROM files f WHERE f.owner_id = $1${filter}
         ORDER BY f.created_at DESC, f.id DESC LIMIT ${query.page_size} OFFSET ${(query.page - 1) * query.page_size}`,
        params,
      ),
      runSql<{ total: string }>(
        m,
        `SELECT count(*)::text AS total FROM files f WHERE f.owner_id = $1${filter}`,
        params,
      ),
    ]);
    return { files: rows.map((r) => this.toResponse(r)), total: Number(count.rows[0]?.total ?? 0) };
  }

  /** The file if the caller may read it: 404 File not found, 403 otherwise. */
  async readable(caller: AuthUser, fileId: string): Promise<FileRow> {
    const { rows } = await runSql<AccessRow>(this.dataSource.manager, FILE_ACCESS_SQL, [fileId, caller.id]);
    const row = rows[0];
    if (!row) throw fileNotFound();
    if (!canRead(caller, row)) throw accessDenied();
    return row;
  }

  /** GET /files/download/{id}: local files stream from here; Azure redirects to a SAS URL when it can. */
  async downloadTarget(caller: AuthUser, fileId: string): Promise<DownloadTarget> {
    const file = await this.readable(caller, fileId);
    if (this.storage.provider !== 'azure') return { file };
    const expires = new Date(this.clock.now().getTime() + this.config.FILE_DOWNLOAD_URL_EXPIRE_SECONDS * 1000);
    const redirect = await this.presign(file, expires);
    return redirect ? { file, redirect } : { file };
  }

  private presign(file: FileRow, expiresAt: Date): Promise<string | null> {
    return this.storage.presignedReadUrl(file.storage_key, expiresAt, {
      contentDisposition: contentDisposition(file.original_filename),
      contentType: file.mime_type,
    });
  }

  async signedUrl(caller: AuthUser, fileId: string, expiresIn: number | undefined): Promise<SignedUrlResponseDto> {
    const file = await this.readable(caller, fileId);
    const seconds = expiresIn ?? this.config.FILE_DOWNLOAD_URL_EXPIRE_SECONDS;
    const expires = Math.floor(this.clock.now().getTime() / 1000) + seconds;
    const expiresAt = new Date(expires * 1000);
    const sas = this.storage.provider === 'azure' ? await this.presign(file, expiresAt) : null;
    const url =
      sas ??
      `${this.config.API_V1_PREFIX}/files/${file.id}/content?expires=${expires}&signature=${this.signer.sign(file.id, expires)}`;
    return { url, expires_at: expiresAt.toISOString() };
  }

  /** The signed route: a valid, unexpired signature for this file id, else 403 (no token needed). */
  async signedTarget(fileId: string, expires: number, signature: string): Promise<FileRow> {
    const valid = this.signer.verify(fileId, expires, signature);
    if (!valid || this.clock.now().getTime() >= expires * 1000) {
      throw new ProblemException(403, 'invalid_signature', 'Invalid or expired download link');
    }
    const { rows } = await runSql<FileRow>(
      this.dataSource.manager,
      `SELECT ${FILE_COLUMNS} FROM files f WHERE f.id = $1`,
      [fileId],
    );
    if (!rows[0]) throw fileNotFound();
    return rows[0];
  }

  /** The bytes (or one range) of a file; 404 "File no longer exists" when storage has lost them. */
  async open(file: FileRow, range?: { start: number; end: number }): Promise<Readable> {
    try {
      return await this.storage.get(file.storage_key, range);
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name === 'FileNotInStorageError') throw fileGone();
      throw err;
    }
  }

  // ── Delete ──────────────────────────────────────────────────────────────

  /**
   * Deletes the row and records `file.deleted` in one transaction; files / delete-file-object then
   * removes the bytes (retried while storage is down).
   */
  async delete(caller: AuthUser, fileId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const { rows } = await runSql<FileRow>(m, `SELECT ${FILE_COLUMNS} FROM files f WHERE f.id = $1 FOR UPDATE`, [
        fileId,
      ]);
      const file = rows[0];
      if (!file) throw fileNotFound();
      if (caller.role !== 'admin' && file.owner_id !== caller.id) {
        throw new ProblemException(403, 'forbidden', 'Not authorized to delete this file');
      }
      await runSql(m, 'DELETE FROM files WHERE id = $1', [fileId]);
      await this.outbox.record(m, 'file.deleted', {
        file_id: file.id,
        owner_id: file.owner_id,
        storage_key: file.storage_key,
        deleted_at: this.clock.now().toISOString(),
      } satisfies DeleteFileObjectPayload);
    });
  }
}

/** Owner, admin, any authenticated user for public files; course files: its managers and enrolled students. */
export function canRead(caller: AuthUser, row: AccessRow): boolean {
  if (caller.role === 'admin' || row.owner_id === caller.id || row.is_public) return true;
  if (row.course_id === null) return false;
  return row.course_instructor_id === caller.id || row.enrolled;
}
