import { ProblemException } from '#core';
import type { FileType } from './file.entity.js';

/** The reference's folder default (an empty folder becomes this too). */
export const DEFAULT_FOLDER = 'uploads';
const FOLDER_SEGMENT = /^[A-Za-z0-9_-]+$/;
const FOLDER_MAX_LENGTH = 255;

/** 400 with the reference's detail (reference §8: all upload rule failures are 400, except ours below). */
export const uploadError = (code: string, detail: string): ProblemException => new ProblemException(400, code, detail);

export const emptyFileError = (): ProblemException => uploadError('empty_file', 'Uploaded file is empty');

/** Over MAX_UPLOAD_MB: 413 (the reference answers 400; we abort while streaming, so 413 fits). */
export const fileTooLargeError = (maxMb: number): ProblemException =>
  new ProblemException(413, 'file_too_large', `File too large. Max size is ${maxMb}MB`);

export const quotaExceededError = (quotaMb: number): ProblemException =>
  new ProblemException(413, 'quota_exceeded', `Storage quota exceeded. Each user may store up to ${quotaMb}MB`);

/**
 * The reference's folder rules: backslashes become "/", blank becomes "uploads", a leading "/" or
 * any ".." is "Invalid folder path", and every segment must match [A-Za-z0-9_-]+. Returns the
 * normalised folder, or the error.
 */
export function checkFolder(raw: string | undefined): string | ProblemException {
  const folder = (raw ?? '').trim().replace(/\\/g, '/');
  if (folder === '') return DEFAULT_FOLDER;
  if (folder.startsWith('/') || folder.includes('..') || folder.length > FOLDER_MAX_LENGTH) {
    return uploadError('invalid_folder', 'Invalid folder path');
  }
  if (!folder.split('/').every((segment) => FOLDER_SEGMENT.test(segment))) {
    return uploadError('invalid_folder', 'Folder path contains unsupported characters');
  }
  return folder;
}

/** The lowercased suffix after the last "." of the base name ('' when none), as Python's Path.suffix. */
export function extensionOf(filename: string): string {
  const base = baseName(filename);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/** The extension allow-list: `File extension '.<ext>' is not allowed`. */
export function checkExtension(ext: string, allowed: readonly string[]): ProblemException | undefined {
  if (ext !== '' && allowed.includes(ext) && /^[a-z0-9]{1,16}$/.test(ext)) return undefined;
  return uploadError('extension_not_allowed', `File extension '${ext === '' ? '' : `.${ext}`}' is not allowed`);
}

/** The last path segment (either separator): a client's directory is never kept. */
function baseName(filename: string): string {
  const parts = filename.split(/[/\\]/);
  return parts[parts.length - 1] ?? '';
}

/**
 * The client's file name as kept in the row (for Content-Disposition only, never as a path): the
 * base name, trimmed, at most `max` code points (keeping the extension), "file" when nothing is
 * left. Control characters are refused before this (see hasControlCharacter).
 */
export function sanitizeOriginalName(filename: string, max: number): string {
  let base = baseName(filename).trim();
  if (base === '' || base === '.' || base === '..') base = 'file';
  const points = Array.from(base);
  if (points.length <= max) return base;
  const ext = extensionOf(base);
  const tail = ext ? `.${ext}` : '';
  return points.slice(0, max - tail.length).join('') + tail;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
export const hasControlCharacter = (value: string): boolean => CONTROL.test(value);

/** How a MIME type and extension are classified (reference §8). */
export function classifyFile(mime: string, ext: string): FileType {
  if (mime.startsWith('video/') || ['mp4', 'avi', 'mov'].includes(ext)) return 'video';
  if (mime.startsWith('image/') || ['jpg', 'jpeg', 'png'].includes(ext)) return 'image';
  if (mime === 'application/pdf' || mime === 'application/msword' || ['pdf', 'doc', 'docx'].includes(ext)) {
    return 'document';
  }
  return 'other';
}

/** The stored MIME type of each extension we know (others take file-type's answer). */
const MIME_BY_EXT: Readonly<Record<string, string>> = {
  mp4: 'video/mp4',
  avi: 'video/x-msvideo',
  mov: 'video/quicktime',
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain',
  csv: 'text/csv',
  md: 'text/markdown',
  vtt: 'text/vtt',
  srt: 'application/x-subrip',
  json: 'application/json',
};

/** What file-type may report for an extension (several extensions share one container format). */
const DETECTED_AS: Readonly<Record<string, readonly string[]>> = {
  jpg: ['jpg'],
  jpeg: ['jpg'],
  mp4: ['mp4', 'm4v'],
  mov: ['mov', 'mp4'],
  doc: ['cfb', 'doc'],
  docx: ['docx', 'zip'],
  xlsx: ['xlsx', 'zip'],
  pptx: ['pptx', 'zip'],
};

/**
 * Formats file-type cannot recognise (it reads magic numbers, and text has none). Their rule: no
 * format detected, and no NUL byte in the sniffed bytes.
 */
export const TEXT_EXTENSIONS: ReadonlySet<string> = new Set(['txt', 'csv', 'md', 'vtt', 'srt', 'json']);

export interface SniffResult {
  ok: boolean;
  mime: string;
}

/**
 * Compares what file-type detected in the first bytes with the extension:
 * - a detected format must be one the extension stands for (DETECTED_AS, else the same extension);
 * - nothing detected is accepted only for TEXT_EXTENSIONS without a NUL byte;
 * - everything else is a mismatch (422 file_content_mismatch).
 * The stored MIME type comes from the extension (MIME_BY_EXT), else from the detection.
 */
export function matchContent(
  ext: string,
  detected: { ext: string; mime: string } | undefined,
  head: Buffer,
): SniffResult {
  const fallback = detected?.mime ?? 'application/octet-stream';
  const mime = MIME_BY_EXT[ext] ?? fallback;
  if (!detected) return { ok: TEXT_EXTENSIONS.has(ext) && !head.includes(0), mime };
  const accepted = DETECTED_AS[ext] ?? [ext];
  return { ok: accepted.includes(detected.ext), mime };
}

export const contentMismatchError = (ext: string): ProblemException =>
  new ProblemException(
    422,
    'file_content_mismatch',
    `File content does not match expected extension '${ext}'. Possible spoofing attempt.`,
  );

/** `attachment; filename="<ascii>"; filename*=UTF-8''<RFC 5987>` (RFC 6266). */
export function contentDisposition(name: string): string {
  const ascii =
    Array.from(name)
      .map((c) => (/^[\x20-\x7e]$/.test(c) && c !== '"' && c !== '\\' && c !== '%' ? c : '_'))
      .join('') || 'file';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** A single byte range resolved against the size, 'unsatisfiable' (416), or undefined (send everything). */
export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n`. A header we do not understand, or a
 * multi-range request, is ignored (200 with the whole body, which RFC 9110 allows).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** If-None-Match against a strong ETag (weak comparison, as RFC 9110 §13.1.2 asks). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
