import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  RestError,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlobSASSignatureValues,
} from '@azure/storage-blob';
import type { AppConfig } from '#core';
import {
  FileNotInStorageError,
  type ByteRange,
  type FileStorage,
  type ListPage,
  type PutOptions,
  type StoredObject,
} from './file-storage.js';
import { MeteringTransform, toError } from './metering-transform.js';
import { assertValidKey, assertValidRange } from './storage-key.js';

/** Block size of uploadStream and how many blocks are in memory / in flight at once (≈16 MiB). */
const BLOCK_SIZE = 4 * 1024 * 1024;
const MAX_BLOCKS_IN_MEMORY = 4;
/** SAS start time is set this far back so that a server clock slightly behind ours accepts it. */
const CLOCK_SKEW_MS = 60_000;

export interface AzureBlobFileStorageOptions {
  /** The time SAS start times are computed from (default: wall clock). */
  now?: () => Date;
  /**
   * A token credential (e.g. DefaultAzureCredential from @azure/identity) for an account URL
   * configured without a key; presigned URLs then use a user delegation SAS.
   */
  tokenCredential?: TokenCredential;
}

/** An Azure AD token credential (structurally, @azure/core-auth's TokenCredential, e.g. DefaultAzureCredential). */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** Thrown when the Azure settings do not describe a container this provider can use. */
export class AzureStorageConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AzureStorageConfigError';
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof RestError && error.statusCode === 404;
}

/**
 * The container client from the AZURE_STORAGE_* settings, in this order: a connection string (+
 * container name), an account URL (+ account name and key, or a token credential; + container
 * name), or a container URL (with a SAS in its query string, or + account name and key).
 */
export function containerClientFromConfig(config: AppConfig, tokenCredential?: TokenCredential): ContainerClient {
  const name = config.AZURE_STORAGE_CONTAINER_NAME;
  const sharedKey =
    config.AZURE_STORAGE_ACCOUNT_NAME && config.AZURE_STORAGE_ACCOUNT_KEY
      ? new StorageSharedKeyCredential(config.AZURE_STORAGE_ACCOUNT_NAME, config.AZURE_STORAGE_ACCOUNT_KEY)
      : undefined;
  if (config.AZURE_STORAGE_CONNECTION_STRING && name) {
    return BlobServiceClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(name);
  }
  if (config.AZURE_STORAGE_ACCOUNT_URL && name) {
    const credential = sharedKey ?? tokenCredential;
    if (!credential) {
      throw new AzureStorageConfigError(
        'AZURE_STORAGE_ACCOUNT_URL needs AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY (or a token credential)',
      );
    }
    return new BlobServiceClient(config.AZURE_STORAGE_ACCOUNT_URL, credential).getContainerClient(name);
  }
  if (config.AZURE_STORAGE_CONTAINER_URL) {
    const credential = sharedKey ?? tokenCredential;
    return credential
      ? new ContainerClient(config.AZURE_STORAGE_CONTAINER_URL, credential)
      : new ContainerClient(config.AZURE_STORAGE_CONTAINER_URL);
  }
  throw new AzureStorageConfigError(
    'Azure Blob storage needs AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL with ' +
      'AZURE_STORAGE_CONTAINER_NAME, or AZURE_STORAGE_CONTAINER_URL',
  );
}

/**
 * Objects as block blobs in one container. put streams through uploadStream (blocks staged as the
 * bytes arrive, the block list committed only at the end), so a failed put never leaves a blob;
 * blocks it staged stay uncommitted, invisible to reads and listings, until Azure discards them
 * (after a week).
 */
export class AzureBlobFileStorage implements FileStorage {
  readonly provider = 'azure';
  private readonly now: () => Date;
  private ready?: Promise<void>;

