import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  Authenticated,
  CurrentUser,
  Idempotent,
  ProblemException,
  Public,
  uuidParam,
  type AuthUser,
  Endpoint,
} from '#core';
import {
  FileListResponseDto,
  FileResponseDto,
  MyFilesQueryDto,
  SignedDownloadQueryDto,
  SignedUrlQueryDto,
  SignedUrlResponseDto,
} from './dto/file.dto.js';
import { contentDisposition, etagMatches, parseRange } from './file-rules.js';
import { FilesService, type FileRow } from './files.service.js';

const READERS =
  'Readable by its owner, admins, any authenticated user when `is_public`, and for a file with `course_id` ' +
  "the course's instructor and its enrolled students (active or completed enrollments).";
const BINARY = { type: 'string', format: 'binary' } as const;
const DOWNLOAD_HEADERS = {
  'Content-Disposition': { description: `attachment; filename="…"; filename*=UTF-8''…`, schema: { type: 'string' } },
  ETag: { description: '"<sha256>"', schema: { type: 'string' } },
  'Accept-Ranges': { schema: { type: 'string', enum: ['bytes'] as string[] } },
};

/** /files: uploads, listing, downloads (authenticated and signed), deletion (reference §8). */
@ApiTags('files')
@Controller('files')
export class FilesController {
  constructor(@Inject(FilesService) private readonly files: FilesService) {}

