export { StoredFile, FILE_TYPES, type FileType } from './file.entity.js';
export { FilesModule } from './files.module.js';
export { FilesService, canRead, type FileRow } from './files.service.js';
export {
  FileJobsHandler,
  ORPHAN_SWEEP_SCHEDULER_ID,
  ORPHAN_MIN_AGE_MS,
  ORPHAN_SWEEP_PAGE_SIZE,
} from './file-jobs.handler.js';
export { DownloadSigner } from './signed-url.js';
export {
  FileResponseDto,
  FileListResponseDto,
  SignedUrlResponseDto,
  SIGNED_URL_MIN_SECONDS,
  SIGNED_URL_MAX_SECONDS,
} from './dto/file.dto.js';
export {
  checkFolder,
  checkExtension,
  classifyFile,
  contentDisposition,
  extensionOf,
  matchContent,
  parseRange,
  etagMatches,
  sanitizeOriginalName,
  DEFAULT_FOLDER,
  TEXT_EXTENSIONS,
} from './file-rules.js';
export {
  FILE_STORAGE,
  FILE_STORAGE_WRAPPER,
  FileNotInStorageError,
  type FileStorage,
  type FileStorageWrapper,
  type ListPage,
  type StoredObject,
} from './storage/file-storage.js';
export { FileStorageModule } from './storage/file-storage.module.js';
export { type ByteRange, type PutOptions } from './storage/file-storage.js';
export { LocalFileStorage } from './storage/local-file-storage.js';
export {
  AzureBlobFileStorage,
  AzureStorageConfigError,
  containerClientFromConfig,
  type AzureBlobFileStorageOptions,
  type TokenCredential,
} from './storage/azure-blob-file-storage.js';
export { createFileStorage } from './storage/file-storage.factory.js';
export { InvalidStorageKeyError, assertValidKey, assertValidRange } from './storage/storage-key.js';