  constructor(
    readonly container: ContainerClient,
    private readonly options: AzureBlobFileStorageOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  static fromConfig(config: AppConfig, options: AzureBlobFileStorageOptions = {}): AzureBlobFileStorage {
    return new AzureBlobFileStorage(containerClientFromConfig(config, options.tokenCredential), options);
  }

  /**
   * Creates the container if it is missing (once; retried on the next call after a failure). A
   * container URL with a SAS usually cannot create containers: the container must then exist.
   */
  init(): Promise<void> {
    this.ready ??= this.container
      .createIfNotExists()
      .then(() => undefined)
      .catch((error: unknown) => {
        this.ready = undefined;
        throw error;
      });
    return this.ready;
  }

  async put(key: string, source: Readable, options: PutOptions): Promise<StoredObject> {
    try {
      assertValidKey(key);
      await this.init();
    } catch (error) {
      source.destroy();
      throw error;
    }
    const blob = this.container.getBlockBlobClient(key);
    const meter = new MeteringTransform(options.onProgress);
    const abort = new AbortController();
    const piping = pipeline(source, meter).catch((error: unknown) => {
      abort.abort(error);
      throw error;
    });
    const uploading = blob
      .uploadStream(meter, BLOCK_SIZE, MAX_BLOCKS_IN_MEMORY, {
        blobHTTPHeaders: { blobContentType: options.contentType },
        abortSignal: abort.signal,
      })
      .catch((error: unknown) => {
        // Stop reading the source when the upload fails on Azure's side.
        meter.destroy(toError(error));
        throw error;
      });
    const [piped, uploaded] = await Promise.allSettled([piping, uploading]);
    // The source's (or onProgress's) error is the cause; the upload's is then only its echo.
    if (piped.status === 'rejected') throw piped.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { key, size: meter.size, sha256: meter.digest() };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    const blob = this.container.getBlobClient(key);
    let body: NodeJS.ReadableStream | undefined;
    try {
      const response = range ? await blob.download(range.start, range.end - range.start + 1) : await blob.download(0);
      body = response.readableStreamBody;
      // Real Azure answers 416 to a range starting at or past the end; Azurite answers 206 and no bytes.
      const total = /\/(\d+)$/.exec(response.contentRange ?? '')?.[1];
      if (range && total !== undefined && range.start >= Number(total)) {
        body?.resume();
        throw new RestError('Range not satisfiable', { statusCode: 416 });
      }
    } catch (error) {
      if (isNotFound(error)) throw new FileNotInStorageError(key);
      if (error instanceof RestError && error.statusCode === 416 && range) {
        throw new RangeError(`Range ${range.start}-${range.end} starts beyond the object's end`, { cause: error });
      }
      throw error;
    }
    if (!body) throw new Error(`Azure returned no body for ${key}`);
    return body instanceof Readable ? body : new Readable().wrap(body);
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key, { allowTemp: true });
    await this.container.getBlobClient(key).deleteIfExists({ deleteSnapshots: 'include' });
  }

  async exists(key: string): Promise<boolean> {
    assertValidKey(key, { allowTemp: true });
    return this.container.getBlobClient(key).exists();
  }

  /**
   * One page of List Blobs (names in lexicographic order, at most `limit`, Azure caps a page at
   * 5000), filtered by Last-Modified; the cursor is Azure's continuation marker.
   */
  async listOlderThan(olderThan: Date, limit: number, cursor?: string): Promise<ListPage> {
    if (limit <= 0) return cursor === undefined ? { keys: [] } : { keys: [], cursor };
    const pages = this.container.listBlobsFlat().byPage({ continuationToken: cursor, maxPageSize: limit });
    const page = await pages.next();
    if (page.done === true) return { keys: [] };
    const keys = page.value.segment.blobItems
      .filter((item) => item.properties.lastModified < olderThan)
      .map((item) => item.name);
    const next = page.value.continuationToken;
    return next ? { keys, cursor: next } : { keys };
  }

  async presignedReadUrl(
    key: string,
    expiresAt: Date,
    response: { contentDisposition: string; contentType: string },
  ): Promise<string | null> {
    assertValidKey(key);
    const blob = this.container.getBlobClient(key);
    const values: BlobSASSignatureValues = {
      containerName: this.container.containerName,
      blobName: key,
      permissions: BlobSASPermissions.parse('r'),
      startsOn: new Date(this.now().getTime() - CLOCK_SKEW_MS),
      expiresOn: expiresAt,
      contentDisposition: response.contentDisposition,
      contentType: response.contentType,
      protocol: blob.url.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
    };
    const credential = this.container.credential;
    if (credential instanceof StorageSharedKeyCredential) {
      return `${blob.url}?${generateBlobSASQueryParameters(values, credential).toString()}`;
    }
    if (this.options.tokenCredential) {
      const service = new BlobServiceClient(new URL('/', blob.url).toString(), this.options.tokenCredential);
      const delegationKey = await service.getUserDelegationKey(values.startsOn ?? this.now(), expiresAt);
      const accountName = service.accountName;
      return `${blob.url}?${generateBlobSASQueryParameters(values, delegationKey, accountName).toString()}`;
    }
    throw new AzureStorageConfigError(
      'Presigned URLs need an account key (AZURE_STORAGE_ACCOUNT_NAME/KEY or a connection string with ' +
        'AccountKey) or a token credential for a user delegation SAS',
    );
  }
}
