import type { Readable } from 'node:stream';

/** What a completed put wrote: the key it lives under, its size and SHA-256 (hex), computed on the way. */
export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
}

/** A page of listOlderThan: the keys, and where the next page starts (absent at the end). */
export interface ListPage {
  keys: string[];
  /** Opaque: pass it back to listOlderThan for the next page. */
  cursor?: string;
}

/** An inclusive byte range, as HTTP Range counts it (`bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** The MIME type recorded with the object (Azure: blob content type). */
  contentType: string;
  /**
   * Called for every chunk before it is written, with the running byte count; throwing aborts the
   * put (e.g. over MAX_UPLOAD_MB or the user's quota) and nothing is left behind.
   */
  onProgress?: (bytesSoFar: number) => void;
}

/**
 * The one way services touch stored bytes (local disk or Azure Blob). Services never see fs paths
 * or the Azure SDK.
 *
 * put: streams `source` to `key` with a SHA-256 computed on the way; the object exists under `key`
 * only once the promise resolves (local: temporary file, fsync, rename; Azure: block blob commit).
 * On any failure (source error, onProgress throwing, storage error) nothing is left under `key` and
 * no temporary data remains, and the promise rejects.
 */
export interface FileStorage {
  readonly provider: 'local' | 'azure';
  put(key: string, source: Readable, options: PutOptions): Promise<StoredObject>;
  /** The object's bytes (all, or one range); rejects with FileNotInStorageError when absent. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the object; resolves when it is gone (absent already is fine: deletes are idempotent). */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * One page of the keys of objects last modified before `olderThan`, for the orphan sweep: at most
   * `limit` keys, continuing after `cursor` (from the previous page; none: from the start). The
   * walk is in key order, so a listing that runs while objects are added or removed still visits
   * every object that exists throughout. The page's `cursor` is absent once the store is exhausted;
   * a page may hold fewer than `limit` keys (even none) and still have a cursor.
   */
  listOlderThan(olderThan: Date, limit: number, cursor?: string): Promise<ListPage>;
  /**
   * Azure: a read-only SAS URL for the blob valid until `expiresAt`, with the download's
   * Content-Disposition and Content-Type; local: null (the API signs its own URLs).
   */
  presignedReadUrl(
    key: string,
    expiresAt: Date,
    response: { contentDisposition: string; contentType: string },
  ): Promise<string | null>;
}

/** The object is not in storage (deleted, or never written). */
export class FileNotInStorageError extends Error {
  constructor(readonly key: string) {
    super(`No stored object under ${key}`);
    this.name = 'FileNotInStorageError';
  }
}

/** Injection token of the configured FileStorage. */
export const FILE_STORAGE = Symbol('FILE_STORAGE');

/** Wraps the configured FileStorage (e.g. instrumentation, or a test's fault injection). */
export type FileStorageWrapper = (storage: FileStorage) => FileStorage;

/**
 * Optional injection token: when a global module provides a FileStorageWrapper under it, FILE_STORAGE
 * is the wrapped storage.
 */
export const FILE_STORAGE_WRAPPER = Symbol('FILE_STORAGE_WRAPPER');