  @Post('upload')
  @HttpCode(201)
  @Authenticated()
  @Idempotent({ fingerprint: 'handler' })
  @Endpoint({
    summary: 'Upload a file (multipart/form-data)',
    description:
      'Fields `folder` (default "uploads"), `is_public` (default false) and `course_id` (optional; only the ' +
      "course's instructor or an admin) must come before the `file` part. Checked in this order: empty file (400 " +
      '`empty_file`), over MAX_UPLOAD_MB (413 `file_too_large`, aborted while streaming), folder rules (400 ' +
      '`invalid_folder`), extension allow-list (400 `extension_not_allowed`), content sniffing (422 ' +
      '`file_content_mismatch`); over USER_STORAGE_QUOTA_MB is 413 `quota_exceeded`. Stored as ' +
      '`<folder>/<uuid>.<ext>`. Rate limited per user (FILE_UPLOAD_RATE_LIMIT_*). Idempotency-Key: a retry with ' +
      'the same key, fields, file name and bytes gets the stored 201 (same file, `Idempotent-Replayed: true`) and ' +
      'stores nothing; another file or other fields with the same key is 422 `idempotency_key_reused`; while the ' +
      'first request is still running, 409 `idempotency_in_progress`.',
    operationId: 'uploadFile',
    errors: {
      400: '`empty_file`, `invalid_folder`, `extension_not_allowed`, or `invalid_multipart`',
      403: 'course_id given by someone who does not manage the course',
      404: 'Course not found',
      409: '`idempotency_in_progress` (same Idempotency-Key)',
      413: '`file_too_large` or `quota_exceeded`',
      415: 'Not multipart/form-data (or JSON)',
      422:
        '`file_content_mismatch`, `idempotency_key_reused`, or `validation_failed` (no file, unknown field, bad ' +
        'is_public/course_id)',
      429: 'Upload rate limit',
    },
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        folder: { type: 'string', default: 'uploads', maxLength: 255, pattern: '^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$' },
        is_public: { type: 'boolean', default: false },
        course_id: { type: 'string', format: 'uuid', maxLength: 36 },
        file: BINARY,
      },
    },
  })
  @ApiCreatedResponse({ type: FileResponseDto })
  upload(@CurrentUser() caller: AuthUser, @Req() request: FastifyRequest): Promise<FileResponseDto> {
    return this.files.upload(caller, request);
  }

  @Get('my-files')
  @Authenticated()
  @Endpoint({
    summary: "The caller's files, newest first (optional file_type filter, page, page_size ≤ 100)",
    operationId: 'listMyFiles',
    errors: { 422: 'Bad page, page_size or file_type' },
  })
  @ApiOkResponse({ type: FileListResponseDto })
  myFiles(@CurrentUser() caller: AuthUser, @Query() query: MyFilesQueryDto): Promise<FileListResponseDto> {
    return this.files.myFiles(caller, query);
  }

  @Get('download/:file_id')
  @Authenticated()
  @Endpoint({
    summary: 'Download a file',
    description:
      `${READERS} Local storage: 200 with the bytes (Range: one range → 206, unsatisfiable → 416; a multi-range ` +
      'request gets the whole file; If-None-Match with the ETag → 304). Azure: 307 to a read-only SAS URL valid ' +
      'for FILE_DOWNLOAD_URL_EXPIRE_SECONDS.',
    operationId: 'downloadFile',
    errors: {
      403: 'Not authorized to access this file',
      404: 'File not found / File no longer exists',
      416: 'Range not satisfiable (Content-Range: bytes */size)',
      422: 'file_id is not a UUID',
    },
  })
  // The stored file's own media type (image/png, application/pdf, ...).
  @ApiProduces('*/*')
  @ApiOkResponse({ description: 'The bytes', schema: BINARY, headers: DOWNLOAD_HEADERS })
  @ApiResponse({ status: 206, description: 'One byte range', schema: BINARY })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the ETag' })
  @ApiResponse({ status: 307, description: 'Azure: redirect to a SAS URL' })
  async download(
    @CurrentUser() caller: AuthUser,
    @Param('file_id', uuidParam('file_id')) fileId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const target = await this.files.downloadTarget(caller, fileId);
    if (target.redirect) {
      return reply.code(307).header('cache-control', 'no-store').redirect(target.redirect, 307);
    }
    return this.send(target.file, request, reply);
  }

  @Get(':file_id/signed-url')
  @Authenticated()
  @Endpoint({
    summary: 'A time-limited download URL that needs no token',
    description:
      `${READERS} Local storage: an HMAC-signed URL of GET /files/{file_id}/content; Azure: a read-only SAS URL. ` +
      '`expires_in` 60–86400 seconds (default FILE_DOWNLOAD_URL_EXPIRE_SECONDS).',
    operationId: 'createSignedFileUrl',
    errors: {
      403: 'Not authorized to access this file',
      404: 'File not found',
      422: 'file_id not a UUID, expires_in out of range',
    },
  })
  @ApiOkResponse({ type: SignedUrlResponseDto })
  signedUrl(
    @CurrentUser() caller: AuthUser,
    @Param('file_id', uuidParam('file_id')) fileId: string,
    @Query() query: SignedUrlQueryDto,
  ): Promise<SignedUrlResponseDto> {
    return this.files.signedUrl(caller, fileId, query.expires_in);
  }

  @Get(':file_id/content')
  @Public()
  @Endpoint({
    summary: 'Download through a signed URL (local storage; no token)',
    description:
      'The URL from /files/{file_id}/signed-url. A signature that is wrong, for another file, or expired is 403 ' +
      '`invalid_signature`. Same headers, ranges and ETag handling as /files/download/{file_id}.',
    operationId: 'getSignedFileContent',
    errors: {
      403: '`invalid_signature`: altered, other file, or expired',
      404: 'File not found / File no longer exists',
      416: 'Range not satisfiable',
      422: 'Missing or malformed expires/signature',
    },
  })
  // The stored file's own media type (image/png, application/pdf, ...).
  @ApiProduces('*/*')
  @ApiOkResponse({ description: 'The bytes', schema: BINARY, headers: DOWNLOAD_HEADERS })
  @ApiResponse({ status: 206, description: 'One byte range', schema: BINARY })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the ETag' })
  async signedContent(
    @Param('file_id', uuidParam('file_id')) fileId: string,
    @Query() query: SignedDownloadQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const file = await this.files.signedTarget(fileId, query.expires, query.signature);
    return this.send(file, request, reply);
  }

  @Delete(':file_id')
  @HttpCode(204)
  @Authenticated()
  @Endpoint({
    summary: 'Delete a file (owner or admin)',
    description:
      'The row goes and `file.deleted` is recorded in one transaction; the files / delete-file-object job removes ' +
      'the bytes (retried while storage is unavailable).',
    operationId: 'deleteFile',
    errors: { 403: 'Not authorized to delete this file', 404: 'File not found', 422: 'file_id is not a UUID' },
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@CurrentUser() caller: AuthUser, @Param('file_id', uuidParam('file_id')) fileId: string): Promise<void> {
    await this.files.delete(caller, fileId);
  }

  /** The bytes with download headers: attachment, nosniff, sandbox CSP, ETag/304, one Range (206/416). */
  private async send(file: FileRow, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const size = Number(file.file_size);
    const etag = `"${file.sha256}"`;
    void reply
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('cache-control', 'private, no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', 'sandbox');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    const range = parseRange(request.headers.range, size);
    if (range === 'unsatisfiable') {
      throw new ProblemException(
        416,
        'range_not_satisfiable',
        `The requested range is outside the file (${size} bytes)`,
        {},
        { headers: { 'Content-Range': `bytes */${size}` } },
      );
    }
    const stream = await this.files.open(file, range);
    void reply
      .header('content-type', file.mime_type)
      .header('content-disposition', contentDisposition(file.original_filename));
    if (range) {
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', String(range.end - range.start + 1))
        .send(stream);
    }
    return reply.code(200).header('content-length', String(size)).send(stream);
  }
}
