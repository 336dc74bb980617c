import type { ByteRange } from './file-storage.js';

/** The storage area a local provider keeps in-progress uploads in (never a valid key to put or read). */
export const TEMP_PREFIX = '.tmp/';

/** A key a FileStorage refuses: empty, absolute, with `..`/`.`/empty segments, backslashes or NUL. */
export class InvalidStorageKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`Invalid storage key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidStorageKeyError';
  }
}

const MAX_KEY_LENGTH = 1024;

/**
 * Checks a storage key (`uploads/<uuid>.<ext>`): relative, `/`-separated, no `.`/`..`/empty segments,
 * no backslash, NUL or other control characters, at most 1024 characters. Keys under `.tmp/` are
 * refused unless `allowTemp` (only delete/exists accept them, so the orphan sweep can remove stale
 * temporary files that listOlderThan reports).
 */
export function assertValidKey(key: string, options: { allowTemp?: boolean } = {}): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidStorageKeyError(String(key), 'empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidStorageKeyError(key, `longer than ${MAX_KEY_LENGTH} characters`);
  if (key.includes('\\')) throw new InvalidStorageKeyError(key, 'backslash');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidStorageKeyError(key, 'control character');
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) throw new InvalidStorageKeyError(key, 'absolute path');
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidStorageKeyError(key, 'empty path segment');
    if (segment === '.' || segment === '..') throw new InvalidStorageKeyError(key, `"${segment}" segment`);
  }
  if (!options.allowTemp && key.startsWith(TEMP_PREFIX)) {
    throw new InvalidStorageKeyError(key, 'reserved for temporary files');
  }
}

/** Validates an inclusive byte range (integers, 0 <= start <= end). */
export function assertValidRange(range: ByteRange): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0) {
    throw new RangeError(`Invalid byte range ${range.start}-${range.end}`);
  }
  if (range.end < range.start) throw new RangeError(`Invalid byte range ${range.start}-${range.end}`);
}
